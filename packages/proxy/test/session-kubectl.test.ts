import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AuditEvent,
  type AuditEventOf,
  MemoryRecordingStore,
  type RecordingChunk,
} from '@remoteler/core';
import {
  KubeApiSimulator,
  kubectlPath,
  runKubectl,
  startKubectl,
  startPtyKubectl,
  type WrittenKubeconfig,
  writeKubeconfig,
} from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProxy,
  MemoryClusterRegistry,
  type RemotelerProxy,
  type SessionEvent,
  toAsciicast,
} from '../src/index.js';
import { type AwaitableAuditSink, awaitableAuditSink } from './support/awaitable-audit-sink.js';
import { EVERYTHING, role, roleAccess } from './support/roles.js';
import { createTestLocks } from './support/test-locks.js';
import { createTestPki, type TestPki } from './support/test-pki.js';

// Interactive sessions end to end: real kubectl -> Proxy (session audit, recording, cuts) -> the
// testkit simulator's container runtime. kubectl 1.27 speaks SPDY/3.1, 1.30 and 1.33 WebSocket v5.

const PROXY_TOKEN = 'remoteler-proxy-token';
let pki: TestPki;
let sim: KubeApiSimulator;
let proxy: RemotelerProxy;
let dir: string;
let port: number;
let audit: AwaitableAuditSink;
let recordings: MemoryRecordingStore;
let alice: WrittenKubeconfig;
const sessionEvents: { sessionId: string; event: SessionEvent }[] = [];
const errors: unknown[] = [];

const testLocks = createTestLocks();
const locks = testLocks.source;
const setLocks = testLocks.set;

type SessionEnd = AuditEventOf<'session.end'> & { durationMs?: number; errorCode?: string };
const isEnd =
  (match: (event: AuditEventOf<'session.end'>) => boolean) =>
  (event: AuditEvent): event is SessionEnd =>
    event.type === 'session.end' && match(event);

async function kubeconfigFor(name: string, options: { ttlMs?: number } = {}): Promise<WrittenKubeconfig> {
  const user = await pki.user(name, { pin: 'dev', ...options });
  return writeKubeconfig({
    server: `https://127.0.0.1:${port}/k8s/dev`,
    caPem: pki.proxyTrust,
    clientCertificate: { certPem: user.cert, keyPem: user.key },
    path: join(dir, `${name}-${Math.random().toString(36).slice(2)}`),
  });
}

beforeAll(async () => {
  pki = await createTestPki();
  sim = await KubeApiSimulator.start({ seed: true, tokens: { [PROXY_TOKEN]: { name: 'remoteler-proxy' } } });
  sim.allowImpersonation('remoteler-proxy');
  sim.bindClusterRole('developers-edit', 'edit', { kind: 'Group', name: 'developers' });
  audit = awaitableAuditSink();
  recordings = new MemoryRecordingStore();
  proxy = createProxy({
    tls: { cert: pki.server.cert, key: pki.server.key, userCaBundle: pki.userCa.trustBundlePem() },
    identityDecoder: pki.decoder,
    access: roleAccess(() => [
      role('developer', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_users: ['alice'],
        kubernetes_groups: ['developers'],
        kubernetes_resources: EVERYTHING,
      }),
    ]),
    clusters: new MemoryClusterRegistry([
      {
        name: 'dev',
        labels: { env: 'dev' },
        upstream: { kind: 'token', server: sim.url, token: PROXY_TOKEN, ca: sim.caPem },
      },
    ]),
    locks,
    auditSink: audit,
    recordings,
    onSessionEvent: (session, event) => sessionEvents.push({ sessionId: session.sessionId, event }),
    onError: (error) => errors.push(error),
    closeTimeoutMs: 2_000,
    checkImpersonation: false,
  });
  port = (await proxy.listen()).port;
  dir = await mkdtemp(join(pki.dir, 'sessions-'));
  alice = await kubeconfigFor('alice');
});

afterAll(async () => {
  await proxy?.close();
  await sim?.close();
  await recordings?.close();
  await pki?.dispose();
});

async function chunksOf(sessionId: string): Promise<RecordingChunk[]> {
  const chunks: RecordingChunk[] = [];
  for await (const chunk of await recordings.read(sessionId)) chunks.push(chunk);
  return chunks;
}

