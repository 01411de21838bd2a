// Child process of the proxy benchmark: the least a Node reverse proxy does for the same job, as a
// reference point between nginx and the Remoteler Proxy. An mTLS node:https listener that requires
// a certificate from the user CA, takes the username from the certificate's CN (read once per
// connection, as nginx verifies once per handshake), and relays with nginx's header set (bearer
// token, Impersonate-User, one Impersonate-Group field per group, X-Forwarded-For). No policy, no
// path checks, no allowlist, no audit. Three upstream clients:
//   undici  undici's `Pool.stream`: what the issue calls "a straightforward Node proxy built on
//           undici.stream";
//   raw     keep-alive TLS sockets, the request head written as one string and the answer read by
//           a few lines that understand only `Content-Length` (enough for this benchmark's GET and
//           nothing else): the least CPU a Node proxy can spend on the second connection;
//   h2      one node:http2 session, every request a stream of it (the API server offers h2): what
//           multiplexing ordinary requests upstream would cost, against `raw`.
// and two listeners: node:https (default), or `server: 'raw'` (see rawServer) to show what
// node:http itself costs on the client side.
import { connect as connectHttp2 } from 'node:http2';
import { createServer } from 'node:https';
import { connect, createSecureContext, createServer as createTlsServer } from 'node:tls';
import { Pool } from 'undici';
import { serveRpc } from './child-process-rpc.mjs';

let server;
let close = async () => {};

/** The certificate's CN, read once per TLS connection. */
const users = new WeakMap();
function userOf(socket) {
  let user = users.get(socket);
  if (user === undefined) {
    user = socket.getPeerCertificate().subject?.CN ?? '';
    users.set(socket, user);
  }
  return user;
}

function undiciRelay(upstream, groups) {
  const pool = new Pool(upstream.server, { connect: { ca: upstream.ca } });
  close = () => pool.close();
  const authorization = `Bearer ${upstream.token}`;
  return (req, res, user) => {
    const headers = {
      authorization,
      'impersonate-user': user,
      'impersonate-group': groups,
      'x-forwarded-for': req.socket.remoteAddress,
    };
    if (req.headers.accept) headers.accept = req.headers.accept;
    pool
      .stream(
        { path: req.url, method: req.method, headers, body: req.method === 'GET' ? null : req },
        (r) => {
          // Connection-level fields describe the upstream connection, not this one.
          const { connection, 'keep-alive': _keepAlive, 'transfer-encoding': _te, ...rest } = r.headers;
          res.writeHead(r.statusCode, rest);
          return res;
        },
      )
      .catch(() => res.destroy());
  };
}

function rawRelay(upstream, groups) {
  const url = new URL(upstream.server);
  const secureContext = createSecureContext({ ca: upstream.ca });
  const idle = [];
  close = async () => {
    for (const socket of idle.splice(0)) socket.destroy();
  };
  const fixed = `host: ${url.host}\r\nauthorization: Bearer ${upstream.token}\r\n${groups
    .map((group) => `impersonate-group: ${group}\r\n`)
    .join('')}`;
  // Idle sockets the server closed (its keep-alive timeout) leave the list; a request whose socket
  // breaks is answered 502. No retry and no timeouts: this client is a cost reference, not a product.
  const withSocket = (use) => {
    const socket = idle.pop();
    if (socket) return use(socket);
    const fresh = connect({
      host: url.hostname,
      port: Number(url.port),
      secureContext,
      servername: 'localhost',
    });
    fresh.setNoDelay(true);
    fresh.on('error', () => {});
    fresh.on('close', () => {
      const at = idle.indexOf(fresh);
      if (at >= 0) idle.splice(at, 1);
      fresh.emit('broken');
    });
    fresh.once('secureConnect', () => use(fresh));
  };
  return (req, res, user) => {
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    let head = `GET ${req.url} HTTP/1.1\r\n${fixed}impersonate-user: ${user}\r\nx-forwarded-for: ${req.socket.remoteAddress}\r\n`;
    if (req.headers.accept) head += `accept: ${req.headers.accept}\r\n`;
    withSocket((socket) => {
      let buffered = null;
      let end = -1;
      let status = 0;
      let headers;
      let bodyStart = 0;
      const onData = (chunk) => {
        buffered = buffered ? Buffer.concat([buffered, chunk]) : chunk;
        if (end < 0) {
          const headEnd = buffered.indexOf('\r\n\r\n');
          if (headEnd < 0) return;
          const lines = buffered.toString('latin1', 0, headEnd).split('\r\n');
          status = Number(lines[0].slice(9, 12));
          headers = {};
          let length = 0;
          for (let i = 1; i < lines.length; i++) {
            const colon = lines[i].indexOf(':');
            const name = lines[i].slice(0, colon).toLowerCase();
            const value = lines[i].slice(colon + 1).trim();
            if (name === 'content-length') length = Number(value);
            if (name !== 'connection' && name !== 'keep-alive') headers[name] = value;
          }
          bodyStart = headEnd + 4;
          end = bodyStart + length;
        }
        if (buffered.length < end) return;
        socket.off('data', onData);
        socket.off('broken', onBroken);
        res.writeHead(status, headers);
        res.end(buffered.subarray(bodyStart, end));
        idle.push(socket);
      };
      const onBroken = () => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      };
      socket.on('data', onData);
      socket.once('broken', onBroken);
      socket.write(`${head}\r\n`, 'latin1');
    });
  };
}

