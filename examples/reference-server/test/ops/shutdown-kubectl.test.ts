import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectlPath, startKubectl, startPtyKubectl } from '@remoteler/testkit';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// SIGTERM to a process running a real Proxy (see support/shutdown-child.ts) while kubectl holds an
// open watch (1.33), open `exec -it` sessions (1.33 over WebSocket, 1.27 over SPDY) and a request in
// flight: each client sees a clean end and the process exits 0 within its deadline.

const root = fileURLToPath(new URL('../../../../', import.meta.url));
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remoteler-ops-shutdown-'));
  // Inside the work tree so that the bundle's external packages (pino, undici…) resolve from the
  // root node_modules; the @remoteler packages are bundled from their TypeScript sources.
  const out = join(root, 'node_modules', '.cache', 'remoteler-ops-tests');
  await mkdir(out, { recursive: true });
  bundle = join(out, `shutdown-child-${process.pid}-${Date.now()}.mjs`);
  await build({
    entryPoints: [fileURLToPath(new URL('./support/shutdown-child.ts', import.meta.url))],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    alias: Object.fromEntries(
      ['core', 'ca', 'proxy', 'testkit'].map((name) => [
        `@remoteler/${name}`,
        join(root, 'packages', name, 'src', 'index.ts'),
      ]),
    ),
    plugins: [
      {
        name: 'remoteler-subpaths',
        setup(context) {
          context.onResolve({ filter: /^@remoteler\/[a-z-]+\/[a-z-]+$/ }, (args) => {
            const [, name, sub] = /^@remoteler\/([a-z-]+)\/([a-z-]+)$/.exec(args.path)!;
            return { path: join(root, 'packages', name!, 'src', sub!, 'index.ts') };
          });
          context.onResolve({ filter: /^@remoteler\/[a-z-]+$/ }, (args) => ({
            path: join(root, 'packages', args.path.slice('@remoteler/'.length), 'src', 'index.ts'),
          }));
        },
      },
    ],
    logLevel: 'silent',
  });
});

afterAll(async () => {
  if (bundle) await rm(bundle, { force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Child {
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitForLine(prefix: string): Promise<string>;
  readonly exited: Promise<number | null>;
}

function startChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, [bundle], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      for (const w of [...waiters]) w();
      resolve(code);
    }),
  );
  let closed = false;
  void exited.then(() => {
    closed = true;
  });
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine: (prefix) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const line = out.split('\n').find((l) => l.startsWith(prefix));
          if (line !== undefined) {
            waiters.delete(check);
            resolve(line);
          } else if (closed) {
            waiters.delete(check);
            reject(new Error(`the child exited before printing "${prefix}": ${err}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

describe('SIGTERM to a process running the Proxy', () => {
  it('ends an open watch and open exec -it sessions (WebSocket and SPDY) cleanly, completes the in-flight request and exits 0 within the deadline', async () => {
    const child = startChild({ OPS_DIR: dir, OPS_DEADLINE_MS: '20000' });
    try {
      const kubeconfig = (await child.waitForLine('ready ')).slice('ready '.length);
      const execShell = ['exec', '-it', 'web-0', '--', 'sh'];
      const shell = await startPtyKubectl(kubectlPath('1.33'), kubeconfig, execShell);
      // kubectl 1.27 speaks SPDY/3.1 for exec (k8s-protocols §5.1).
      const spdyShell = await startPtyKubectl(kubectlPath('1.27'), kubeconfig, execShell);
      const watch = await startKubectl('1.33', ['get', 'pods', '-w'], { kubeconfig });
      const slow = await startKubectl('1.33', ['get', 'pod', 'slow'], { kubeconfig });
      try {
        await shell.waitFor('/ # ');
        await spdyShell.waitFor('/ # ');
        await child.waitForLine('watch');
        await watch.waitForOutput('web-0');
        await child.waitForLine('held');

        child.process.kill('SIGTERM');

        // The in-flight request completes with its answer.
        const slowResult = await slow.exited;
        expect(slowResult.code, slowResult.stderr).toBe(0);
        expect(slowResult.stdout).toContain('slow');
        // The watch ends the way an API server ends one: kubectl prints what it got and exits 0.
        const watchResult = await watch.exited;
        expect(watchResult.code, watchResult.stderr).toBe(0);
        expect(watchResult.stderr).not.toMatch(/unexpected EOF|connection reset|error/i);
        // The exec session is closed with the Proxy's reason, not a broken connection (1006).
        await shell.exited;
        expect(shell.output).toContain('the Remoteler Proxy is shutting down');
        expect(shell.output).not.toMatch(/1006|abnormal closure|unexpected EOF/);
        // Over SPDY too: the Status on the session's error stream, then the end of the connection.
        expect(await spdyShell.exited).toBe(1);
        expect(spdyShell.output).toContain('the Remoteler Proxy is shutting down');
        // Within the deadline (a timeout would exit 1).
        expect(await child.exited).toBe(0);
      } finally {
        shell.kill();
        spdyShell.kill();
        await watch.stop();
        await slow.stop();
      }
      const lines = child
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg?: string; code?: number });
      expect(lines.find((l) => l.msg === 'shutdown finished')).toMatchObject({ code: 0 });
    } finally {
      child.process.kill('SIGKILL');
      await child.exited;
    }
  });

  it('forces the exit with code 1 at the deadline when a request cannot finish, and logs what was pending', async () => {
    const child = startChild({ OPS_DIR: dir, OPS_DEADLINE_MS: '1000', OPS_HOLD_FOREVER: '1' });
    try {
      const kubeconfig = (await child.waitForLine('ready ')).slice('ready '.length);
      const stuck = await startKubectl('1.33', ['get', 'pod', 'slow'], { kubeconfig });
      try {
        await child.waitForLine('held');
        child.process.kill('SIGTERM');
        expect(await child.exited).toBe(1);
        // The process is gone, so the request it held is cut: kubectl fails rather than hanging.
        expect((await stuck.exited).code).not.toBe(0);
      } finally {
        await stuck.stop();
      }
      const lines = child
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg?: string; pending?: string[]; err?: { code?: string } });
      expect(lines.find((l) => l.msg === 'shutdown deadline exceeded')).toMatchObject({
        pending: ['proxy'],
        err: { code: 'RMT_OPS_SHUTDOWN_DEADLINE_EXCEEDED' },
      });
    } finally {
      child.process.kill('SIGKILL');
      await child.exited;
    }
  });
});
