import type { KubeObject } from './resource-types.js';

const RBAC = 'rbac.authorization.k8s.io/v1';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

const clusterRole = (name: string, rules: object[]): KubeObject => ({
  apiVersion: RBAC,
  kind: 'ClusterRole',
  metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
  rules,
});
const groupBinding = (name: string, role: string, group: string): KubeObject => ({
  apiVersion: RBAC,
  kind: 'ClusterRoleBinding',
  metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
});

/**
 * The slice of kube-apiserver's bootstrap RBAC policy that kubectl needs (apiserver
 * `plugin/pkg/auth/authorizer/rbac/bootstrappolicy`): discovery and self-reviews for every
 * authenticated user, cluster-admin for system:masters, and the user-facing `view`/`edit` roles.
 */
export function bootstrapPolicy(): KubeObject[] {
  return [
    clusterRole('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    clusterRole('system:discovery', [
      {
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
        verbs: ['get'],
      },
    ]),
    clusterRole('system:basic-user', [
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        verbs: ['create'],
      },
      { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
    ]),
    clusterRole('view', [
      {
        apiGroups: [''],
        resources: [
          'configmaps',
          'endpoints',
          'events',
          'namespaces',
          'pods',
          'pods/log',
          'pods/status',
          'services',
          'serviceaccounts',
        ],
        verbs: READ,
      },
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'deployments/scale', 'deployments/status'],
        verbs: READ,
      },
      { apiGroups: ['example.com'], resources: ['widgets'], verbs: READ },
    ]),
    clusterRole('edit', [
      {
        apiGroups: [''],
        resources: [
          'configmaps',
          'events',
          'namespaces',
          'pods',
          'pods/log',
          'pods/status',
          'secrets',
          'services',
          'serviceaccounts',
        ],
        verbs: READ,
      },
      {
        apiGroups: [''],
        resources: ['configmaps', 'pods', 'secrets', 'services', 'serviceaccounts'],
        verbs: WRITE,
      },
      {
        apiGroups: [''],
        resources: ['pods/attach', 'pods/exec', 'pods/portforward'],
        verbs: ['create', 'get'],
      },
      { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'], verbs: [...READ, ...WRITE] },
      { apiGroups: ['example.com'], resources: ['widgets'], verbs: [...READ, ...WRITE] },
    ]),
    groupBinding('cluster-admin', 'cluster-admin', 'system:masters'),
    groupBinding('system:discovery', 'system:discovery', 'system:authenticated'),
    groupBinding('system:basic-user', 'system:basic-user', 'system:authenticated'),
  ];
}

/** The namespaces and node every cluster starts with. */
export function bootstrapObjects(): KubeObject[] {
  return [
    ...['default', 'kube-system', 'kube-public', 'kube-node-lease'].map(
      (name): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    ),
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'sim-node-1',
        labels: { 'kubernetes.io/hostname': 'sim-node-1', 'node-role.kubernetes.io/control-plane': '' },
      },
      spec: {},
    },
  ];
}

const pod = (namespace: string, name: string, app: string, image: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app } },
  spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 80 }] }] },
});

/** Demo content for `--seed`: a few namespaces, pods, a deployment, a service and a config map. */
export function seedObjects(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } },
    pod('default', 'web-0', 'web', 'nginx:1.27'),
    pod('default', 'web-1', 'web', 'nginx:1.27'),
    pod('team-a', 'api-0', 'api', 'ghcr.io/example/api:1.0'),
    pod('team-b', 'worker-0', 'worker', 'ghcr.io/example/worker:1.0'),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'default' },
      data: { greeting: 'hello' },
    },
  ];
}