function h2Relay(upstream, groups) {
  const url = new URL(upstream.server);
  const secureContext = createSecureContext({ ca: upstream.ca });
  let session;
  const current = () => {
    if (session && !session.closed && !session.destroyed) return session;
    const fresh = connectHttp2(upstream.server, {
      createConnection: () =>
        connect({
          host: url.hostname,
          port: Number(url.port),
          secureContext,
          servername: 'localhost',
          ALPNProtocols: ['h2'],
        }),
      peerMaxConcurrentStreams: 1000,
    });
    fresh.on('error', () => {});
    fresh.on('close', () => {
      if (session === fresh) session = undefined;
    });
    session = fresh;
    return fresh;
  };
  close = async () => session?.close();
  const authorization = `Bearer ${upstream.token}`;
  return (req, res, user) => {
    const headers = {
      ':method': req.method,
      ':path': req.url,
      authorization,
      'impersonate-user': user,
      'impersonate-group': groups,
      'x-forwarded-for': req.socket.remoteAddress,
    };
    if (req.headers.accept) headers.accept = req.headers.accept;
    const stream = current().request(headers, { endStream: true });
    const chunks = [];
    let head;
    stream.on('response', (h) => {
      head = h;
    });
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      const out = {};
      for (const name in head) if (name[0] !== ':') out[name] = head[name];
      res.writeHead(head[':status'], out);
      res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    stream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
  };
}

// `server: 'raw'`: no node:https on the client side either. A TLS server whose connections are read
// by a few lines that understand only a GET head without a body (what the load generator sends, one
// request at a time per connection), handing the relay the request and response fields it uses.
// A reference for how much of a Node proxy's cost is node:http itself; it checks nothing.
function rawServer({ cert, key, userCaPem }, relay) {
  return createTlsServer(
    { cert, key, ca: userCaPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    (socket) => {
      socket.setNoDelay(true);
      const user = socket.getPeerCertificate().subject?.CN ?? '';
      let buffered = null;
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        buffered = buffered ? Buffer.concat([buffered, chunk]) : chunk;
        for (;;) {
          const end = buffered.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buffered.toString('latin1', 0, end);
          buffered = buffered.length > end + 4 ? buffered.subarray(end + 4) : null;
          const lineEnd = head.indexOf('\r\n');
          const [method, url] = head.slice(0, lineEnd).split(' ');
          const accept = /\r\naccept:[ \t]*([^\r]*)/i.exec(head)?.[1];
          const res = {
            headersSent: false,
            head: '',
            writeHead(status, headers = {}) {
              let text = `HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Error'}\r\n`;
              for (const name in headers) text += `${name}: ${headers[name]}\r\n`;
              this.head = `${text}\r\n`;
              this.headersSent = true;
              return this;
            },
            end(body) {
              if (body) socket.write(Buffer.concat([Buffer.from(this.head, 'latin1'), body]));
              else socket.write(this.head, 'latin1');
            },
            destroy: () => socket.destroy(),
          };
          relay({ method, url, headers: accept ? { accept } : {}, socket }, res, user);
          if (!buffered) return;
        }
      });
    },
  );
}

serveRpc(
  {
    async start({ cert, key, userCaPem, groups, upstream, client = 'undici', server: serverKind = 'https' }) {
      const relay =
        client === 'raw'
          ? rawRelay(upstream, groups)
          : client === 'h2'
            ? h2Relay(upstream, groups)
            : undiciRelay(upstream, groups);
      server =
        serverKind === 'raw'
          ? rawServer({ cert, key, userCaPem }, relay)
          : createServer(
              {
                cert,
                key,
                ca: userCaPem,
                requestCert: true,
                rejectUnauthorized: true,
                minVersion: 'TLSv1.2',
              },
              (req, res) => {
                const user = userOf(req.socket);
                if (!user) {
                  res.writeHead(401).end();
                  return;
                }
                relay(req, res, user);
              },
            );
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { port: server.address().port };
    },
  },
  async () => {
    server?.closeAllConnections?.();
    server?.close();
    await close();
  },
);
