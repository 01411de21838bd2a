import { parseArgs } from 'node:util';
import { RemotelerError } from '@remoteler/core';
import { KubeApiSimulator } from '../simulator.js';

const USAGE = `usage: remoteler-kube-sim [--port N] [--version v1.33.1] [--seed] [--kubeconfig FILE]

Starts the Remoteler Kubernetes API simulator on 127.0.0.1 until SIGINT or SIGTERM.
  --port N           listen port (default: a random free port)
  --version V        what /version reports (default v1.33.1)
  --seed             add demo namespaces, pods, a deployment, a service and a config map
  --kubeconfig FILE  write an admin kubeconfig (mode 0600) to FILE
  --help             print this text`;

/** Where the CLI writes and what stops it. */
export interface SimulatorCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Stops the simulator when aborted. Default: SIGINT or SIGTERM. */
  readonly stop?: AbortSignal;
  /** Called once the simulator listens (tests use it to reach the instance). */
  readonly onListening?: (sim: KubeApiSimulator) => void;
}

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * The `remoteler-kube-sim` command: parses flags, starts a {@link KubeApiSimulator}, prints where it
 * listens, optionally writes an admin kubeconfig, and runs until stopped.
 *
 * @returns the exit code (0 after a clean stop, 2 for bad flags, 1 when it cannot start).
 */
export async function runSimulatorCli(argv: readonly string[], io: SimulatorCliIo): Promise<number> {
  let values: { port?: string; version?: string; seed?: boolean; kubeconfig?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        version: { type: 'string' },
        seed: { type: 'boolean' },
        kubeconfig: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr(`RMT_TESTKIT_OPTIONS_INVALID: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || port > 65535) {
    io.stderr(`RMT_TESTKIT_OPTIONS_INVALID: --port must be a number from 0 to 65535, got "${values.port}"\n`);
    return 2;
  }
  let sim: KubeApiSimulator;
  try {
    const version = values.version && !values.version.startsWith('v') ? `v${values.version}` : values.version;
    sim = await KubeApiSimulator.start({ port, ...(version ? { version } : {}), seed: values.seed === true });
  } catch (error) {
    io.stderr(`${RemotelerError.is(error) ? error.userMessage : String(error)}\n`);
    return RemotelerError.hasCode(error, 'RMT_TESTKIT_OPTIONS_INVALID') ? 2 : 1;
  }
  try {
    if (values.kubeconfig) await sim.adminKubeconfig({ path: values.kubeconfig });
    io.stdout(`remoteler-kube-sim listening on ${sim.url}\n`);
    if (values.kubeconfig) io.stdout(`admin kubeconfig written to ${values.kubeconfig}\n`);
    io.onListening?.(sim);
    const stop = io.stop;
    await (stop
      ? new Promise<void>((resolve) => {
          if (stop.aborted) resolve();
          stop.addEventListener('abort', () => resolve(), { once: true });
        })
      : untilSignal());
  } finally {
    await sim.close();
  }
  io.stdout('remoteler-kube-sim stopped\n');
  return 0;
}
