import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditEvent, MemoryAuditSink } from '@remoteler/core';
import type { ProxyAuditEvent } from '@remoteler/proxy';
import {
  type KubectlProcess,
  kubectlPath,
  runKubectl,
  startKubectl,
  startPtyKubectl,
} from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  createMetricsAuditSink,
  createProxyRequestLog,
  createServerMetrics,
  type DiagServer,
  type ServerMetrics,
  startDiagServer,
} from '../../src/ops/index.js';
import { eventWaiter } from './support/event-waiter.js';
import { captureLog } from './support/log-capture.js';
import { family, histogramCount, parseMetrics, sampleValue } from './support/prometheus.js';
import { OPS_NAMESPACE, type ProxyStack, startProxyStack } from './support/proxy-stack.js';

// /metrics of a real Proxy (createProxy + the testkit simulator) moved by real kubectl 1.33 traffic,
// read over HTTP from the diagnostics server and parsed by an independent Prometheus text parser.

let dir: string;
let metrics: ServerMetrics;
let stack: ProxyStack;
let diag: DiagServer;
let cacheDir: string;
const audit = new MemoryAuditSink();
const exchanges = eventWaiter<ProxyAuditEvent>();
const auditEvents = eventWaiter<AuditEvent>();
const log = captureLog();
const requestLog = createProxyRequestLog({ logger: createLogger({ destination: log.stream }) });

