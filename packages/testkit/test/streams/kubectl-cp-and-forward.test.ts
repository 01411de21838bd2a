import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import { KubeApiSimulator, runKubectl, startKubectl, type WrittenKubeconfig } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { withoutDroppedReadinessLog } from './support/kubectl-stderr.js';

// kubectl cp and port-forward against the simulator, checking the fake container's filesystem and
// port handlers through `sim.runtime`, which outlives each connection.
let sim: KubeApiSimulator;
let admin: WrittenKubeconfig;
let dir: string;
let upstream: Server;
let upstreamPort: number;
const app = { namespace: 'default', pod: 'web-0', container: 'app' };

beforeAll(async () => {
  sim = await KubeApiSimulator.start({ seed: true });
  admin = await sim.adminKubeconfig();
  dir = await mkdtemp(join(tmpdir(), 'remoteler-kubectl-cp-'));
  upstream = createServer((socket) => {
    socket.once('data', (chunk) => socket.end(`upstream got: ${chunk.toString()}`));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as import('node:net').AddressInfo).port;
  sim.runtime.forwardPort('default', 'web-0', 8080, upstreamPort);
});

afterAll(async () => {
  await sim?.close();
  await new Promise((resolve) => upstream?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(['1.27', '1.30', '1.33'])('kubectl %s', (version) => {
  const options = () => ({ kubeconfig: admin.path, timeoutMs: 30_000 });
  const tag = version.replace('.', '-');

  it('cp copies a local file into the pod (test -d probe, then tar -xmf - -C <dir>)', async () => {
    const local = join(dir, `upload-${tag}.txt`);
    await writeFile(local, `uploaded by kubectl ${version}\n`);
    const result = await runKubectl(
      version,
      ['cp', local, `web-0:/tmp/dest-${tag}.txt`, '-c', 'app'],
      options(),
    );
    expect(result.code, result.stderr).toBe(0);
    // Two WebSocket sessions (1.30+): the test -d probe and tar; each may log its dropped empty first
    // message, a kubectl 1.30-1.33 race that loses nothing.
    expect(withoutDroppedReadinessLog(result.stderr, 2)).toBe('');
    const fs = sim.runtime.fileSystem(app);
    expect(fs.readFile(`/tmp/dest-${tag}.txt`).toString()).toBe(`uploaded by kubectl ${version}\n`);
    const commands = sim.runtime.sessions.map((session) => session.command.join(' '));
    expect(commands).toContain(`test -d /tmp/dest-${tag}.txt`);
    expect(
      commands.some((command) =>
        /^tar (--no-same-permissions --no-same-owner )?-?xmf - -C \/tmp$/.test(command),
      ),
    ).toBe(true);
  });

  it('cp copies a file out of the pod (tar cf - <path>) onto local disk', async () => {
    sim.runtime.fileSystem(app).writeFile(`/tmp/report-${tag}.txt`, 'line 1\nline 2\n');
    const local = join(dir, `download-${tag}.txt`);
    const result = await runKubectl(
      version,
      ['cp', `web-0:/tmp/report-${tag}.txt`, local, '-c', 'app'],
      options(),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(withoutDroppedReadinessLog(result.stderr)).toBe('');
    expect(await readFile(local, 'utf8')).toBe('line 1\nline 2\n');
    expect(sim.runtime.sessions.at(-1)?.command).toEqual(['tar', 'cf', '-', `/tmp/report-${tag}.txt`]);
  });

  it('cp --retries pipes tar through tail -c+<offset> in sh -c, and still copies the file', async () => {
    sim.runtime.fileSystem(app).writeFile(`/tmp/retry-${tag}.bin`, Buffer.alloc(70_000, 7));
    const local = join(dir, `retry-${tag}.bin`);
    const result = await runKubectl(
      version,
      ['cp', '--retries=2', `web-0:/tmp/retry-${tag}.bin`, local],
      options(),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(withoutDroppedReadinessLog(result.stderr)).toBe('');
    expect(await readFile(local)).toEqual(Buffer.alloc(70_000, 7));
    const [shell, flag, script] = sim.runtime.sessions.at(-1)?.command ?? [];
    expect([shell, flag]).toEqual(['sh', '-c']);
    expect(script).toMatch(new RegExp(`^tar cf - /tmp/retry-${tag}\\.bin \\| tail -c\\+?\\d+$`));
  });

  it('port-forward reaches a real TCP server the pod port forwards to', async () => {
    const forward = await startKubectl(version, ['port-forward', 'pod/web-0', ':8080'], {
      kubeconfig: admin.path,
    });
    try {
      const line = await forward.waitForOutput(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
      const localPort = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(line)![1]);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = tcpConnect(localPort, '127.0.0.1', () => socket.write(`hello ${version}`));
        let received = '';
        socket.on('data', (chunk) => {
          received += chunk.toString();
        });
        socket.on('end', () => resolve(received));
        socket.on('error', reject);
      });
      expect(answer).toBe(`upstream got: hello ${version}`);
    } finally {
      await forward.stop();
    }
  });

  it('port-forward to a port nothing listens on reports the error kubectl prints', async () => {
    sim.runtime.setPortHandler('default', 'web-0', 9999, null);
    const forward = await startKubectl(version, ['port-forward', 'pod/web-0', ':9999'], {
      kubeconfig: admin.path,
    });
    try {
      const line = await forward.waitForOutput(/Forwarding from 127\.0\.0\.1:(\d+) -> 9999/);
      const localPort = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(line)![1]);
      await new Promise<void>((resolve) => {
        const socket = tcpConnect(localPort, '127.0.0.1', () => socket.write('anyone?'));
        socket.on('close', () => resolve());
        socket.on('error', () => undefined);
      });
      await forward.waitForOutput(
        /an error occurred forwarding \d+ -> 9999: error forwarding port 9999 to pod/,
        {
          stream: 'stderr',
        },
      );
    } finally {
      await forward.stop();
    }
  });
});

describe('@kubernetes/client-node', () => {
  it('PortForward (the channel-based WebSocket protocol) reaches the real TCP server', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(admin.path);
    const output = new PassThrough();
    let received = '';
    output.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    const input = new PassThrough();
    // Without retries (the default) portForward resolves with the WebSocket itself.
    const ws = (await new PortForward(kc).portForward(
      'default',
      'web-0',
      [8080],
      output,
      null,
      input,
    )) as WebSocket;
    const closed = new Promise((resolve) => ws.once('close', resolve));
    input.write('from client-node');
    await closed;
    expect(received).toBe('upstream got: from client-node');
  });
});
