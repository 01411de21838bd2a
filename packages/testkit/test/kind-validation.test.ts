import { KubeApiSimulator, runKubectl, type WrittenKubeconfig } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateKind, validateUpdate } from '../src/api/kind-validation.js';

// What kube-apiserver refuses for the kinds deployment manifests are made of, so that
// `kubectl apply --dry-run=server` against the simulator is a real check of a manifest.

let sim: KubeApiSimulator;
let admin: WrittenKubeconfig;

beforeAll(async () => {
  sim = await KubeApiSimulator.start();
  admin = await sim.adminKubeconfig();
});

afterAll(async () => {
  await sim?.close();
});

const deployment = (patch: (spec: Record<string, unknown>) => void) => {
  const spec: Record<string, unknown> = {
    selector: { matchLabels: { app: 'x' } },
    template: {
      metadata: { labels: { app: 'x' } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'nginx:1.27',
            ports: [{ name: 'web', containerPort: 8080 }],
            volumeMounts: [{ name: 'state', mountPath: '/state' }],
          },
        ],
        volumes: [{ name: 'state', emptyDir: {} }],
      },
    },
  };
  patch(spec);
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec };
};

describe('kind validation', () => {
  it('accepts a well-formed Deployment, Service, ClusterRole and binding', () => {
    expect(
      validateKind(
        'Deployment',
        deployment(() => {}),
      ),
    ).toEqual([]);
    expect(
      validateKind('Service', {
        spec: { type: 'LoadBalancer', ports: [{ name: 'web', port: 443, targetPort: 'web' }] },
      }),
    ).toEqual([]);
    expect(
      validateKind('ClusterRole', {
        rules: [
          { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
          { nonResourceURLs: ['/healthz'], verbs: ['get'] },
        ],
      }),
    ).toEqual([]);
    const binding = {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'Group', name: 'devs' },
        { kind: 'ServiceAccount', name: 'robot', namespace: 'ops' },
      ],
    };
    expect(validateKind('ClusterRoleBinding', binding)).toEqual([]);
    // Decode defaulting gave the group subject its API group.
    expect(binding.subjects[0]).toEqual({
      kind: 'Group',
      name: 'devs',
      apiGroup: 'rbac.authorization.k8s.io',
    });
  });

  it('refuses a selector that does not match the template, a mount of a missing volume and a bad port name', () => {
    const causes = validateKind(
      'Deployment',
      deployment((spec) => {
        (spec.template as { metadata: unknown }).metadata = { labels: { app: 'y' } };
        const pod = (spec.template as { spec: { containers: { volumeMounts: unknown; ports: unknown }[] } })
          .spec;
        pod.containers[0]!.volumeMounts = [{ name: 'missing', mountPath: '/m' }];
        pod.containers[0]!.ports = [{ name: 'much-too-long-port-name', containerPort: 80 }];
      }),
    );
    expect(causes.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`',
      'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "missing"',
      `spec.template.spec.containers[0].ports[0].name: Invalid value: "much-too-long-port-name": must be no more than 15 characters, contain only lowercase alphanumeric characters or '-', contain at least one letter, and not start or end with '-'`,
    ]);
    expect(
      validateKind(
        'Deployment',
        deployment((spec) => delete spec.selector),
      ),
    ).toContainEqual(expect.objectContaining({ field: 'spec.selector', message: 'Required value' }));
  });

  it('refuses a Service without ports, of an unknown type, or with unnamed ports among several', () => {
    expect(
      validateKind('Service', { spec: { type: 'Public' } }).map((c) => `${c.field}: ${c.message}`),
    ).toEqual([
      'spec.type: Unsupported value: "Public": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      'spec.ports: Required value',
    ]);
    expect(validateKind('Service', { spec: { clusterIP: 'None' } })).toEqual([]);
    expect(validateKind('Service', { spec: { ports: [{ port: 80 }, { port: 81 }] } })).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.ports[0].name' },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.ports[1].name' },
    ]);
  });

  it('refuses RBAC rules without verbs, groups or resources, and bindings that point nowhere', () => {
    expect(
      validateKind('Role', {
        rules: [{ resources: ['pods'] }, { nonResourceURLs: ['/x'], verbs: ['get'] }],
      }).map((c) => `${c.field}: ${c.message}`),
    ).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[1].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs',
    ]);
    expect(
      validateKind('ClusterRoleBinding', {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
        subjects: [{ kind: 'ServiceAccount', name: 'robot' }],
      }).map((c) => `${c.field}: ${c.message}`),
    ).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
    const before = { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' } };
    const after = { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' } };
    expect(validateUpdate('ClusterRoleBinding', before, after)[0]?.message).toBe(
      'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
    );
  });

  it('refuses Secret and ConfigMap keys a volume could not hold', () => {
    expect(validateKind('Secret', { data: { 'ok.key': 'eA==', 'bad/key': 'eA==' } })).toEqual([
      expect.objectContaining({ field: 'data[bad/key]', reason: 'FieldValueInvalid' }),
    ]);
  });

  it('answers kubectl apply --dry-run=server with 422 Invalid and the field errors', async () => {
    const bad = deployment((spec) => {
      (spec.template as { metadata: unknown }).metadata = { labels: { app: 'other' } };
    });
    const result = await runKubectl('1.33', ['apply', '--dry-run=server', '-f', '-'], {
      kubeconfig: admin.path,
      input: stringify(bad),
    });
    expect(result.code).not.toBe(0);
    // kubectl prints 422 Invalid answers as `The <Kind> "<name>" is invalid: <causes>`.
    expect(result.stderr).toContain('The Deployment "d" is invalid');
    expect(result.stderr).toContain(
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
    );
    expect(sim.getObject('apps/v1', 'Deployment', 'd')).toBeUndefined();
  });
});