describe.each(['1.27', '1.30', '1.33'])('sessions through the Proxy with kubectl %s', (version) => {
  const ns = `sessions-${version.replace('.', '-')}`;
  let cacheDir: string;
  const spdy = version === '1.27';

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(dir, `cache-${version}-`));
    sim.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    sim.createObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-0', namespace: ns },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    });
  });

  afterAll(async () => {
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('exec -it is audited with its command, protocol and exit code, and its output is recorded', async () => {
    const session = await startPtyKubectl(kubectlPath(version), alice.path, [
      'exec',
      '-it',
      'web-0',
      '-n',
      ns,
      '-c',
      'app',
      '--',
      'sh',
    ]);
    try {
      await session.waitFor('/ # ');
      session.write(`echo recorded-${version}\r`);
      await session.waitFor(`recorded-${version}\r\n`);
      session.write('exit 3\r');
      expect(await session.exited).toBe(3);
    } finally {
      session.kill();
    }
    const end = await audit.waitFor(isEnd((e) => e.namespace === ns && e.tty && e.command[0] === 'sh'));
    expect(end).toMatchObject({
      user: 'alice',
      cluster: 'dev',
      pod: 'web-0',
      container: 'app',
      command: ['sh'],
      exitCode: 3,
      recorded: true,
    });
    expect(end.durationMs).toBeGreaterThanOrEqual(0);
    const start = audit.events.find(
      (e): e is AuditEventOf<'session.start'> => e.type === 'session.start' && e.sessionId === end.sessionId,
    );
    expect(start?.protocol).toMatch(spdy ? /^SPDY\/3\.1\+v4\.channel\.k8s\.io$/ : /^v5\.channel\.k8s\.io$/);

    const metadata = await recordings.get(end.sessionId);
    expect(metadata).toMatchObject({ status: 'complete', exitCode: 3, command: ['sh'], tty: true });
    const chunks = await chunksOf(end.sessionId);
    expect(chunks.some((c) => c.kind === 'stdin')).toBe(false);
    const output = Buffer.concat(
      chunks.flatMap((c) => (c.kind === 'stdout' || c.kind === 'stderr' ? [Buffer.from(c.data)] : [])),
    ).toString('utf8');
    expect(output).toContain(`recorded-${version}\r\n`);
    const offsets = chunks.map((c) => c.offsetMs);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));

    const cast = (await toAsciicast(metadata!, chunks)).trimEnd().split('\n');
    expect(JSON.parse(cast[0]!)).toMatchObject({ version: 2, command: 'sh' });
    expect(
      cast
        .slice(1)
        .map((line) => JSON.parse(line))
        .some((e) => e[1] === 'o' && e[2].includes('recorded-')),
    ).toBe(true);
    // The hook saw what the user typed; the recording did not keep it.
    const typed = sessionEvents.filter((s) => s.sessionId === end.sessionId && s.event.kind === 'stdin');
    expect(typed.length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('attach -i is audited as a session on the main process', async () => {
    const result = await runKubectl(version, ['attach', '-i', 'web-0', '-n', ns, '-c', 'app'], {
      kubeconfig: alice.path,
      cacheDir,
      input: `hello attach ${version}\n`,
      timeoutMs: 30_000,
    });
    expect(result.stdout).toContain(`hello attach ${version}\n`);
    expect(result.code).toBe(0);
    const end = await audit.waitFor(isEnd((e) => e.namespace === ns && e.command.length === 0 && !e.tty));
    expect(end).toMatchObject({ user: 'alice', pod: 'web-0', container: 'app', recorded: false });
  });

  it('cp copies a file into the pod and back, each way audited as a tar exec', async () => {
    const local = join(cacheDir, 'up.txt');
    const back = join(cacheDir, 'down.txt');
    const content = `copied through the Proxy by kubectl ${version}\n`.repeat(100);
    await writeFile(local, content);
    const options = { kubeconfig: alice.path, cacheDir, timeoutMs: 30_000 };
    const up = await runKubectl(version, ['cp', local, `${ns}/web-0:/tmp/up.txt`, '-c', 'app'], options);
    expect(up.code, up.stderr).toBe(0);
    const down = await runKubectl(version, ['cp', `${ns}/web-0:/tmp/up.txt`, back, '-c', 'app'], options);
    expect(down.code, down.stderr).toBe(0);
    expect(await readFile(back, 'utf8')).toBe(content);
    // kubectl cp runs `tar -xmf - …` in the pod to upload and `tar cf - <path>` to download.
    const upload = await audit.waitFor(
      isEnd((e) => e.namespace === ns && e.command[0] === 'tar' && /x/.test(e.command[1] ?? '')),
    );
    expect(upload.exitCode).toBe(0);
    const download = await audit.waitFor(
      isEnd((e) => e.namespace === ns && e.command[0] === 'tar' && e.command[1] === 'cf'),
    );
    // kubectl cp exits as soon as it has read the archive to its end, without waiting for the exit
    // status that follows it; when it leaves first, the session ends without one (seen with 1.30).
    expect([0, undefined]).toContain(download.exitCode);
    expect(download.user).toBe('alice');
  });

  it('port-forward is audited with the forwarded port', async () => {
    const forward = await startKubectl(version, ['port-forward', '-n', ns, 'pod/web-0', ':80'], {
      kubeconfig: alice.path,
      cacheDir,
    });
    try {
      const line = await forward.waitForOutput(/Forwarding from 127\.0\.0\.1:(\d+) -> 80/);
      const localPort = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
      const { connect } = await import('node:net');
      await new Promise<void>((resolve, reject) => {
        const socket = connect(localPort, '127.0.0.1', () => socket.end('GET / HTTP/1.0\r\n\r\n'));
        socket.on('data', () => undefined);
        socket.once('close', () => resolve());
        socket.once('error', reject);
      });
    } finally {
      await forward.stop();
    }
    const event = await audit.waitFor(
      (e): e is AuditEventOf<'port_forward'> => e.type === 'port_forward' && e.namespace === ns,
    );
    expect(event).toMatchObject({ user: 'alice', pod: 'web-0', ports: [80] });
  });
});

describe.each(['1.27', '1.33'])('cutting open sessions with kubectl %s', (version) => {
  const ns = `cuts-${version.replace('.', '-')}`;

  beforeAll(() => {
    sim.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    sim.createObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-0', namespace: ns },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    });
  });

  /**
   * `promise`, or a failure naming the step and what both kubectl processes printed, before the
   * test's own timeout would say only that the test took too long.
   */
  function step<T>(
    label: string,
    promise: Promise<T>,
    processes: { shell?: { output: string }; watch?: { stdout: string; stderr: string } },
    ms = 20_000,
  ): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const { shell, watch } = processes;
        reject(
          new Error(
            `${label}: not within ${ms} ms\nshell output: ${JSON.stringify(shell?.output.slice(-2000))}\n` +
              `watch stdout: ${JSON.stringify(watch?.stdout.slice(-2000))}\nwatch stderr: ${JSON.stringify(watch?.stderr.slice(-2000))}`,
          ),
        );
      }, ms);
    });
    return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
  }

  async function openSessionAndWatch(kubeconfig: WrittenKubeconfig) {
    const shell = await startPtyKubectl(kubectlPath(version), kubeconfig.path, [
      'exec',
      '-it',
      'web-0',
      '-n',
      ns,
      '--',
      'sh',
    ]);
    const watch = await startKubectl(version, ['get', 'pods', '-n', ns, '-w'], {
      kubeconfig: kubeconfig.path,
    });
    await step('the shell prompt', shell.waitFor('/ # '), { shell, watch });
    await step('the watch listing web-0', watch.waitForOutput('web-0'), { shell, watch });
    return { shell, watch };
  }

  it('a new lock ends an open exec -it session and an open watch', async () => {
    const bob = await kubeconfigFor('bob');
    const { shell, watch } = await openSessionAndWatch(bob);
    try {
      setLocks([
        {
          kind: 'lock',
          version: 'v1',
          metadata: { name: `bob-${version}` },
          spec: { target: { user: 'bob' }, message: 'incident' },
        },
      ]);
      await step('the shell ending after the lock', shell.exited, { shell, watch });
      await step('the watch ending after the lock', watch.exited, { shell, watch });
      const end = await audit.waitFor(isEnd((e) => e.namespace === ns && e.user === 'bob'));
      expect(end.errorCode).toBe('RMT_PROXY_LOCKED');
      expect(end.exitCode).toBeUndefined();
      // The lock also refuses the next request.
      const again = await runKubectl(version, ['get', 'pods', '-n', ns], {
        kubeconfig: bob.path,
        timeoutMs: 30_000,
      });
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain('Forbidden');
    } finally {
      setLocks([]);
      shell.kill();
      await watch.stop();
    }
  });

  it('certificate expiry ends an open exec -it session and an open watch', async () => {
    // A short real TTL: the cut is awaited as the processes' exit, never slept for.
    const carol = await kubeconfigFor('carol', { ttlMs: 12_000 });
    const { shell, watch } = await openSessionAndWatch(carol);
    try {
      await Promise.all([shell.exited, watch.exited]);
      const end = await audit.waitFor(isEnd((e) => e.namespace === ns && e.user === 'carol'));
      expect(end.errorCode).toBe('RMT_PROXY_CERTIFICATE_EXPIRED');
    } finally {
      shell.kill();
      await watch.stop();
    }
  }, 45_000);
});
