import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCaKeyStore, TrustBundle, X509CertificateAuthority, X509IdentityDecoder } from '@remoteler/ca';
import { createAccessChecker, type Role } from '@remoteler/core';
import { createProxy, MemoryClusterRegistry, type RemotelerProxy } from '@remoteler/proxy';
import { KubeApiSimulator, runKubectl, type WrittenKubeconfig, writeKubeconfig } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The Proxy's default service-account folder; deep import because the package index does not
// export the constant (yet).
import { SERVICE_ACCOUNT_DIRECTORY } from '../../../../packages/proxy/src/upstream/resolve-upstream.js';
import { parseServerConfigYaml } from '../../src/config/load-config.js';
import {
  BASE_DIR,
  containers,
  find,
  kustomize,
  type Manifest,
  type Rendered,
  secretText,
} from './support/manifests.js';
import { projectedFiles } from './support/pod-filesystem.js';
import { writeProjectedVolume } from './support/projected-volume.js';

// "The proxy's in-cluster configuration reads the mounted service account the way the manifests
// mount it": the base is applied to the API server simulator (ServiceAccount, ClusterRole and
// binding for real), the Proxy pod's projected volume is laid out in a temporary root exactly as
// the manifest describes it (token from the TokenRequest API, the cluster CA, the namespace), the
// kubelet's KUBERNETES_SERVICE_HOST/PORT point at the simulator, and a real Proxy configured like
// the `in_cluster: {}` cluster of the Proxy's remoteler.yaml talks to it.

let sim: KubeApiSimulator;
let rendered: Rendered;
let root: string;
let proxy: RemotelerProxy | undefined;
let userKubeconfig: WrittenKubeconfig | undefined;
let cluster: { name: string; labels: Record<string, string> };
let projected: { dir: string; token: string; namespace: string; serviceAccount: string };

beforeAll(async () => {
  [sim, rendered] = await Promise.all([KubeApiSimulator.start({ seed: true }), kustomize(BASE_DIR)]);
  root = await mkdtemp(join(tmpdir(), 'rmt-deploy-pod-'));
  const admin = await sim.adminKubeconfig();
  const applied = await runKubectl('1.33', ['apply', '-f', '-'], {
    kubeconfig: admin.path,
    input: rendered.yaml,
  });
  expect(applied.stderr).toBe('');

  // The Proxy's remoteler.yaml, as the pod reads it, and its in-cluster cluster.
  const deployment = find(rendered.objects, 'Deployment', 'remoteler-proxy');
  const container = containers(deployment)[0]!;
  const secretName = deployment.spec.template.spec.volumes.find((v: Manifest) => v.name === 'config').secret
    .secretName;
  const config = parseServerConfigYaml(
    secretText(find(rendered.objects, 'Secret', secretName), 'remoteler.yaml'),
  );
  const inCluster = config.proxy!.clusters.find((c) => c.in_cluster !== undefined)!;
  cluster = { name: inCluster.name, labels: { ...inCluster.labels } };
  // No file overrides: the Proxy reads its default folder, so that is the folder the pod must have.
  expect(inCluster.in_cluster).toEqual({});

  // The projected volume, item by item from the manifest, at the path the manifest mounts it.
  const pod = deployment.spec.template.spec;
  const mount = container.volumeMounts.find((m: Manifest) =>
    pod.volumes.some((v: Manifest) => v.name === m.name && v.projected),
  );
  const volume = pod.volumes.find((v: Manifest) => v.name === mount.name);
  const namespace = deployment.metadata.namespace!;
  const serviceAccount: string = pod.serviceAccountName;
  const { files, token } = projectedFiles(volume, deployment, sim);
  const dir = join(root, mount.mountPath);
  await writeProjectedVolume(dir, files, volume.projected.defaultMode);
  projected = { dir, token: token!, namespace, serviceAccount };
});

