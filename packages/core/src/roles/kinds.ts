/** A built-in Kubernetes resource a role may name by its singular or plural form. */
export interface BuiltinKind {
  /** The plural resource name the API uses in paths (`pods`). */
  readonly resource: string;
  /** The API group (`''` for the core group). */
  readonly group: string;
  /** False for cluster-scoped resources (nodes, namespaces, cluster roles…). */
  readonly namespaced: boolean;
}

// [singular, plural, group, namespaced]: the resources of `kubectl api-resources` on a stock
// cluster that admins write rules for. Custom resources are named by plural + api_group instead.
const TABLE: ReadonlyArray<readonly [string, string, string, boolean]> = [
  ['pod', 'pods', '', true],
  ['service', 'services', '', true],
  ['secret', 'secrets', '', true],
  ['configmap', 'configmaps', '', true],
  ['serviceaccount', 'serviceaccounts', '', true],
  ['persistentvolumeclaim', 'persistentvolumeclaims', '', true],
  ['endpoints', 'endpoints', '', true],
  ['event', 'events', '', true],
  ['limitrange', 'limitranges', '', true],
  ['resourcequota', 'resourcequotas', '', true],
  ['replicationcontroller', 'replicationcontrollers', '', true],
  ['podtemplate', 'podtemplates', '', true],
  ['namespace', 'namespaces', '', false],
  ['node', 'nodes', '', false],
  ['persistentvolume', 'persistentvolumes', '', false],
  ['componentstatus', 'componentstatuses', '', false],
  ['deployment', 'deployments', 'apps', true],
  ['statefulset', 'statefulsets', 'apps', true],
  ['daemonset', 'daemonsets', 'apps', true],
  ['replicaset', 'replicasets', 'apps', true],
  ['controllerrevision', 'controllerrevisions', 'apps', true],
  ['job', 'jobs', 'batch', true],
  ['cronjob', 'cronjobs', 'batch', true],
  ['ingress', 'ingresses', 'networking.k8s.io', true],
  ['networkpolicy', 'networkpolicies', 'networking.k8s.io', true],
  ['ingressclass', 'ingressclasses', 'networking.k8s.io', false],
  ['role', 'roles', 'rbac.authorization.k8s.io', true],
  ['rolebinding', 'rolebindings', 'rbac.authorization.k8s.io', true],
  ['clusterrole', 'clusterroles', 'rbac.authorization.k8s.io', false],
  ['clusterrolebinding', 'clusterrolebindings', 'rbac.authorization.k8s.io', false],
  ['poddisruptionbudget', 'poddisruptionbudgets', 'policy', true],
  ['horizontalpodautoscaler', 'horizontalpodautoscalers', 'autoscaling', true],
  ['lease', 'leases', 'coordination.k8s.io', true],
  ['endpointslice', 'endpointslices', 'discovery.k8s.io', true],
  ['storageclass', 'storageclasses', 'storage.k8s.io', false],
  ['csidriver', 'csidrivers', 'storage.k8s.io', false],
  ['csinode', 'csinodes', 'storage.k8s.io', false],
  ['volumeattachment', 'volumeattachments', 'storage.k8s.io', false],
  ['customresourcedefinition', 'customresourcedefinitions', 'apiextensions.k8s.io', false],
  ['certificatesigningrequest', 'certificatesigningrequests', 'certificates.k8s.io', false],
  ['priorityclass', 'priorityclasses', 'scheduling.k8s.io', false],
  ['mutatingwebhookconfiguration', 'mutatingwebhookconfigurations', 'admissionregistration.k8s.io', false],
  [
    'validatingwebhookconfiguration',
    'validatingwebhookconfigurations',
    'admissionregistration.k8s.io',
    false,
  ],
];

const BY_NAME: ReadonlyMap<string, BuiltinKind> = new Map(
  TABLE.flatMap(([singular, plural, group, namespaced]) => {
    const kind: BuiltinKind = Object.freeze({ resource: plural, group, namespaced });
    return [
      [singular, kind],
      [plural, kind],
    ] as const;
  }),
);

/** The built-in kind a rule's `kind` names (singular or plural), or `undefined` for custom resources. */
export function builtinKind(kind: string): BuiltinKind | undefined {
  return BY_NAME.get(kind);
}

/**
 * Subresources whose access is a verb of its own (design §2: decided from the subresource, never
 * from the HTTP method); a rule grants them with `verbs: [exec]`, not with `kind: pods/exec`.
 */
export const VERB_SUBRESOURCES: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward', 'log']);

/** Every verb a resource rule may list. */
export const RULE_VERBS: ReadonlySet<string> = new Set([
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'exec',
  'attach',
  'portforward',
  'log',
  '*',
]);
