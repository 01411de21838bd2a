import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { parseRoles } from '@remoteler/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServerConfigYaml } from '../../src/config/load-config.js';
import type { ServerConfig } from '../../src/config/schema.js';
import { ensurePrivateDir } from '../../src/server/state-dir.js';
import {
  BASE_DIR,
  containers,
  find,
  kustomize,
  type Manifest,
  mountHolding,
  type Rendered,
  SINGLE_POD_DIR,
  secretText,
} from './support/manifests.js';

// The remoteler.yaml inside each generated Secret is what the server reads at start: it must pass
// the reference server's own loader, and every path, port and address in it must agree with the
// manifest that mounts it (a typo here is a pod in CrashLoopBackOff, not a failed apply).

let base: Rendered;
let single: Rendered;
/** Stands in for the pods' file systems. */
let root: string;

beforeAll(async () => {
  [base, single, root] = await Promise.all([
    kustomize(BASE_DIR),
    kustomize(SINGLE_POD_DIR),
    mkdtemp(join(tmpdir(), 'rmt-deploy-fs-')),
  ]);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** The configuration a Deployment's container starts with, found through `--config` and its volume. */
function configOf(objects: readonly Manifest[], deploymentName: string) {
  const deployment = find(objects, 'Deployment', deploymentName);
  const container = containers(deployment)[0]!;
  const args: string[] = container.args;
  expect(args[0]).toBe('start');
  const file = args[args.indexOf('--config') + 1]!;
  const mount = mountHolding(container, file);
  expect(mount, `a volume holds ${file}`).toBeDefined();
  const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
  const secret = find(objects, 'Secret', volume.secret.secretName);
  const text = secretText(secret, posix.relative(mount.mountPath, file));
  const config = parseServerConfigYaml(text, `${secret.metadata.name}/${posix.basename(file)}`);
  return { deployment, container, config };
}

const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));
const containerPort = (container: Manifest, name: string) =>
  container.ports.find((p: { name: string }) => p.name === name)?.containerPort;

/**
 * A folder the server keeps key material in must lie on a writable emptyDir, and the server's own
 * check must accept it there. The kubelet creates an emptyDir with mode 0777 (kubernetes
 * pkg/volume/emptydir), which the server refuses for keys, so it must be a folder below the mount
 * that the server creates itself.
 */
async function expectPrivateDirOnEmptyDir(deployment: Manifest, container: Manifest, path: string) {
  const mount = mountHolding(container, path);
  expect(mount, `a volume holds ${path}`).toBeDefined();
  expect(mount.readOnly ?? false).toBe(false);
  const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
  expect(volume.emptyDir).toBeDefined();
  const emptyDir = join(root, deployment.metadata.name, mount.mountPath);
  await mkdir(emptyDir, { recursive: true });
  await chmod(emptyDir, 0o777);
  await expect(ensurePrivateDir(join(root, deployment.metadata.name, path))).resolves.toBeUndefined();
}

function expectDiagAgrees(config: ServerConfig, container: Manifest): void {
  expect(config.diag).toBeDefined();
  expect(portOf(config.diag!.listen)).toBe(containerPort(container, 'diag'));
  // Probes come from the kubelet on the pod IP: the listener must not be loopback-only.
  expect(config.diag!.listen.startsWith('127.')).toBe(false);
}

/** The roles in the ConfigMap mounted at `roles_dir` parse as Remoteler roles. */
function expectRolesMounted(
  objects: readonly Manifest[],
  deployment: Manifest,
  container: Manifest,
  dir: string,
) {
  const mount = mountHolding(container, dir);
  expect(mount?.mountPath).toBe(dir);
  const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
  const configMap = find(objects, 'ConfigMap', volume.configMap.name);
  const files = Object.entries(configMap.data as Record<string, string>).filter(([name]) =>
    /\.ya?ml$/.test(name),
  );
  expect(files.length).toBeGreaterThan(0);
  const roles = files.flatMap(([, text]) => parseRoles(text));
  expect(roles.map((r) => r.metadata.name).sort()).toEqual(['admin', 'viewer']);
}

