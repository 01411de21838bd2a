import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type KubectlResult, runKubectl } from '@remoteler/testkit';
import { REMOTELER_CLIENT_BIN, type RunResult, runRemoteler } from './run-remoteler.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

/** What a started demo printed: the address, the CA pin and the passwords. */
export interface DemoQuickStart {
  readonly proxy: string;
  readonly pin: string;
  readonly passwords: Readonly<Record<'alice' | 'bob', string>>;
  readonly oidcIssuer: string;
}

/** Starts `remoteler-server start` (the demo) on a free port and reads its quick start. */
export async function startDemoProcess(
  stateDir: string,
  extraArgs: readonly string[] = [],
): Promise<{ process: ServerProcess; quickStart: DemoQuickStart }> {
  const server = startServerProcess(['start', '--state-dir', stateDir, '--port', '0', ...extraArgs], {
    HOME: stateDir,
  });
  try {
    await server.waitFor(/Stop with Ctrl-C/);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const out = server.stdout();
  const field = (pattern: RegExp) => {
    const match = pattern.exec(out);
    if (!match?.[1]) throw new Error(`the quick start has no ${pattern}:\n${out}`);
    return match[1];
  };
  return {
    process: server,
    quickStart: {
      proxy: field(/running on https:\/\/(localhost:\d+)/),
      pin: field(/CA pin:\s+(sha256:[0-9a-f]{64})/),
      passwords: { alice: field(/alice \/ (\S+)/), bob: field(/bob\s+\/ (\S+)/) },
      oidcIssuer: field(/embedded OpenID provider \((https:\/\/[^)]+)\)/),
    },
  };
}

/** A user's side of the walk: `remoteler` and kubectl with their own home, kubeconfig and cache. */
export interface UserSide {
  readonly env: Readonly<Record<string, string>>;
  readonly kubeconfig: string;
  remoteler(args: readonly string[], input?: string): Promise<RunResult>;
  kubectl(version: string, args: readonly string[]): Promise<KubectlResult>;
}

export async function userSide(dir: string): Promise<UserSide> {
  await mkdir(dir, { recursive: true });
  const kubeconfig = join(dir, 'kubeconfig');
  const env = { HOME: dir, REMOTELER_HOME: join(dir, 'remoteler'), KUBECONFIG: kubeconfig };
  return {
    env,
    kubeconfig,
    remoteler: (args, input) => runRemoteler(args, env, input),
    kubectl: (version, args) => runKubectl(version, args, { kubeconfig, cacheDir: join(dir, 'cache'), env }),
  };
}

export { REMOTELER_CLIENT_BIN };
