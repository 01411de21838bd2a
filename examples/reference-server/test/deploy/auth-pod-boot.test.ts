import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { KubeApiSimulator } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseServerConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/ops/logger.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { BASE_DIR, containers, find, kustomize, type Manifest } from './support/manifests.js';
import { layOutPodVolumes, reRooted } from './support/pod-filesystem.js';

// The base's Auth pod, booted from its own manifest: its volumes laid out as the kubelet mounts
// them (with the join-token Secret the operator creates), its remoteler.yaml read at the --config
// path, listeners on random loopback ports. Then: probes answer, and the certificate of the Auth
// listener is valid for the Service name the Proxy dials (proxy.auth_server), under the host CA.

let sim: KubeApiSimulator;
let root: string;
let server: RunningServer | undefined;
let authServerHost: string;

beforeAll(async () => {
  // The simulator only stands in for the kubelet's token source here; Auth never calls it.
  const [started, rendered] = await Promise.all([KubeApiSimulator.start(), kustomize(BASE_DIR)]);
  sim = started;
  root = await mkdtemp(join(tmpdir(), 'rmt-auth-pod-'));
  const operatorSecret: Manifest = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'remoteler-join-token', namespace: 'remoteler' },
    data: { token: Buffer.from('0123456789abcdef0123456789abcdef').toString('base64') },
  };
  const objects = [...rendered.objects, operatorSecret];
  const deployment = find(objects, 'Deployment', 'remoteler-auth');
  const container = containers(deployment)[0]!;
  await layOutPodVolumes(root, objects, deployment, container, sim);

  const proxyConfigSecret = find(objects, 'Deployment', 'remoteler-proxy').spec.template.spec.volumes.find(
    (v: Manifest) => v.name === 'config',
  ).secret.secretName;
  const proxyConfig = parse(
    Buffer.from(find(objects, 'Secret', proxyConfigSecret).data['remoteler.yaml'], 'base64').toString('utf8'),
  );
  authServerHost = new URL(proxyConfig.proxy.auth_server).hostname;

  const args: string[] = container.args;
  const text = await readFile(join(root, args[args.indexOf('--config') + 1]!), 'utf8');
  server = await startServer(parseServerConfig(reRooted(parse(text), root)), {
    logger: createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) }),
    closeTimeoutMs: 2_000,
  });
});

afterAll(async () => {
  await server?.close();
  await sim?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** The certificate the Auth listener presents, verified against the host CA (hostname checked separately). */
function authCertificate(): Promise<PeerCertificate> {
  const url = new URL(server!.authUrl!);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: url.hostname,
      port: Number(url.port),
      ca: server!.hostCaPem!,
      // The name is checked below against the Service name, not the loopback address dialled here.
      checkServerIdentity: () => undefined,
    });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.once('error', reject);
  });
}

describe("the base's Auth pod, booted as the kubelet would mount it", () => {
  it('answers its liveness and readiness probes on the diagnostics port', async () => {
    expect((await fetch(`${server!.diagUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server!.diagUrl}/readyz`);
    expect(ready.status, await ready.text()).toBe(200);
    expect(server!.webUrl).toBeUndefined();
  });

  it("presents a certificate from the host CA that is valid for the Service name in the Proxy's auth_server", async () => {
    const certificate = await authCertificate();
    expect(authServerHost).toBe('remoteler-auth.remoteler.svc');
    expect(checkServerIdentity(authServerHost, certificate)).toBeUndefined();
    // A name the manifests do not promise is refused, so the check above means something.
    expect(checkServerIdentity('remoteler-auth.other.svc', certificate)).toBeInstanceOf(Error);
  });
});
