import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { MemoryCaKeyStore, TrustBundle, X509CertificateAuthority, X509IdentityDecoder } from '@remoteler/ca';
import { createAccessChecker, type Role } from '@remoteler/core';
import { createProxy, MemoryClusterRegistry, type ProxyOptions, type RemotelerProxy } from '@remoteler/proxy';
import { KubeApiSimulator, type WrittenKubeconfig, writeKubeconfig } from '@remoteler/testkit';

// A real Proxy in front of the testkit's Kubernetes API simulator, with certificates from the real
// Remoteler CAs: what the ops tests (in-process and in the shutdown child) put traffic through.

const PROXY_TOKEN = 'ops-test-proxy-token';
const HOUR = 3_600_000;

/** Namespace seeded with the pods the tests use. */
export const OPS_NAMESPACE = 'ops';

const DEVELOPER: Role = {
  kind: 'role',
  version: 'v1',
  metadata: { name: 'developer' },
  spec: {
    options: {},
    allow: {
      kubernetes_labels: { env: 'dev' },
      kubernetes_users: ['alice'],
      kubernetes_groups: ['developers'],
      kubernetes_resources: [{ kind: '*', namespace: '*', name: '*', verbs: ['*'] }],
    },
    deny: {},
  },
};

export interface ProxyStack {
  readonly sim: KubeApiSimulator;
  readonly proxy: RemotelerProxy;
  readonly port: number;
  /** alice's kubeconfig (pinned to cluster `dev`). */
  readonly kubeconfig: WrittenKubeconfig;
  close(): Promise<void>;
}

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    spki: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/** Starts the simulator (cluster `dev`, namespace `ops` with pods `web-0` and `slow`) and a Proxy with `options` added. */
export async function startProxyStack(dir: string, options: Partial<ProxyOptions> = {}): Promise<ProxyStack> {
  const store = new MemoryCaKeyStore();
  const userCa = await X509CertificateAuthority.open({
    kind: 'user',
    keyStore: store,
    clusterName: 'ops.test',
  });
  const hostCa = await X509CertificateAuthority.open({
    kind: 'host',
    keyStore: store,
    clusterName: 'ops.test',
  });
  const serverKey = keyPair();
  const server = await hostCa.issueHostCertificate({
    publicKey: { spki: serverKey.spki },
    host: { hostId: 'proxy-1', role: 'proxy', clusterName: 'ops.test' },
    ipAddresses: ['127.0.0.1'],
    dnsNames: ['localhost'],
    ttlMs: HOUR,
  });
  const sim = await KubeApiSimulator.start({
    seed: true,
    tokens: { [PROXY_TOKEN]: { name: 'remoteler-proxy' } },
  });
  sim.allowImpersonation('remoteler-proxy');
  sim.bindClusterRole('developers-edit', 'edit', { kind: 'Group', name: 'developers' });
  sim.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPS_NAMESPACE } });
  for (const name of ['web-0', 'slow'])
    sim.createObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: OPS_NAMESPACE },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    });
  const decoder = new X509IdentityDecoder({
    userBundle: TrustBundle.from('user', [userCa.trustBundlePem()]),
  });
  const proxy = createProxy({
    tls: { cert: server.certificatePem, key: serverKey.key, userCaBundle: userCa.trustBundlePem() },
    identityDecoder: {
      decodeUserCertificate: (certificate, o) => decoder.decodeUserCertificate(certificate, o),
    },
    access: {
      forIdentity: (identity) =>
        createAccessChecker({
          username: identity.username,
          roles: [DEVELOPER].filter((r) => identity.roles.includes(r.metadata.name)),
          traits: identity.traits,
        }),
    },
    clusters: new MemoryClusterRegistry([
      {
        name: 'dev',
        labels: { env: 'dev' },
        upstream: { kind: 'token', server: sim.url, token: PROXY_TOKEN, ca: sim.caPem },
      },
    ]),
    checkImpersonation: false,
    closeTimeoutMs: 5_000,
    ...options,
  });
  const port = (await proxy.listen()).port;
  const user = keyPair();
  const issued = await userCa.issueUserCertificate({
    publicKey: { spki: user.spki },
    identity: {
      username: 'alice',
      roles: ['developer'],
      traits: {},
      userType: 'local',
      mfaVerified: false,
      kubernetesUsers: [],
      kubernetesGroups: [],
      kubernetesCluster: 'dev',
    },
    ttlMs: HOUR,
    maxTtlMs: HOUR,
  });
  const kubeconfig = await writeKubeconfig({
    server: `https://127.0.0.1:${port}/k8s/dev`,
    caPem: hostCa.trustBundlePem(),
    clientCertificate: { certPem: issued.certificatePem, keyPem: user.key },
    namespace: OPS_NAMESPACE,
    path: join(dir, 'alice.kubeconfig'),
  });
  return {
    sim,
    proxy,
    port,
    kubeconfig,
    async close() {
      await proxy.close();
      await sim.close();
    },
  };
}