afterAll(async () => {
  await proxy?.close();
  await userKubeconfig?.cleanup();
  await sim?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** A Proxy whose in-cluster cluster reads the Proxy's default folder under the temporary root. */
async function startInClusterProxy(roles: readonly Role[]) {
  const store = new MemoryCaKeyStore();
  const userCa = await X509CertificateAuthority.open({
    kind: 'user',
    keyStore: store,
    clusterName: 'deploy.test',
  });
  const hostCa = await X509CertificateAuthority.open({
    kind: 'host',
    keyStore: store,
    clusterName: 'deploy.test',
  });
  const pair = () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return {
      key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      spki: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    };
  };
  const serverKey = pair();
  const server = await hostCa.issueHostCertificate({
    publicKey: { spki: serverKey.spki },
    host: { hostId: 'proxy', role: 'proxy', clusterName: 'deploy.test' },
    ipAddresses: ['127.0.0.1'],
    ttlMs: 3_600_000,
  });
  const decoder = new X509IdentityDecoder({
    userBundle: TrustBundle.from('user', [userCa.trustBundlePem()]),
  });
  const created = createProxy({
    tls: { cert: server.certificatePem, key: serverKey.key, userCaBundle: userCa.trustBundlePem() },
    identityDecoder: { decodeUserCertificate: (c, o) => decoder.decodeUserCertificate(c, o) },
    access: {
      forIdentity: (identity) =>
        createAccessChecker({
          username: identity.username,
          roles: roles.filter((r) => identity.roles.includes(r.metadata.name)),
          traits: identity.traits,
        }),
    },
    clusters: new MemoryClusterRegistry([
      {
        ...cluster,
        upstream: { kind: 'service-account', directory: join(root, SERVICE_ACCOUNT_DIRECTORY) },
      },
    ]),
    // The kubelet sets these in every container (the `kubernetes` Service in `default`).
    upstream: { env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(sim.port) } },
    checkImpersonation: false,
    closeTimeoutMs: 2_000,
  });
  const { port } = await created.listen();
  const userKey = pair();
  const user = await userCa.issueUserCertificate({
    publicKey: { spki: userKey.spki },
    identity: {
      username: 'alice',
      roles: ['developer'],
      traits: {},
      userType: 'local',
      mfaVerified: false,
      kubernetesUsers: [],
      kubernetesGroups: [],
    },
    ttlMs: 3_600_000,
    maxTtlMs: 3_600_000,
  });
  return {
    proxy: created,
    url: `https://127.0.0.1:${port}`,
    caPem: hostCa.trustBundlePem(),
    user: { certPem: user.certificatePem, keyPem: userKey.key },
  };
}

describe('the Proxy in a pod laid out by the manifests', () => {
  it('finds the projected token, CA and namespace in its default service-account folder', async () => {
    expect(projected.dir).toBe(join(root, SERVICE_ACCOUNT_DIRECTORY));
    expect(await readFile(join(projected.dir, 'token'), 'utf8')).toBe(projected.token);
    expect(await readFile(join(projected.dir, 'namespace'), 'utf8')).toBe('remoteler');
    expect(projected.serviceAccount).toBe('remoteler-proxy');
  });

  it('authenticates as its service account and may impersonate through the ClusterRole the manifests bind', async () => {
    const started = await startInClusterProxy([]);
    proxy = started.proxy;
    sim.clearRequests();
    // The startup check a Proxy runs: two SelfSubjectAccessReviews with the Proxy's own credential.
    expect(await proxy.checkCluster(cluster.name)).toEqual({
      cluster: cluster.name,
      users: true,
      groups: true,
    });
    const reviews = sim.requests.filter((r) => r.path.endsWith('/selfsubjectaccessreviews'));
    expect(reviews).toHaveLength(2);
    for (const review of reviews) {
      expect(review.status).toBe(201);
      expect(review.authenticatedUser).toMatchObject({
        name: 'system:serviceaccount:remoteler:remoteler-proxy',
        groups: expect.arrayContaining(['system:serviceaccounts', 'system:serviceaccounts:remoteler']),
      });
    }
    await proxy.close();
    proxy = undefined;
  });

  it('forwards kubectl through the Proxy to the API server as the user, on the service account credential', async () => {
    const developer: Role = {
      kind: 'role',
      version: 'v1',
      metadata: { name: 'developer' },
      spec: {
        options: {},
        allow: {
          kubernetes_labels: { '*': '*' },
          kubernetes_groups: ['developers'],
          kubernetes_resources: [{ kind: 'pod', namespace: '*', name: '*', verbs: ['get', 'list', 'watch'] }],
        },
        deny: {},
      },
    };
    sim.bindClusterRole('developers-view', 'view', { kind: 'Group', name: 'developers' });
    const started = await startInClusterProxy([developer]);
    proxy = started.proxy;
    userKubeconfig = await writeKubeconfig({
      server: `${started.url}/k8s/${cluster.name}`,
      caPem: started.caPem,
      clientCertificate: started.user,
    });
    sim.clearRequests();
    const pods = await runKubectl('1.33', ['get', 'pods', '-n', 'default', '-o', 'name'], {
      kubeconfig: userKubeconfig.path,
    });
    expect(pods.stderr).toBe('');
    expect(pods.stdout).toContain('pod/web-0');
    const list = sim.requests.find((r) => r.path === '/api/v1/namespaces/default/pods');
    expect(list?.authenticatedUser?.name).toBe('system:serviceaccount:remoteler:remoteler-proxy');
    expect(list?.user).toMatchObject({ name: 'alice', groups: expect.arrayContaining(['developers']) });
  });
});
