import { beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_DIR,
  containers,
  find,
  kustomize,
  type Manifest,
  ofKind,
  type Rendered,
  SINGLE_POD_DIR,
  volumeAt,
} from './support/manifests.js';
import { restrictedViolations } from './support/pod-security.js';

// The manifests as an operator applies them: rendered by real `kubectl.1.33 kustomize`, then read
// field by field for what the deployment promises (least privilege, hardened pods, probes on the
// diagnostics port, a LoadBalancer only in front of the Proxy).

let base: Rendered;
let single: Rendered;

beforeAll(async () => {
  [base, single] = await Promise.all([kustomize(BASE_DIR), kustomize(SINGLE_POD_DIR)]);
});

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Secrets the operator creates (README): never in the repository. */
const OPERATOR_SECRETS = ['remoteler-join-token', 'remoteler-auth-ca'];

function kinds(objects: readonly Manifest[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort();
}

/** Checks every hardening promise on one Deployment's pod template. */
function expectHardened(deployment: Manifest): void {
  const pod = deployment.spec.template.spec;
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  expect(pod.securityContext.runAsGroup).toBeGreaterThan(0);
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace'])
    expect(pod[key]).toBeFalsy();
  for (const volume of pod.volumes) expect(volume.hostPath).toBeUndefined();
  for (const container of containers(deployment)) {
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.securityContext.capabilities.add).toBeUndefined();
    expect(container.securityContext.privileged ?? false).toBe(false);
    expect(container.image).toMatch(/:[0-9][\w.-]*$/); // a version tag, never :latest
    expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits.memory).toEqual(expect.any(String));
    // With a read-only root filesystem, every writable mount must be an emptyDir of this pod.
    for (const mount of container.volumeMounts) {
      const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
      expect(volume, `volume ${mount.name}`).toBeDefined();
      if (mount.readOnly !== true) expect(volume.emptyDir, `${mount.mountPath} is writable`).toBeDefined();
    }
  }
}

/** Liveness and readiness go to /healthz and /readyz on the container port named diag. */
function expectDiagProbes(container: Manifest): void {
  const diag = container.ports.find((p: { name: string }) => p.name === 'diag');
  expect(diag).toMatchObject({ containerPort: expect.any(Number), protocol: 'TCP' });
  expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'diag' });
  expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'diag' });
  expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'diag' });
}

/** The Deployment whose pod template a Service selects; exactly one. */
function selectedBy(objects: readonly Manifest[], service: Manifest): Manifest {
  const selector = service.spec.selector as Record<string, string>;
  const selected = ofKind(objects, 'Deployment').filter((d) =>
    Object.entries(selector).every(([k, v]) => d.spec.template.metadata.labels?.[k] === v),
  );
  expect(selected).toHaveLength(1);
  return selected[0]!;
}

