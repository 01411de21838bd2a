import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KubeApiSimulator, runKubectl, runSimulatorCli } from '@remoteler/testkit';
import { describe, expect, it } from 'vitest';

function capture() {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

describe('remoteler-kube-sim', () => {
  it('starts seeded, writes an admin kubeconfig that kubectl uses, and stops when told', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'testkit-cli-'));
    const kubeconfig = join(dir, 'admin.yaml');
    const stop = new AbortController();
    const output = capture();
    let listening!: (sim: KubeApiSimulator) => void;
    const started = new Promise<KubeApiSimulator>((resolve) => {
      listening = resolve;
    });
    const exit = runSimulatorCli(['--seed', '--version', '1.30.2', '--kubeconfig', kubeconfig], {
      ...output.io,
      stop: stop.signal,
      onListening: listening,
    });
    try {
      const sim = await started;
      expect(output.out).toContain(`listening on ${sim.url}`);
      expect((await stat(kubeconfig)).mode & 0o777).toBe(0o600);
      const pods = await runKubectl('1.30', ['get', 'pods', '-n', 'default', '-o', 'name'], { kubeconfig });
      expect(pods.stdout).toBe('pod/web-0\npod/web-1\n');
      const version = await runKubectl('1.30', ['version', '-o', 'json'], { kubeconfig });
      expect(JSON.parse(version.stdout).serverVersion.gitVersion).toBe('v1.30.2');
    } finally {
      stop.abort();
      expect(await exit).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
    expect(output.out).toContain('stopped');
  });

  it('refuses an unknown flag with exit code 2 and the usage', async () => {
    const output = capture();
    expect(await runSimulatorCli(['--nope'], output.io)).toBe(2);
    expect(output.err).toContain('RMT_TESTKIT_OPTIONS_INVALID');
    expect(output.err).toContain('usage: remoteler-kube-sim');
  });

  it('refuses a port that is not a number', async () => {
    const output = capture();
    expect(await runSimulatorCli(['--port', 'abc'], output.io)).toBe(2);
    expect(output.err).toContain('--port must be a number');
  });
});
