import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerMetrics, type DiagServer, startDiagServer } from '../../src/ops/index.js';
import { parseMetrics, sampleValue } from './support/prometheus.js';

const started: DiagServer[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) await server.close();
});

async function start(options: Parameters<typeof startDiagServer>[0]) {
  const server = await startDiagServer(options);
  started.push(server);
  return server;
}

describe('startDiagServer', () => {
  it('listens on loopback by default and answers /healthz while the process is alive', async () => {
    const diag = await start({});
    expect(diag.address.address).toBe('127.0.0.1');
    const response = await fetch(`${diag.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok\n');
  });

  it('answers /readyz 200 when every check passes and 503 with the failing checks otherwise', async () => {
    let ready = true;
    const diag = await start({
      readiness: () => ({
        ready,
        checks: [
          { name: 'auth', ok: true },
          { name: 'cluster:prod', ok: ready, ...(ready ? {} : { message: 'Bearer abc.def refused' }) },
        ],
      }),
    });
    const ok = await fetch(`${diag.url}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ready: true, failing: [] });
    ready = false;
    const failing = await fetch(`${diag.url}/readyz`);
    expect(failing.status).toBe(503);
    expect(failing.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await failing.json()) as { ready: boolean; failing: { name: string; message: string }[] };
    expect(body.ready).toBe(false);
    expect(body.failing).toEqual([{ name: 'cluster:prod', ok: false, message: 'Bearer [REDACTED] refused' }]);
  });

  it('stays ready with a degraded check failing (one cluster of several), and names it', async () => {
    const diag = await start({
      readiness: () => ({
        ready: true,
        checks: [
          { name: 'proxy', ok: true },
          { name: 'cluster:prod', ok: false, degraded: true, message: 'RMT_PROXY_UPSTREAM_UNAVAILABLE' },
        ],
      }),
    });
    const response = await fetch(`${diag.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      ready: true,
      degraded: ['cluster:prod'],
      failing: [{ name: 'cluster:prod', ok: false, degraded: true }],
    });
  });

  it('is not ready when a check fails even if ready is claimed, or when the readiness function throws', async () => {
    const claims = await start({
      readiness: () => ({ ready: true, checks: [{ name: 'store', ok: false }] }),
    });
    expect((await fetch(`${claims.url}/readyz`)).status).toBe(503);
    const throws = await start({
      readiness: () => {
        throw new Error('boom');
      },
    });
    const response = await fetch(`${throws.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ failing: [{ name: 'readiness', ok: false }] });
  });

  it('serves /metrics in the Prometheus text format with its content type', async () => {
    const metrics = createServerMetrics({ processMetrics: false });
    metrics.onAuditEvent({
      id: '1',
      type: 'login.success',
      code: 'R1000I',
      time: new Date().toISOString(),
      user: 'alice',
      connectorId: 'local',
      userType: 'local',
      roles: ['developer'],
    });
    const diag = await start({ metrics });
    const response = await fetch(`${diag.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parseMetrics(await response.text());
    expect(
      sampleValue(families, 'remoteler_auth_logins_total', { connector: 'local', result: 'success' }),
    ).toBe(1);
    metrics.close();
  });

  it('answers 404 for unknown paths and 405 for methods other than GET and HEAD', async () => {
    const diag = await start({});
    expect((await fetch(`${diag.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${diag.url}/nothing`)).status).toBe(404);
    const post = await fetch(`${diag.url}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('reports a taken port with RMT_OPS_DIAG_PORT_IN_USE, and close() is idempotent', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startDiagServer({ port })).rejects.toMatchObject({ code: 'RMT_OPS_DIAG_PORT_IN_USE' });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const diag = await startDiagServer({});
    await diag.close();
    await diag.close();
    expect(diag.server.listening).toBe(false);
  });
});
