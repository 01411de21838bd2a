import { connect as tcpConnect } from 'node:net';
import { PassThrough } from 'node:stream';
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import {
  KubeApiSimulator,
  type KubectlRunOptions,
  kubectlPath,
  runKubectl,
  startKubectl,
  startPtyKubectl,
  type WrittenKubeconfig,
} from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawUpgrade } from '../support/https.js';

// Real kubectl against the KubeApiSimulator, whose HTTP layer authenticates, authorizes and finds the
// pod, then hands the upgrade to the streams module (cp and forwarding: kubectl-cp-and-forward.test.ts).
let sim: KubeApiSimulator;
let admin: WrittenKubeconfig;

beforeAll(async () => {
  sim = await KubeApiSimulator.start({ seed: true });
  admin = await sim.adminKubeconfig();
});

afterAll(async () => {
  await sim?.close();
});

describe.each([
  { version: '1.27', transport: 'SPDY' },
  { version: '1.30', transport: 'WebSocket v5' },
  { version: '1.33', transport: 'WebSocket v5' },
])('kubectl $version (exec over $transport)', ({ version }) => {
  const options = (): KubectlRunOptions => ({ kubeconfig: admin.path, timeoutMs: 30_000 });

  it('exec propagates stdout, stderr and the exit code', async () => {
    const result = await runKubectl(
      version,
      [
        'exec',
        'web-0',
        '-c',
        'app',
        '--',
        'sh',
        '-c',
        `echo to-stdout; echo to-stderr >&2; exit 7 # ${version}`,
      ],
      options(),
    );
    expect(result.stdout).toBe('to-stdout\n');
    expect(result.stderr).toContain('to-stderr\n');
    expect(result.stderr).toContain('command terminated with exit code 7');
    expect(result.code).toBe(7);
    const record = await sim.runtime.waitForSession(
      (session) => session.command.at(-1)?.endsWith(`# ${version}`) === true,
    );
    expect(record).toMatchObject({ kind: 'exec', container: 'app', exitCode: 7, user: 'kubernetes-admin' });
  });

  it('exec -i passes stdin through until EOF and exits 0', async () => {
    const result = await runKubectl(version, ['exec', '-i', 'web-0', '--', 'cat'], {
      ...options(),
      input: 'line one\nline two\n',
    });
    expect(result).toMatchObject({ code: 0, stdout: 'line one\nline two\n' });
  });

  it('exec -i carries 1 MiB of stdin through without flow-control stalls (§6.4)', async () => {
    const input = Buffer.alloc(1024 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789\n');
    const result = await runKubectl(version, ['exec', '-i', 'web-0', '--', 'cat'], { ...options(), input });
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(input.length);
    expect(result.stdout === input.toString()).toBe(true);
  });

  it('exec of an unknown command exits 127 with a message', async () => {
    const result = await runKubectl(version, ['exec', 'web-0', '--', 'no-such-tool'], options());
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('no-such-tool: not found');
  });

  it('exec -it drives the interactive shell through a pty', async () => {
    const session = await startPtyKubectl(kubectlPath(version), admin.path, [
      'exec',
      '-it',
      'web-0',
      '--',
      'sh',
    ]);
    try {
      await session.waitFor('/ # ');
      session.write('echo pty-ok\r');
      // The shell echoes the typed line, then prints the command's output with a terminal's \r\n.
      await session.waitFor('echo pty-ok\r\npty-ok\r\n');
      session.write('hostname\r');
      await session.waitFor('web-0\r\n');
      session.write('exit 5\r');
      expect(await session.exited).toBe(5);
    } finally {
      session.kill();
    }
  });

  it('attach -i connects to the main process, which echoes stdin', async () => {
    const result = await runKubectl(version, ['attach', '-i', 'web-0', '-c', 'app'], {
      ...options(),
      input: 'hello attach\n',
    });
    expect(result.stdout).toContain('hello attach\n');
    expect(result.code).toBe(0);
  });

  it('attach without stdin shows what the main process prints', async () => {
    const attach = await startKubectl(version, ['attach', 'web-0', '-c', 'app'], { kubeconfig: admin.path });
    try {
      await sim.runtime.waitForSession(
        (session) => session.kind === 'attach' && session.finishedAt === undefined,
        {
          started: true,
        },
      );
      await sim.runtime.writeToMainProcess(
        { namespace: 'default', pod: 'web-0', container: 'app' },
        `news for ${version}\n`,
      );
      await attach.waitForOutput(`news for ${version}\n`);
    } finally {
      await attach.stop();
    }
  });

  it('port-forward makes a real TCP round trip through the pod port', async () => {
    const forward = await startKubectl(version, ['port-forward', 'pod/web-0', ':80'], {
      kubeconfig: admin.path,
    });
    try {
      const line = await forward.waitForOutput(/Forwarding from 127\.0\.0\.1:(\d+) -> 80/);
      const localPort = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(line)![1]);
      const echoed = await new Promise<string>((resolve, reject) => {
        const socket = tcpConnect(localPort, '127.0.0.1', () => socket.write('round trip'));
        let received = '';
        socket.on('data', (chunk) => {
          received += chunk.toString();
          if (received === 'round trip') {
            socket.end();
            resolve(received);
          }
        });
        socket.on('error', reject);
      });
      expect(echoed).toBe('round trip');
    } finally {
      await forward.stop();
    }
  });
});