describe('remoteler.yaml in the base', () => {
  it('Auth: validates with the server loader and agrees with its Deployment (ports, state, roles)', async () => {
    const { deployment, container, config } = configOf(base.objects, 'remoteler-auth');
    expect(config.roles).toEqual(['auth']);
    expect(config.proxy).toBeUndefined();
    expect(portOf(config.auth!.listen)).toBe(containerPort(container, 'auth'));
    expectDiagAgrees(config, container);
    await expectPrivateDirOnEmptyDir(deployment, container, config.state_dir);
    await expectPrivateDirOnEmptyDir(deployment, container, config.auth!.ca_dir ?? `${config.state_dir}/ca`);
    expectRolesMounted(base.objects, deployment, container, config.auth!.roles_dir!);
  });

  it('Proxy: validates with the server loader, dials the Auth Service, reads the mounted join token and the in-cluster account', async () => {
    const { deployment, container, config } = configOf(base.objects, 'remoteler-proxy');
    expect(config.roles).toEqual(['proxy']);
    const proxy = config.proxy!;
    expect(portOf(proxy.web_listen)).toBe(containerPort(container, 'web'));
    expectDiagAgrees(config, container);
    await expectPrivateDirOnEmptyDir(deployment, container, config.state_dir);

    // auth_server names the ClusterIP Service of Auth, in this namespace, on its port.
    const auth = find(base.objects, 'Service', 'remoteler-auth');
    const url = new URL(proxy.auth_server!);
    expect(url.hostname).toBe(`${auth.metadata.name}.${auth.metadata.namespace}.svc`);
    expect(Number(url.port)).toBe(auth.spec.ports[0].port);
    // ...and Auth's certificate carries that name, or the Proxy's TLS check refuses it.
    const authConfig = configOf(base.objects, 'remoteler-auth').config;
    expect(authConfig.auth!.server_names).toContain(url.hostname);

    // The join token file is the `token` key of the join-token Secret's mount.
    const tokenFile = proxy.join_token!.file!;
    const tokenMount = mountHolding(container, tokenFile);
    const tokenVolume = deployment.spec.template.spec.volumes.find(
      (v: { name: string }) => v.name === tokenMount.name,
    );
    expect(tokenVolume.secret.secretName).toBe('remoteler-join-token');
    expect(posix.relative(tokenMount.mountPath, tokenFile)).toBe('token');

    // The host CA it trusts Auth through is the `ca.crt` key of the auth-ca Secret's mount.
    const caFile = proxy.auth_ca_file!;
    const caMount = mountHolding(container, caFile);
    const caVolume = deployment.spec.template.spec.volumes.find(
      (v: { name: string }) => v.name === caMount.name,
    );
    expect(caVolume.secret.secretName).toBe('remoteler-auth-ca');
    expect(posix.relative(caMount.mountPath, caFile)).toBe('ca.crt');

    // The Proxy authorizes with the same roles as Auth.
    expectRolesMounted(base.objects, deployment, container, proxy.roles_dir!);

    // in_cluster with no file overrides: the Proxy reads the default service-account folder,
    // which the Deployment mounts (see in-cluster-service-account.test.ts for the files themselves).
    const local = proxy.clusters.find((c) => c.in_cluster !== undefined);
    expect(local?.in_cluster).toEqual({});
  });
});

describe('remoteler.yaml in the single-pod overlay', () => {
  it('runs auth and proxy in one process, validates, and needs no Auth address or join token', async () => {
    const { deployment, container, config } = configOf(single.objects, 'remoteler-proxy');
    expect(config.roles).toEqual(['auth', 'proxy']);
    expect(config.proxy!.auth_server).toBeUndefined();
    expect(config.proxy!.join_token).toBeUndefined();
    expect(portOf(config.proxy!.web_listen)).toBe(containerPort(container, 'web'));
    expectDiagAgrees(config, container);
    await expectPrivateDirOnEmptyDir(deployment, container, config.state_dir);
    expectRolesMounted(single.objects, deployment, container, config.auth!.roles_dir!);
  });
});

describe('state on an emptyDir', () => {
  it('is refused by the server at the mount itself (mode 0777), which is why state_dir is a folder below it', async () => {
    const dir = join(root, 'bare-empty-dir');
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o777);
    await expect(ensurePrivateDir(dir)).rejects.toMatchObject({ code: 'RMT_SERVER_STATE_DIR_UNUSABLE' });
  });
});
