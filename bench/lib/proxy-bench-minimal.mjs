// Child process of the proxy benchmark: the least a Node reverse proxy does for the same job, as a
// reference point between nginx and the Remoteler Proxy. An mTLS node:https listener that requires
// a certificate from the user CA, takes the username from the certificate's CN (as nginx does in
// this benchmark), and relays with undici's `Pool.stream` and nginx's header set (bearer token,
// Impersonate-User, one Impersonate-Group field per group, X-Forwarded-For). No policy, no path
// checks, no allowlist, no audit: what the issue calls "a straightforward Node proxy built on
// undici.stream".
import { createServer } from 'node:https';
import { Pool } from 'undici';
import { serveRpc } from './child-process-rpc.mjs';

let server;
let pool;

serveRpc(
  {
    async start({ cert, key, userCaPem, groups, upstream }) {
      pool = new Pool(upstream.server, { connect: { ca: upstream.ca } });
      const authorization = `Bearer ${upstream.token}`;
      server = createServer(
        { cert, key, ca: userCaPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
        (req, res) => {
          const user = req.socket.getPeerCertificate().subject?.CN;
          if (!user) {
            res.writeHead(401).end();
            return;
          }
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
        },
      );
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { port: server.address().port };
    },
  },
  async () => {
    server?.closeAllConnections();
    server?.close();
    await pool?.close();
  },
);