describe('transport choices', () => {
  it('kubectl 1.30 with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false uses SPDY; 1.30 by default uses WebSocket', async () => {
    const spdy = await runKubectl('1.30', ['exec', 'web-0', '--', 'echo', 'via-spdy'], {
      kubeconfig: admin.path,
      env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' },
    });
    expect(spdy).toMatchObject({ code: 0, stdout: 'via-spdy\n' });
    const ws = await runKubectl('1.30', ['exec', 'web-0', '--', 'echo', 'via-ws'], {
      kubeconfig: admin.path,
    });
    expect(ws).toMatchObject({ code: 0, stdout: 'via-ws\n' });
    const upgrades = sim.requests.filter((request) => request.upgrade && request.path.endsWith('/exec'));
    expect(
      upgrades.some((request) => request.method === 'POST' && request.query.command?.includes('via-spdy')),
    ).toBe(true);
    expect(
      upgrades.some((request) => request.method === 'GET' && request.query.command?.includes('via-ws')),
    ).toBe(true);
  });

  it.each([
    { version: '1.27', method: 'POST' },
    { version: '1.30', method: 'POST' },
    { version: '1.33', method: 'GET' },
  ])(
    'kubectl $version port-forward upgrades with $method (plain SPDY, or the WebSocket tunnel from 1.31)',
    async ({ version, method }) => {
      sim.clearRequests();
      const forward = await startKubectl(version, ['port-forward', 'pod/web-0', ':80'], {
        kubeconfig: admin.path,
      });
      try {
        const line = await forward.waitForOutput(/Forwarding from 127\.0\.0\.1:(\d+) -> 80/);
        const localPort = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(line)![1]);
        // The upgrade happens per local connection; make one.
        await new Promise<void>((resolve, reject) => {
          const socket = tcpConnect(localPort, '127.0.0.1', () => socket.write('x'));
          socket.once('data', () => {
            socket.end();
            resolve();
          });
          socket.on('error', reject);
        });
        const upgrades = sim.requests.filter(
          (request) => request.upgrade && request.path.endsWith('/portforward'),
        );
        expect(upgrades.at(-1)).toMatchObject({ method, status: 101 });
      } finally {
        await forward.stop();
      }
    },
  );
});

describe('bad input as the simulator answers it', () => {
  const upgrade = (path: string, extra: string[]) =>
    rawUpgrade(
      sim,
      [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${sim.port}`, 'Connection: Upgrade', ...extra],
      sim.adminCertificate,
    );
  const websocket = (protocol: string) => [
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Key: ${Buffer.alloc(16, 7).toString('base64')}`,
    `Sec-WebSocket-Protocol: ${protocol}`,
  ];

  it('a WebSocket exec offering no acceptable subprotocol gets a bare 403 (what sends kubectl to SPDY)', async () => {
    const answer = await upgrade(
      '/api/v1/namespaces/default/pods/web-0/exec?command=ls&stdout=true',
      websocket('v3.channel.k8s.io'),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(answer.endsWith('\r\n\r\n')).toBe(true);
  });

  it('exec without a command gets 400 with the API server Status', async () => {
    const answer = await upgrade(
      '/api/v1/namespaces/default/pods/web-0/exec?stdout=true',
      websocket('v5.channel.k8s.io'),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'you must specify at least 1 command',
      reason: 'BadRequest',
      code: 400,
    });
  });

  it('the v5 subprotocol is accepted and echoed exactly', async () => {
    const answer = await upgrade(
      '/api/v1/namespaces/default/pods/web-0/exec?command=true&stdout=true',
      websocket('v5.channel.k8s.io'),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(answer).toMatch(/\r\nSec-WebSocket-Protocol: v5\.channel\.k8s\.io\r\n/i);
  });
});

describe('bad input through real kubectl', () => {
  it.each(['1.27', '1.33'])(
    'kubectl %s exec into an unknown container shows the BadRequest Status',
    async (version) => {
      const result = await runKubectl(version, ['exec', 'web-0', '-c', 'nope', '--', 'ls'], {
        kubeconfig: admin.path,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'Error from server (BadRequest): container nope is not valid for pod web-0',
      );
    },
  );

  it('kubectl 1.27 execs over SPDY only (a POST upgrade)', async () => {
    sim.clearRequests();
    expect(
      await runKubectl('1.27', ['exec', 'web-0', '--', 'true'], { kubeconfig: admin.path }),
    ).toMatchObject({ code: 0 });
    const upgrades = sim.requests.filter((request) => request.upgrade);
    expect(upgrades.map((request) => [request.method, request.status])).toEqual([['POST', 101]]);
  });
});

describe('@kubernetes/client-node', () => {
  it('exec over WebSocket delivers stdout, stderr and a Failure status with the exit code', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(admin.path);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc)
        .exec(
          'default',
          'web-0',
          'app',
          ['sh', '-c', 'echo from-client-node; echo oops >&2; exit 4'],
          stdout,
          stderr,
          null,
          false,
          resolve,
        )
        .catch(reject);
    });
    expect(out).toBe('from-client-node\n');
    expect(err).toBe('oops\n');
    expect(status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '4' }] },
    });
  });
});
