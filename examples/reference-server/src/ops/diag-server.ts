import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemotelerError } from '@remoteler/core';
import type { RemotelerLogger } from './logger.js';
import { redactText } from './redaction.js';

/** One named readiness condition. */
export interface ReadinessCheck {
  readonly name: string;
  readonly ok: boolean;
  /** Why it is not ok (shown to whoever can reach the diagnostics port; no secrets). */
  readonly message?: string;
  /**
   * A failure that degrades the server without making it unready (one cluster of several refusing
   * the Proxy): listed in `failing` and `degraded`, but `/readyz` still answers 200, so one bad
   * cluster does not take every Proxy replica out of its Service.
   */
  readonly degraded?: boolean;
}

/** What `/readyz` reports. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheck[];
}

/** Anything that renders Prometheus text (a {@link ServerMetrics}). */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

/** Options for {@link startDiagServer}. */
export interface DiagServerOptions {
  /** Address to listen on. Default `127.0.0.1` (loopback); in a pod, `0.0.0.0` so that kubelet probes and Prometheus reach it. */
  readonly host?: string;
  /** Port. Default 0 (a random free port; see `url`). */
  readonly port?: number;
  /** Served at `/metrics`; without it `/metrics` is 404. */
  readonly metrics?: MetricsSource;
  /** Asked on every `/readyz`. Default: always ready. A throw or a timeout counts as not ready. */
  readonly readiness?: () => Readiness | Promise<Readiness>;
  /** Longest wait for `readiness()`, in ms. Default 5 000. */
  readonly readinessTimeoutMs?: number;
  /** Where failures of `readiness()` and of rendering are logged. */
  readonly logger?: RemotelerLogger;
}

/** A running diagnostics server. */
export interface DiagServer {
  readonly server: Server;
  readonly address: AddressInfo;
  /** `http://host:port` (IPv6 hosts in brackets). */
  readonly url: string;
  /** Stops listening and closes every connection. Idempotent. */
  close(): Promise<void>;
}

function validate(options: DiagServerOptions): void {
  const problems: string[] = [];
  const port = options.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535))
    problems.push('port must be an integer in 0-65535');
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === ''))
    problems.push('host must be a non-empty string');
  if (options.readiness !== undefined && typeof options.readiness !== 'function')
    problems.push('readiness must be a function');
  if (options.metrics !== undefined && typeof options.metrics?.render !== 'function')
    problems.push('metrics must have render()');
  const timeout = options.readinessTimeoutMs;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1))
    problems.push('readinessTimeoutMs must be a positive integer');
  if (problems.length > 0)
    throw new RemotelerError(
      'RMT_CONFIG_INVALID',
      `invalid diagnostics server options: ${problems.join('; ')}`,
      {
        details: { problems },
      },
    );
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const JSON_TYPE = 'application/json; charset=utf-8';

async function askReadiness(options: DiagServerOptions): Promise<Readiness> {
  const readiness = options.readiness;
  if (!readiness) return { ready: true, checks: [] };
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(readiness),
      new Promise<Readiness>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              ready: false,
              checks: [
                { name: 'readiness', ok: false, message: 'the readiness checks did not answer in time' },
              ],
            }),
          options.readinessTimeoutMs ?? 5_000,
        );
        timer.unref();
      }),
    ]);
  } catch (error) {
    options.logger?.error({ err: error }, 'readiness check failed');
    return {
      ready: false,
      checks: [{ name: 'readiness', ok: false, message: 'the readiness check failed' }],
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the plain-HTTP diagnostics listener (loopback by default):
 * - `/healthz`: 200 while the process serves requests at all (liveness);
 * - `/readyz`: 200 when every readiness check passes, else 503; both with
 *   `{ ready, checks, failing }` as JSON (readiness);
 * - `/metrics`: the Prometheus text exposition, with its own Content-Type.
 *
 * Only GET and HEAD; anything else is 405, unknown paths 404. It is separate from the mTLS
 * listeners because probes and scrapers hold no Remoteler certificate, and it serves nothing secret.
 *
 * @throws RemotelerError `RMT_CONFIG_INVALID` for invalid options, `RMT_OPS_DIAG_PORT_IN_USE` when the
 * port is taken, `RMT_OPS_DIAG_LISTEN_FAILED` for other listen failures.
 */
export async function startDiagServer(options: DiagServerOptions = {}): Promise<DiagServer> {
  validate(options);
  const host = options.host ?? '127.0.0.1';
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, JSON_TYPE, JSON.stringify({ error: 'method not allowed' }));
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    }
    if (path === '/readyz') {
      const answer = await askReadiness(options);
      const checks = (Array.isArray(answer?.checks) ? answer.checks : []).map((check) => ({
        name: String(check.name),
        ok: check.ok === true,
        ...(check.message !== undefined && { message: redactText(String(check.message)) }),
        ...(check.degraded === true && { degraded: true }),
      }));
      // Fail closed: a failed check makes the server not ready whatever `ready` says, unless the
      // check itself says it only degrades the service.
      const ready = answer?.ready === true && checks.every((check) => check.ok || check.degraded === true);
      const failing = checks.filter((check) => !check.ok);
      const degraded = failing.filter((check) => check.degraded === true).map((check) => check.name);
      send(res, ready ? 200 : 503, JSON_TYPE, `${JSON.stringify({ ready, checks, failing, degraded })}\n`);
      return;
    }
    if (path === '/metrics' && options.metrics) {
      const text = await options.metrics.render();
      send(res, 200, options.metrics.contentType, text);
      return;
    }
    send(
      res,
      404,
      JSON_TYPE,
      JSON.stringify({ error: 'not found', paths: ['/healthz', '/readyz', '/metrics'] }),
    );
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.logger?.error({ err: error }, 'diagnostics request failed');
      if (!res.headersSent) send(res, 500, JSON_TYPE, JSON.stringify({ error: 'internal error' }));
      else res.destroy();
    });
  });
  // Probes open a connection per request; idle keep-alive sockets must not hold close() up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new RemotelerError(
              'RMT_OPS_DIAG_PORT_IN_USE',
              `the diagnostics port ${host}:${options.port ?? 0} is already in use`,
              { cause: error, details: { host, port: options.port ?? 0 } },
            )
          : new RemotelerError(
              'RMT_OPS_DIAG_LISTEN_FAILED',
              `the diagnostics server could not listen on ${host}:${options.port ?? 0} (${error.code ?? 'error'})`,
              { cause: error, details: { host, port: options.port ?? 0 } },
            ),
      );
    };
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    server,
    address,
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