async function scrapeText(): Promise<string> {
  const response = await fetch(`${diag.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return response.text();
}

async function scrape() {
  return parseMetrics(await scrapeText());
}

function kubectl(args: readonly string[]) {
  return runKubectl('1.33', args, { kubeconfig: stack.kubeconfig.path, cacheDir, timeoutMs: 30_000 });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remoteler-ops-metrics-'));
  cacheDir = await mkdtemp(join(dir, 'cache-'));
  metrics = createServerMetrics();
  stack = await startProxyStack(dir, {
    steps: [metrics.proxyStep, requestLog.step],
    onAudit: (event) => {
      metrics.onProxyAudit(event);
      requestLog.onAudit(event);
      exchanges.push(event);
    },
    auditSink: createMetricsAuditSink(metrics, {
      capabilities: audit.capabilities,
      emit: async (event) => {
        await audit.emit(event);
        auditEvents.push(event);
      },
      flush: () => audit.flush(),
      close: () => audit.close(),
    }),
  });
  diag = await startDiagServer({ metrics });
});

afterAll(async () => {
  await diag?.close();
  await stack?.close();
  metrics?.close();
  await audit.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('/metrics with kubectl 1.33 through a real Proxy', () => {
  it('parses as Prometheus text with every Remoteler metric and the process metrics', async () => {
    const families = await scrape();
    for (const name of [
      'remoteler_proxy_requests_total',
      'remoteler_proxy_request_duration_seconds',
      'remoteler_proxy_open_watches',
      'remoteler_proxy_open_sessions',
      'remoteler_proxy_sessions_total',
      'remoteler_auth_certificates_issued_total',
      'remoteler_auth_logins_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ])
      expect(family(families, name).name).toBe(name);
    expect(family(families, 'remoteler_proxy_request_duration_seconds').type).toBe('HISTOGRAM');
    expect(family(families, 'remoteler_proxy_requests_total').type).toBe('COUNTER');
    expect(sampleValue(families, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts get pods by cluster, verb and code, and observes its latency', async () => {
    const labels = { cluster: 'dev', verb: 'list', code: '200' };
    const beforeText = await scrapeText();
    const before = parseMetrics(beforeText);
    const result = await kubectl(['get', 'pods']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('web-0');
    const afterText = await scrapeText();
    const after = parseMetrics(afterText);
    expect(sampleValue(after, 'remoteler_proxy_requests_total', labels)).toBeGreaterThan(
      sampleValue(before, 'remoteler_proxy_requests_total', labels),
    );
    const latency = { cluster: 'dev', verb: 'list' };
    expect(histogramCount(afterText, 'remoteler_proxy_request_duration_seconds', latency)).toBeGreaterThan(
      histogramCount(beforeText, 'remoteler_proxy_request_duration_seconds', latency),
    );
    expect(family(after, 'remoteler_proxy_request_duration_seconds').type).toBe('HISTOGRAM');
  });

  it('counts a refused request under its status code', async () => {
    const labels = { cluster: 'dev', code: '404' };
    const before = await scrape();
    const result = await kubectl(['get', 'pod', 'missing-pod']);
    expect(result.code).not.toBe(0);
    const after = await scrape();
    const count = (families: typeof after) =>
      family(families, 'remoteler_proxy_requests_total')
        .metrics.filter((m) => m.labels?.cluster === labels.cluster && m.labels?.code === labels.code)
        .reduce((sum, m) => sum + Number(m.value), 0);
    expect(count(after)).toBeGreaterThan(count(before));
  });

  it('shows an open get pods -w as an open watch until it ends, then counts it under verb watch', async () => {
    const before = await scrape();
    const startedAt = Date.now();
    let watch: KubectlProcess | undefined;
    try {
      watch = await startKubectl('1.33', ['get', 'pods', '-w'], {
        kubeconfig: stack.kubeconfig.path,
        cacheDir,
      });
      await watch.waitForOutput('web-0');
      // kubectl prints the list before its watch request is relayed; a new pod shows the watch is live.
      stack.sim.createObject({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'watched-1', namespace: OPS_NAMESPACE },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      });
      await watch.waitForOutput('watched-1');
      const during = await scrape();
      expect(sampleValue(during, 'remoteler_proxy_open_watches', { cluster: 'dev' })).toBe(1);
    } finally {
      await watch?.stop();
    }
    // The Proxy reports the watch once its exchange ended (kubectl went away).
    // kubectl's list, then its watch: the Proxy reports the watch once the exchange ended.
    const podsFromThisTest = (e: ProxyAuditEvent) =>
      e.startedAt.getTime() >= startedAt && e.path.endsWith('/pods');
    await exchanges.waitFor(
      (e) => podsFromThisTest(e) && exchanges.events.filter(podsFromThisTest).length >= 2,
    );
    const watchDone = { cluster: 'dev', verb: 'watch', code: '200' };
    expect(sampleValue(await scrape(), 'remoteler_proxy_requests_total', watchDone)).toBeGreaterThan(
      sampleValue(before, 'remoteler_proxy_requests_total', watchDone),
    );
    expect(sampleValue(await scrape(), 'remoteler_proxy_open_watches', { cluster: 'dev' })).toBe(0);
  });

  it('counts an exec session and its 101 upgrade, and shows no open session once it ended', async () => {
    const before = await scrape();
    const result = await kubectl(['exec', 'web-0', '--', 'echo', 'metrics-exec']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('metrics-exec');
    const labels = { cluster: 'dev', kind: 'exec' };
    const end = await auditEvents.waitFor(
      (e) => e.type === 'session.end' && e.command.includes('metrics-exec'),
    );
    const after = await scrape();
    expect(sampleValue(after, 'remoteler_proxy_sessions_total', labels)).toBe(
      sampleValue(before, 'remoteler_proxy_sessions_total', labels) + 1,
    );
    expect(sampleValue(after, 'remoteler_proxy_open_sessions', labels)).toBe(0);
    // The upgrade itself is a request answered 101, under the verb the subresource gives it.
    const upgrade = { cluster: 'dev', verb: 'exec', code: '101' };
    expect(sampleValue(after, 'remoteler_proxy_requests_total', upgrade)).toBe(
      sampleValue(before, 'remoteler_proxy_requests_total', upgrade) + 1,
    );
    // The delegate sink got the events the metrics counted.
    const stored = await audit.search({ types: ['session.start'] });
    expect(
      stored.events.some(
        (e) =>
          e.type === 'session.start' &&
          'sessionId' in e &&
          e.sessionId === (end as { sessionId: string }).sessionId,
      ),
    ).toBe(true);
  });
  it('shows an open exec -it session as an open session of kind exec', async () => {
    const shell = await startPtyKubectl(kubectlPath('1.33'), stack.kubeconfig.path, [
      'exec',
      '-it',
      'web-0',
      '--',
      'sh',
    ]);
    try {
      await shell.waitFor('/ # ');
      await auditEvents.waitFor((e) => e.type === 'session.start' && e.tty);
      expect(
        sampleValue(await scrape(), 'remoteler_proxy_open_sessions', { cluster: 'dev', kind: 'exec' }),
      ).toBe(1);
      shell.write('exit\r');
      expect(await shell.exited).toBe(0);
    } finally {
      shell.kill();
    }
    await auditEvents.waitFor((e) => e.type === 'session.end' && e.tty);
    expect(
      sampleValue(await scrape(), 'remoteler_proxy_open_sessions', { cluster: 'dev', kind: 'exec' }),
    ).toBe(0);
  });
});

describe('the request log with kubectl 1.33 through a real Proxy', () => {
  it('logs each request once with the request id the client got in X-Request-Id', async () => {
    const result = await kubectl(['get', 'pod', 'web-0', '-v=8']);
    expect(result.code, result.stderr).toBe(0);
    const header = /X-Request-Id: ([0-9a-f-]{36})/i.exec(result.stderr);
    expect(header, result.stderr.slice(-2000)).not.toBeNull();
    const id = header![1]!;
    await log.waitFor(id);
    const lines = log.lines().filter((line) => line.reqId === id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'kube request',
      kind: 'request',
      method: 'GET',
      path: `/k8s/dev/api/v1/namespaces/${OPS_NAMESPACE}/pods/web-0`,
      status: 200,
      user: 'alice',
      cluster: 'dev',
      verb: 'get',
      namespace: OPS_NAMESPACE,
      resource: 'pods',
      kubernetesUser: 'alice',
    });
    // No header, body or certificate material in the line.
    expect(JSON.stringify(lines[0])).not.toMatch(/BEGIN|authorization|Bearer/i);
  });
});
