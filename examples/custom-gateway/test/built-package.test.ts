import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Vitest compiles the sources with decorator metadata; tsup (esbuild) does not emit it. This runs
// the *built* package in a plain Node process, where tsyringe must build the decorated
// ProxyAuditBridge from its @inject tokens alone.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('the built package', () => {
  it('resolves its decorated class through tsyringe without decorator metadata', async () => {
    if (!existsSync(built)) throw new Error('examples/custom-gateway has no dist/: run npm run build first');
    const script = `
      import { MemoryAuditSink } from '@remoteler/core';
      import { AUDIT_SINK, createContainer } from '@remoteler/core/di';
      import { ERROR_HANDLER, ProxyAuditBridge, startGateway } from '@remoteler/custom-gateway-example';
      const sink = new MemoryAuditSink();
      const container = createContainer().registerValue(AUDIT_SINK, sink).registerValue(ERROR_HANDLER, () => {});
      const bridge = container.tsyringe.resolve(ProxyAuditBridge);
      bridge.record({
        kind: 'request', method: 'GET', path: '/k8s/dev/api/v1/namespaces/default/pods/web-0',
        verb: 'get', apiGroup: '', resource: 'pods', namespace: 'default', name: 'web-0',
        username: 'alice', cluster: 'dev', status: 403, errorCode: 'RMT_POLICY_REQUEST_DENIED',
        startedAt: new Date(0), durationMs: 1,
      });
      await bridge.close();
      console.log(JSON.stringify({ startGateway: typeof startGateway, events: sink.snapshot() }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const result = JSON.parse(stdout.trim());
    expect(result.startGateway).toBe('function');
    expect(result.events).toMatchObject([
      {
        type: 'kube.request',
        user: 'alice',
        cluster: 'dev',
        verb: 'get',
        resource: 'pods',
        name: 'web-0',
        allowed: false,
        status: 403,
        errorCode: 'RMT_POLICY_REQUEST_DENIED',
        time: '1970-01-01T00:00:00.000Z',
      },
    ]);
  });
});