describe('deploy/kubernetes/base', () => {
  it('renders the namespace, identities, RBAC, configuration, Services and the two Deployments, all in namespace remoteler', () => {
    expect(kinds(base.objects)).toEqual([
      'ClusterRole/remoteler-impersonator',
      'ClusterRoleBinding/remoteler-impersonator',
      'ConfigMap/remoteler-roles',
      'Deployment/remoteler-auth',
      'Deployment/remoteler-proxy',
      'Namespace/remoteler',
      'Secret/remoteler-auth-config',
      'Secret/remoteler-proxy-config',
      'Service/remoteler-auth',
      'Service/remoteler-proxy',
      'ServiceAccount/remoteler-auth',
      'ServiceAccount/remoteler-proxy',
    ]);
    for (const o of base.objects) {
      if (['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) continue;
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('remoteler');
    }
  });

  it('grants exactly impersonate on users, groups and serviceaccounts, to the Proxy service account only', () => {
    const role = find(base.objects, 'ClusterRole', 'remoteler-impersonator');
    expect(role.rules).toHaveLength(1);
    const [rule] = role.rules;
    expect(Object.keys(rule).sort()).toEqual(['apiGroups', 'resources', 'verbs']); // no resourceNames, no nonResourceURLs
    expect(rule.apiGroups).toEqual(['']);
    expect([...rule.resources].sort()).toEqual(['groups', 'serviceaccounts', 'users']);
    expect(rule.verbs).toEqual(['impersonate']);
    expect(role.aggregationRule).toBeUndefined();
    // No other RBAC object grants anything.
    expect(ofKind(base.objects, 'Role')).toHaveLength(0);
    expect(ofKind(base.objects, 'RoleBinding')).toHaveLength(0);
    expect(ofKind(base.objects, 'ClusterRole')).toHaveLength(1);

    const binding = find(base.objects, 'ClusterRoleBinding', 'remoteler-impersonator');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'remoteler-impersonator',
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'remoteler-proxy', namespace: 'remoteler' },
    ]);
    expect(find(base.objects, 'Deployment', 'remoteler-proxy').spec.template.spec.serviceAccountName).toBe(
      'remoteler-proxy',
    );
  });

  it('runs both Deployments non-root, read-only, without capabilities, under RuntimeDefault seccomp, with resources', () => {
    for (const name of ['remoteler-auth', 'remoteler-proxy'])
      expectHardened(find(base.objects, 'Deployment', name));
  });

  it('meets the restricted Pod Security Standard, which its namespace enforces', () => {
    expect(find(base.objects, 'Namespace', 'remoteler').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    for (const rendered of [base, single])
      for (const deployment of ofKind(rendered.objects, 'Deployment'))
        expect(restrictedViolations(deployment.spec.template.spec), deployment.metadata.name).toEqual([]);
    // The check itself finds what it should.
    expect(
      restrictedViolations({
        hostNetwork: true,
        volumes: [{ name: 'h', hostPath: { path: '/' } }],
        containers: [{ name: 'c', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }],
      }),
    ).toEqual([
      'hostNetwork is true',
      'volume h has type hostPath',
      'container c allowPrivilegeEscalation is not false',
      'container c runAsNonRoot is not true',
      'container c seccomp unset',
      'container c does not drop ALL capabilities',
      'container c adds SYS_ADMIN',
    ]);
  });

  it('mounts secrets and service-account files readable by the pod group only (0440), never writable', () => {
    for (const rendered of [base, single])
      for (const deployment of ofKind(rendered.objects, 'Deployment'))
        for (const volume of deployment.spec.template.spec.volumes) {
          const mode = volume.secret?.defaultMode ?? volume.projected?.defaultMode;
          if (volume.secret || volume.projected) expect(mode, volume.name).toBe(0o440);
        }
  });

  it('points the probes at the diagnostics port and keeps that port out of every Service', () => {
    for (const name of ['remoteler-auth', 'remoteler-proxy'])
      for (const container of containers(find(base.objects, 'Deployment', name))) expectDiagProbes(container);
    for (const service of ofKind(base.objects, 'Service'))
      for (const port of service.spec.ports) expect(port.targetPort).not.toBe('diag');
  });

  it('puts the Proxy web port behind a LoadBalancer and Auth behind a ClusterIP Service', () => {
    const proxy = find(base.objects, 'Service', 'remoteler-proxy');
    expect(proxy.spec.type).toBe('LoadBalancer');
    expect(proxy.spec.ports).toEqual([{ name: 'web', port: 443, targetPort: 'web', protocol: 'TCP' }]);
    const proxyPod = selectedBy(base.objects, proxy);
    expect(proxyPod.metadata.name).toBe('remoteler-proxy');
    expect(containers(proxyPod)[0]!.ports.map((p: { name: string }) => p.name)).toContain('web');

    const auth = find(base.objects, 'Service', 'remoteler-auth');
    expect(auth.spec.type).toBe('ClusterIP');
    expect(auth.spec.ports).toEqual([{ name: 'auth', port: 3025, targetPort: 'auth', protocol: 'TCP' }]);
    const authPod = selectedBy(base.objects, auth);
    expect(authPod.metadata.name).toBe('remoteler-auth');
    expect(containers(authPod)[0]!.ports.map((p: { name: string }) => p.name)).toContain('auth');
  });

  it('gives the Proxy its service-account token where in-cluster clients read it, and Auth no Kubernetes credential', () => {
    const proxy = find(base.objects, 'Deployment', 'remoteler-proxy');
    const found = volumeAt(proxy, containers(proxy)[0]!, SA_DIR);
    expect(found?.mount.readOnly).toBe(true);
    const sources = found!.volume.projected.sources;
    expect(sources).toContainEqual({
      serviceAccountToken: { path: 'token', expirationSeconds: expect.any(Number) },
    });
    expect(sources).toContainEqual({
      configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    expect(sources).toContainEqual({
      downwardAPI: {
        items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
      },
    });

    const auth = find(base.objects, 'Deployment', 'remoteler-auth').spec.template.spec;
    expect(auth.automountServiceAccountToken).toBe(false);
    expect(auth.serviceAccountName).toBe('remoteler-auth');
    expect(JSON.stringify(auth.volumes)).not.toContain('serviceAccountToken');
    for (const sa of ofKind(base.objects, 'ServiceAccount'))
      expect(sa.automountServiceAccountToken).toBe(false);
  });

  it('reads configuration from generated Secrets and the join token from a Secret it does not ship', () => {
    const names = new Set(base.objects.map((o) => `${o.kind}/${o.metadata.name}`));
    for (const deployment of ofKind(base.objects, 'Deployment')) {
      for (const volume of deployment.spec.template.spec.volumes) {
        if (OPERATOR_SECRETS.includes(volume.secret?.secretName)) continue;
        if (volume.secret) expect(names).toContain(`Secret/${volume.secret.secretName}`);
        if (volume.configMap) expect(names).toContain(`ConfigMap/${volume.configMap.name}`);
      }
    }
    // A token in the repository would be the same for everyone who deploys it: the operator makes
    // it, and the host CA certificate exists only once Auth has made its CA (README, "Joining").
    for (const name of OPERATOR_SECRETS) expect(names.has(`Secret/${name}`)).toBe(false);
    const proxy = find(base.objects, 'Deployment', 'remoteler-proxy').spec.template.spec;
    expect(proxy.volumes).toContainEqual({
      name: 'join-token',
      secret: { secretName: 'remoteler-join-token', defaultMode: 0o440 },
    });
    // Auth runs one replica and is replaced, not rolled: its state is in memory.
    const auth = find(base.objects, 'Deployment', 'remoteler-auth');
    expect(auth.spec.replicas).toBe(1);
    expect(auth.spec.strategy).toEqual({ type: 'Recreate' });
  });
});

describe('deploy/kubernetes/overlays/single-pod', () => {
  it('runs Auth and Proxy as one Deployment, without the Auth Service, its identity, its configuration, a join token or an Auth CA', () => {
    expect(kinds(single.objects)).toEqual([
      'ClusterRole/remoteler-impersonator',
      'ClusterRoleBinding/remoteler-impersonator',
      'ConfigMap/remoteler-roles',
      'Deployment/remoteler-proxy',
      'Namespace/remoteler',
      'Secret/remoteler-proxy-config',
      'Service/remoteler-proxy',
      'ServiceAccount/remoteler-proxy',
    ]);
    const deployment = find(single.objects, 'Deployment', 'remoteler-proxy');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    // The mounts of the base Proxy, less the join token and the Auth CA (Auth is in-process).
    const mounts = (d: Manifest): string[] =>
      containers(d)[0]!.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    expect(mounts(deployment).sort()).toEqual(
      mounts(find(base.objects, 'Deployment', 'remoteler-proxy'))
        .filter((p) => !p.startsWith('/var/run/secrets/remoteler/'))
        .sort(),
    );
    const volumes = deployment.spec.template.spec.volumes.map((v: { name: string }) => v.name);
    expect(volumes).not.toContain('join-token');
    expect(volumes).not.toContain('auth-ca');
    expect(
      volumeAt(deployment, containers(deployment)[0]!, '/etc/remoteler/roles')?.volume.configMap.name,
    ).toMatch(/^remoteler-roles-/);
  });

  it('keeps the hardening, the probes, the service-account mount, the LoadBalancer and the impersonation-only RBAC', () => {
    const deployment = find(single.objects, 'Deployment', 'remoteler-proxy');
    expectHardened(deployment);
    expectDiagProbes(containers(deployment)[0]!);
    expect(volumeAt(deployment, containers(deployment)[0]!, SA_DIR)?.volume.projected).toBeDefined();
    expect(find(single.objects, 'Service', 'remoteler-proxy').spec.type).toBe('LoadBalancer');
    expect(find(single.objects, 'ClusterRole', 'remoteler-impersonator')).toEqual(
      find(base.objects, 'ClusterRole', 'remoteler-impersonator'),
    );
    expect(find(single.objects, 'ClusterRoleBinding', 'remoteler-impersonator')).toEqual(
      find(base.objects, 'ClusterRoleBinding', 'remoteler-impersonator'),
    );
  });
});
