// The process a shutdown test sends SIGTERM to: a real Proxy in front of the simulator, with the
// ops logger, metrics, session drain and shutdown coordinator wired as a server would wire them.
// Bundled by the test with esbuild and run with plain node. Protocol on stdout, one line each:
// `ready <kubeconfig path>`, `watch` (a watch reached the Proxy), `held` (the in-flight request).
import type { ProxyStep } from '@remoteler/proxy';
import {
  createLogger,
  createMetricsAuditSink,
  createServerMetrics,
  createSessionDrain,
  createShutdown,
} from '../../../src/ops/index.js';
import { startProxyStack } from './proxy-stack.js';

const dir = process.env.OPS_DIR ?? '';
const deadlineMs = Number(process.env.OPS_DEADLINE_MS ?? '15000');
const logger = createLogger({ destination: 2, level: 'info' });
const metrics = createServerMetrics();
const drain = createSessionDrain({ logger });
let release = () => {};
const released = new Promise<void>((resolve) => {
  release = resolve;
});
// Holds `get pod slow` until the shutdown has begun, so that it is in flight during SIGTERM.
const hold: ProxyStep = {
  name: 'test-hold',
  async run(exchange) {
    if (exchange.attributes?.verb === 'watch') process.stdout.write('watch\n');
    if (exchange.attributes?.verb === 'get' && exchange.attributes.name === 'slow') {
      process.stdout.write('held\n');
      await released;
    }
  },
};
const stack = await startProxyStack(dir, {
  steps: [metrics.proxyStep, drain.step, { after: 'authorize', step: hold }],
  onAudit: (event) => metrics.onProxyAudit(event),
  auditSink: createMetricsAuditSink(metrics),
  onError: (error) => logger.error({ err: error }, 'proxy error'),
});
const shutdown = createShutdown({ deadlineMs, logger });
shutdown.add('simulator', () => stack.sim.close());
shutdown.add('proxy', async (signal) => {
  const closing = stack.proxy.close();
  await drain.endAll(signal);
  await closing;
});
shutdown.add('metrics', () => metrics.close());
// Added last, so it runs first: the held request may go on once SIGTERM arrived (unless the test
// wants a shutdown that cannot finish in time).
if (process.env.OPS_HOLD_FOREVER !== '1') shutdown.add('release-held-request', () => release());
shutdown.install();
process.stdout.write(`ready ${stack.kubeconfig.path}\n`);
