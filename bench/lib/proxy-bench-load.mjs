// Child process of the proxy benchmark: the load generator, in its own process so that it does not
// share an event loop with the Proxy or the upstream. Keep-alive load (undici Pool), a rate-limited
// run, fresh mTLS connections (one per request) and long-lived watches held open.
import { connect as http2Connect } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { Pool } from 'undici';
import { serveRpc } from './child-process-rpc.mjs';

function summarize(latencies, elapsedMs, failures) {
  latencies.sort((a, b) => a - b);
  const pick = (p) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    elapsedMs,
    perSecond: (latencies.length * 1000) / elapsedMs,
    p50Us: pick(50),
    p99Us: pick(99),
    failures,
  };
}

// One Pool per origin, kept between runs: the warm-up opens the connections (full mTLS handshakes
// and, in the Proxy, one identity decode each) so that the measured run is keep-alive requests only.
const pools = new Map();
function poolFor(origin, tls, connections) {
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, { connect: tls, connections, pipelining: 1, keepAliveTimeout: 600_000 });
    pools.set(origin, pool);
  }
  return pool;
}

async function closePools() {
  await Promise.all([...pools.values()].map((pool) => pool.close()));
  pools.clear();
  return true;
}

/** Closed loop: `connections` workers, each sending the next GET when the last one is answered. */
async function keepAlive({ origin, tls, headers = {}, path, connections, durationMs }) {
  const pool = poolFor(origin, tls, connections);
  const latencies = [];
  let failures = 0;
  const start = performance.now();
  const until = start + durationMs;
  const worker = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        const response = await pool.request({ path, method: 'GET', headers });
        await response.body.dump();
        if (response.statusCode !== 200) failures++;
      } catch {
        failures++;
      }
      latencies.push((performance.now() - t0) * 1000);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsedMs = performance.now() - start;
  return summarize(latencies, elapsedMs, failures);
}

/**
 * Open loop at `rate` requests/s: requests are due at fixed times whether or not earlier ones were
 * answered, and latency counts from the due time, so queueing behind a slow candidate shows in p99
 * (no coordinated omission).
 */
async function rateLimited({ origin, tls, headers = {}, path, connections, durationMs, rate }) {
  const pool = poolFor(origin, tls, connections);
  const latencies = [];
  let failures = 0;
  const inFlight = new Set();
  const start = performance.now();
  let sent = 0;
  const send = (dueAt) => {
    const p = pool
      .request({ path, method: 'GET', headers })
      .then(async (response) => {
        await response.body.dump();
        if (response.statusCode !== 200) failures++;
      })
      .catch(() => failures++)
      .finally(() => {
        latencies.push((performance.now() - dueAt) * 1000);
        inFlight.delete(p);
      });
    inFlight.add(p);
  };
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      const elapsed = Math.min(now - start, durationMs);
      const due = Math.floor((elapsed * rate) / 1000);
      while (sent < due) {
        send(start + (sent * 1000) / rate);
        sent++;
      }
      if (now - start >= durationMs) resolve();
      // Sleep until the next request is due (timers fire at 1 ms granularity, so a few are sent per
      // wakeup, each timed from its own due time). Not setImmediate: spinning would take a whole
      // core from the simulator and the candidate on this 2-core machine.
      else setTimeout(tick, start + (sent * 1000) / rate - now);
    };
    tick();
  });
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - start;
  return summarize(latencies, elapsedMs, failures);
}

