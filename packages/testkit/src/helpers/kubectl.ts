import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { RemotelerError } from '@remoteler/core';

/** Finds an executable on PATH. */
function which(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/**
 * The full path of a versioned kubectl, e.g. `kubectlPath('1.30')`. The versioned binaries live
 * beside the real file that `kubectl` on PATH resolves to (`readlink -f "$(command -v kubectl)"`);
 * plain `kubectl` there is a dispatcher that picks a version from the server's /version.
 *
 * @throws RemotelerError `RMT_TESTKIT_KUBECTL_NOT_FOUND` when it is not installed.
 */
export function kubectlPath(version: string): string {
  if (!/^1\.\d+$/.test(version)) {
    throw new RemotelerError(
      'RMT_TESTKIT_OPTIONS_INVALID',
      `kubectl version must look like "1.30", got "${version}"`,
    );
  }
  const onPath = which('kubectl');
  if (!onPath) {
    throw new RemotelerError(
      'RMT_TESTKIT_KUBECTL_NOT_FOUND',
      `no kubectl on PATH, so kubectl.${version} cannot be located`,
    );
  }
  const candidate = join(dirname(realpathSync(onPath)), `kubectl.${version}`);
  if (!existsSync(candidate)) {
    throw new RemotelerError(
      'RMT_TESTKIT_KUBECTL_NOT_FOUND',
      `kubectl ${version} is not installed: ${candidate} does not exist`,
    );
  }
  return candidate;
}

/** Options for {@link runKubectl} and {@link startKubectl}. */
export interface KubectlRunOptions {
  /** Passed as `--kubeconfig`. */
  readonly kubeconfig?: string;
  /** Passed as `--cache-dir`. Default: a fresh temporary directory, removed afterwards. */
  readonly cacheDir?: string;
  /** Written to stdin, which is then closed. Default: stdin closed at once. */
  readonly input?: string | Buffer;
  /** Added to a minimal environment (PATH, HOME, LANG). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill after this many ms. Default 60 000 (run) / none (start). */
  readonly timeoutMs?: number;
}

/** What a kubectl run produced. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function binaryFor(versionOrPath: string): string {
  return versionOrPath.includes('/') ? versionOrPath : kubectlPath(versionOrPath);
}

async function prepare(options: KubectlRunOptions, args: readonly string[]) {
  let cacheDir = options.cacheDir;
  let cleanup = async () => {};
  if (!cacheDir) {
    const dir = await mkdtemp(join(tmpdir(), 'remoteler-kubectl-cache-'));
    cacheDir = dir;
    cleanup = () => rm(dir, { recursive: true, force: true });
  }
  const fullArgs = [
    ...(options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : []),
    '--cache-dir',
    cacheDir,
    ...args,
  ];
  // A minimal environment, so that the developer's KUBECONFIG or kubectl settings never leak in.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: cacheDir,
    LANG: 'C.UTF-8',
    ...options.env,
  };
  return { fullArgs, env, cleanup };
}

/** A running kubectl (for `get -w`, `logs -f`, `port-forward`). */
export interface KubectlProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when stdout (or stderr with `{ stream: 'stderr' }`) matches. */
  waitForOutput(
    match: string | RegExp,
    options?: { timeoutMs?: number; stream?: 'stdout' | 'stderr' },
  ): Promise<string>;
  /** Writes to stdin. */
  write(data: string | Buffer): void;
  /** Resolves when the process exits. */
  readonly exited: Promise<KubectlResult>;
  /** SIGTERM (then SIGKILL after 2 s) and wait for exit. Idempotent. */
  stop(): Promise<KubectlResult>;
}

/** Starts kubectl and returns at once; the caller awaits output or exit. */
export async function startKubectl(
  versionOrPath: string,
  args: readonly string[],
  options: KubectlRunOptions = {},
): Promise<KubectlProcess> {
  const binary = binaryFor(versionOrPath);
  const { fullArgs, env, cleanup } = await prepare(options, args);
  const child = spawn(binary, fullArgs, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const l of [...listeners]) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const l of [...listeners]) l();
  });
  child.stdin!.on('error', () => {});
  if (options.input !== undefined) child.stdin!.end(options.input);
  let timer: NodeJS.Timeout | undefined;
  if (options.timeoutMs) {
    timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    timer.unref();
  }
  const exited = new Promise<KubectlResult>((resolve) => {
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      for (const l of [...listeners]) l();
      void cleanup().finally(() => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    });
  });
  let exitedFlag = false;
  void exited.then(() => {
    exitedFlag = true;
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    write(data) {
      child.stdin!.write(data);
    },
    exited,
    waitForOutput(match, opts = {}) {
      const read = () => (opts.stream === 'stderr' ? stderr : stdout);
      const test = () => (typeof match === 'string' ? read().includes(match) : match.test(read()));
      if (test()) return Promise.resolve(read());
      return new Promise((resolve, reject) => {
        const check = () => {
          if (test()) return done(() => resolve(read()));
          if (exitedFlag || child.exitCode !== null) {
            done(() =>
              reject(
                new RemotelerError(
                  'RMT_TESTKIT_WAIT_TIMEOUT',
                  `kubectl exited before printing ${String(match)}; stdout: ${stdout} stderr: ${stderr}`,
                ),
              ),
            );
          }
        };
        const t = setTimeout(
          () =>
            done(() =>
              reject(
                new RemotelerError(
                  'RMT_TESTKIT_WAIT_TIMEOUT',
                  `kubectl did not print ${String(match)}; stdout: ${stdout} stderr: ${stderr}`,
                ),
              ),
            ),
          opts.timeoutMs ?? 15_000,
        );
        t.unref();
        const done = (fn: () => void) => {
          clearTimeout(t);
          listeners.delete(check);
          fn();
        };
        listeners.add(check);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
        kill.unref();
        const result = await exited;
        clearTimeout(kill);
        return result;
      }
      return exited;
    },
  };
}

/**
 * Runs kubectl to completion: `runKubectl('1.30', ['get', 'pods'], { kubeconfig })`. The version
 * is resolved with {@link kubectlPath}; a value containing `/` is used as the binary path.
 *
 * @throws RemotelerError `RMT_TESTKIT_KUBECTL_TIMEOUT` when it runs longer than `timeoutMs` (default 60 s).
 */
export async function runKubectl(
  versionOrPath: string,
  args: readonly string[],
  options: KubectlRunOptions = {},
): Promise<KubectlResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const proc = await startKubectl(versionOrPath, args, {
    ...options,
    timeoutMs: undefined as never,
    input: options.input ?? '',
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.child.kill('SIGKILL');
  }, timeoutMs);
  timer.unref();
  const result = await proc.exited;
  clearTimeout(timer);
  if (timedOut) {
    throw new RemotelerError(
      'RMT_TESTKIT_KUBECTL_TIMEOUT',
      `kubectl ${args.join(' ')} ran longer than ${timeoutMs} ms; stderr: ${result.stderr}`,
    );
  }
  return result;
}
