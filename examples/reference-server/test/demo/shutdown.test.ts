import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlPath, startKubectl, startPtyKubectl } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoQuickStart, startDemoProcess, userSide } from '../support/demo-walk.js';
import type { ServerProcess } from '../support/server-process.js';

// SIGTERM to the real `remoteler-server` (the demo, as the README starts it) while alice holds an
// open watch and an open `exec -it` through it: both end cleanly and the server exits 0.
// (test/ops/shutdown-kubectl.test.ts covers the same with an in-flight request held by the API
// server, which the demo's simulator cannot hold.)

const SLOW_TEST_MS = 180_000;

let dir: string;
let demo: { process: ServerProcess; quickStart: DemoQuickStart };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-demo-shutdown-'));
  demo = await startDemoProcess(join(dir, 'state'));
}, SLOW_TEST_MS);

afterAll(async () => {
  await demo?.process.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('remoteler-server on SIGTERM', () => {
  it(
    'ends an open watch and an open exec -it cleanly and exits 0',
    async () => {
      const { proxy, pin, passwords } = demo.quickStart;
      const user = await userSide(join(dir, 'alice'));
      // Certificates embedded in the kubeconfig, so the PTY-driven kubectl needs no exec plugin
      // (and no REMOTELER_HOME in its environment).
      const login = await user.remoteler(
        ['login', '--proxy', proxy, '--user', 'alice', '--ca-pin', pin, '--password-stdin', '--embed', 'dev'],
        `${passwords.alice}\n`,
      );
      expect(login.code, login.stderr).toBe(0);

      const shell = await startPtyKubectl(kubectlPath('1.33'), user.kubeconfig, [
        'exec',
        '-it',
        'web-0',
        '--',
        'sh',
      ]);
      const watch = await startKubectl('1.33', ['get', 'pods', '-w'], {
        kubeconfig: user.kubeconfig,
        cacheDir: join(dir, 'alice', 'cache'),
      });
      try {
        await shell.waitFor('/ # ');
        await watch.waitForOutput('web-0');

        demo.process.child.kill('SIGTERM');

        const watchResult = await watch.exited;
        expect(watchResult.code, watchResult.stderr).toBe(0);
        expect(watchResult.stderr).not.toMatch(/unexpected EOF|connection reset|error/i);
        await shell.exited;
        expect(shell.output).toContain('the Remoteler Proxy is shutting down');
        expect(shell.output).not.toMatch(/1006|abnormal closure|unexpected EOF/);
        expect(await demo.process.exited).toBe(0);
      } finally {
        shell.kill();
        await watch.stop();
      }
    },
    SLOW_TEST_MS,
  );
});