/** One GET over a fresh TLS connection (full handshake with the client certificate, no resumption). */
function oneShot({ port, tls, path, headers }) {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ...tls, ALPNProtocols: ['http/1.1'] });
    let head = '';
    socket.setEncoding('latin1');
    socket.once('secureConnect', () => {
      const extra = Object.entries(headers ?? {})
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      // Not end(): a server may drop a request whose client already half-closed; it closes instead.
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}Connection: close\r\n\r\n`);
    });
    socket.on('data', (chunk) => {
      if (head.length < 16) head += chunk;
    });
    socket.once('close', () => resolve(head.startsWith('HTTP/1.1 200')));
    socket.once('error', () => {});
  });
}

async function handshakes({ port, tls, path, headers, concurrency, durationMs }) {
  let ok = 0;
  let failures = 0;
  const start = performance.now();
  const until = start + durationMs;
  const worker = async () => {
    while (performance.now() < until) {
      if (await oneShot({ port, tls, path, headers })) ok++;
      else failures++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - start;
  return { connections: ok, perSecond: (ok * 1000) / elapsedMs, failures, elapsedMs };
}

// Watches held open by `openWatches`, ended by `closeWatches`.
const watches = new Set();

/** Opens one watch and resolves when its response head arrived (true for a 200). */
function openWatch({ port, tls, path }) {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ...tls, ALPNProtocols: ['http/1.1'] });
    let head = '';
    let settled = false;
    const settle = (ok) => {
      if (settled) return;
      settled = true;
      if (ok) watches.add(socket);
      else socket.destroy();
      resolve(ok);
    };
    socket.setEncoding('latin1');
    socket.once('secureConnect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: application/json\r\n\r\n`);
    });
    socket.on('data', (chunk) => {
      if (settled) return;
      head += chunk;
      if (head.includes('\r\n\r\n')) settle(head.startsWith('HTTP/1.1 200'));
    });
    socket.once('close', () => {
      watches.delete(socket);
      settle(false);
    });
    socket.once('error', () => {});
  });
}

/** Opens up to `count` watches, `concurrency` at a time, and stops starting new ones after `budgetMs`. */
async function openWatches({ port, tls, path, count, concurrency, budgetMs }) {
  let opened = 0;
  let failures = 0;
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < count && performance.now() - start < budgetMs) {
      next++;
      if (await openWatch({ port, tls, path })) opened++;
      else failures++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { opened, failures, open: watches.size, elapsedMs: performance.now() - start };
}

// HTTP/2 sessions holding watches as streams (kubectl's way when the server offers h2), and the
// number of those streams open.
const http2Sessions = new Set();
let http2Watches = 0;

/** Opens one watch stream on `session` and resolves when its response head arrived (true for a 200). */
function openWatchStream(session, path) {
  return new Promise((resolve) => {
    const stream = session.request({ ':path': path, accept: 'application/json' });
    let settled = false;
    let counted = false;
    const settle = (ok) => {
      if (settled) return;
      settled = true;
      if (ok) {
        counted = true;
        http2Watches++;
      } else stream.close();
      resolve(ok);
    };
    stream.once('response', (headers) => settle(headers[':status'] === 200));
    stream.on('data', () => {});
    stream.once('close', () => {
      if (counted) http2Watches--;
      counted = false;
      settle(false);
    });
    stream.once('error', () => {});
    stream.end();
  });
}

/**
 * Opens up to `count` watches over HTTP/2, `streamsPerConnection` streams per connection (one
 * connection per simulated kubectl), and stops starting new connections after `budgetMs`.
 */
async function openWatchesHttp2({ port, tls, path, count, streamsPerConnection, budgetMs }) {
  let opened = 0;
  let failures = 0;
  const start = performance.now();
  while (opened + failures < count && performance.now() - start < budgetMs) {
    const session = http2Connect(`https://127.0.0.1:${port}`, { ...tls, ALPNProtocols: ['h2'] });
    session.on('error', () => {});
    http2Sessions.add(session);
    session.once('close', () => http2Sessions.delete(session));
    const batch = Math.min(streamsPerConnection, count - opened - failures);
    const results = await Promise.all(Array.from({ length: batch }, () => openWatchStream(session, path)));
    for (const ok of results)
      if (ok) opened++;
      else failures++;
  }
  return { opened, failures, open: http2Watches, elapsedMs: performance.now() - start };
}

async function closeWatches() {
  const closing = [...watches].map((socket) => new Promise((resolve) => socket.once('close', resolve)));
  for (const socket of watches) socket.destroy();
  const closingSessions = [...http2Sessions].map(
    (session) => new Promise((resolve) => session.once('close', resolve)),
  );
  for (const session of http2Sessions) session.destroy();
  await Promise.all([...closing, ...closingSessions]);
  return { open: watches.size + http2Watches };
}

serveRpc({
  closePools,
  keepAlive,
  rateLimited,
  handshakes,
  openWatches,
  openWatchesHttp2,
  closeWatches,
  countWatches: () => watches.size + http2Watches,
});
