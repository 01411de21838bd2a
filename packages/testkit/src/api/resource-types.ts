/** One column of a `meta.k8s.io/v1` Table (k8s-protocols §2.2). */
export interface TableColumn {
  readonly name: string;
  /** OpenAPI type: string, integer, number, boolean. */
  readonly type: string;
  /** `name` marks the primary column, `date` a timestamp. */
  readonly format?: string;
  readonly description: string;
  /** 0 shows by default; 1 only with `-o wide`. */
  readonly priority: number;
}

/** A subresource as discovery announces it. */
export interface SubresourceType {
  readonly name: string;
  readonly kind: string;
  readonly verbs: readonly string[];
}

/** Everything the simulator knows about one served resource type. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  /** Plural, lower-case: `pods`. */
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly subresources?: readonly SubresourceType[];
  /** Whether objects are stored (false for review APIs that only answer POST). */
  readonly stored: boolean;
  /** Extra columns after NAME (the simulator prepends NAME itself unless `ownNameColumn`). */
  readonly columns?: readonly TableColumn[];
  /** Cells for {@link columns}, for one object at `now`. */
  readonly cells?: (object: KubeObject, now: number) => readonly unknown[];
  /** True for custom resources: no strategic merge patch (apiextensions-apiserver). */
  readonly custom?: boolean;
}

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
};

/** The subset of ObjectMeta the simulator reads and writes. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** `group/version`, or `version` for the core group. */
export function groupVersion(t: { group: string; version: string }): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** Human age the way the API server prints it (apimachinery `duration.HumanDuration`). */
export function humanAge(fromIso: string | undefined, now: number): string {
  if (!fromIso) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

const col = (name: string, description: string, priority = 0, type = 'string', format?: string) =>
  ({ name, type, description, priority, ...(format ? { format } : {}) }) as TableColumn;
const age = col(
  'Age',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
  0,
  'string',
  'date',
);

// biome-ignore lint/suspicious/noExplicitAny: objects are free-form JSON
type Any = any;
const spec = (o: KubeObject): Any => (o.spec ?? {}) as Any;
const status = (o: KubeObject): Any => (o.status ?? {}) as Any;
const orNone = (v: unknown) => (v === undefined || v === null || v === '' ? '<none>' : String(v));

const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function podCells(o: KubeObject, now: number): unknown[] {
  const containers: Any[] = spec(o).containers ?? [];
  const statuses: Any[] = status(o).containerStatuses ?? [];
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  let reason: string = status(o).reason ?? status(o).phase ?? 'Pending';
  for (const s of statuses) {
    if (s.state?.waiting?.reason) reason = s.state.waiting.reason;
    else if (s.state?.terminated?.reason) reason = s.state.terminated.reason;
  }
  if (o.metadata?.deletionTimestamp) reason = 'Terminating';
  return [
    `${ready}/${containers.length}`,
    reason,
    restarts,
    humanAge(o.metadata?.creationTimestamp, now),
    orNone(status(o).podIP),
    orNone(spec(o).nodeName),
    '<none>',
    '<none>',
  ];
}

const CORE: readonly ResourceType[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['ns'],
    stored: true,
    subresources: [{ name: 'status', kind: 'Namespace', verbs: ['get', 'patch', 'update'] }],
    columns: [col('Status', 'The status of the namespace'), age],
    cells: (o, now) => [status(o).phase ?? 'Active', humanAge(o.metadata?.creationTimestamp, now)],
  },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    verbs: STANDARD_VERBS,
    shortNames: ['po'],
    categories: ['all'],
    stored: true,
    subresources: [
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      { name: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    ],
    columns: [
      col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'The number of times the containers in this pod have been restarted.', 0, 'string'),
      age,
      col('IP', 'IP address allocated to the pod.', 1),
      col('Node', 'Name of the node where the pod is scheduled.', 1),
      col('Nominated Node', 'Name of the node where the pod is nominated.', 1),
      col('Readiness Gates', 'Pod readiness gates.', 1),
    ],
    cells: podCells,
  },
  {
    group: '',
    version: 'v1',
    resource: 'services',
    singular: 'service',
    kind: 'Service',
    namespaced: true,
    verbs: STANDARD_VERBS.filter((v) => v !== 'deletecollection'),
    shortNames: ['svc'],
    categories: ['all'],
    stored: true,
    subresources: [{ name: 'status', kind: 'Service', verbs: ['get', 'patch', 'update'] }],
    columns: [
      col('Type', 'The type of the service.'),
      col('Cluster-IP', 'The cluster IP of the service.'),
      col('External-IP', 'The external IP of the service.'),
      col('Port(s)', 'The ports of the service.'),
      age,
      col('Selector', 'The selector of the service.', 1),
    ],
    cells: (o, now) => {
      const ports: Any[] = spec(o).ports ?? [];
      const selector = spec(o).selector as Record<string, string> | undefined;
      return [
        spec(o).type ?? 'ClusterIP',
        orNone(spec(o).clusterIP),
        '<none>',
        ports.length
          ? ports
              .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`)
              .join(',')
          : '<none>',
        humanAge(o.metadata?.creationTimestamp, now),
        selector
          ? Object.entries(selector)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')
          : '<none>',
      ];
    },
  },
  {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    namespaced: true,
    verbs: STANDARD_VERBS,
    shortNames: ['cm'],
    stored: true,
    columns: [col('Data', 'Number of data entries', 0, 'integer'), age],
    cells: (o, now) => [
      Object.keys((o.data as object) ?? {}).length + Object.keys((o.binaryData as object) ?? {}).length,
      humanAge(o.metadata?.creationTimestamp, now),
    ],
  },
  {
    group: '',
    version: 'v1',
    resource: 'secrets',
    singular: 'secret',
    kind: 'Secret',
    namespaced: true,
    verbs: STANDARD_VERBS,
    stored: true,
    columns: [
      col('Type', 'The type of the secret'),
      col('Data', 'Number of data entries', 0, 'integer'),
      age,
    ],
    cells: (o, now) => [
      (o.type as string) ?? 'Opaque',
      Object.keys((o.data as object) ?? {}).length,
      humanAge(o.metadata?.creationTimestamp, now),
    ],
  },
  {
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    singular: 'serviceaccount',
    kind: 'ServiceAccount',
    namespaced: true,
    verbs: STANDARD_VERBS,
    shortNames: ['sa'],
    stored: true,
    subresources: [{ name: 'token', kind: 'TokenRequest', verbs: ['create'] }],
    columns: [col('Secrets', 'Number of secrets', 0, 'integer'), age],
    cells: (o, now) => [
      ((o.secrets as unknown[]) ?? []).length,
      humanAge(o.metadata?.creationTimestamp, now),
    ],
  },
  {
    group: '',
    version: 'v1',
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    verbs: STANDARD_VERBS,
    shortNames: ['ev'],
    stored: true,
    columns: [
      col('Last Seen', 'Time of the last occurrence'),
      col('Type', 'Type of this event'),
      col('Reason', 'Why the action was taken'),
      col('Object', 'The object this event is about'),
      col('Message', 'A human-readable description'),
    ],
    cells: (o, now) => {
      const involved = (o.involvedObject ?? {}) as Any;
      return [
        humanAge((o.lastTimestamp as string) ?? o.metadata?.creationTimestamp, now),
        (o.type as string) ?? 'Normal',
        (o.reason as string) ?? '',
        `${String(involved.kind ?? '').toLowerCase()}/${involved.name ?? ''}`,
        (o.message as string) ?? '',
      ];
    },
  },
  {
    group: '',
    version: 'v1',
    resource: 'nodes',
    singular: 'node',
    kind: 'Node',
    namespaced: false,
    verbs: STANDARD_VERBS,
    shortNames: ['no'],
    stored: true,
    subresources: [{ name: 'status', kind: 'Node', verbs: ['get', 'patch', 'update'] }],
    columns: [
      col('Status', 'The status of the node'),
      col('Roles', 'The roles of the node'),
      age,
      col('Version', 'Kubelet version'),
      col('Internal-IP', 'Internal IP', 1),
    ],
    cells: (o, now) => {
      const conditions: Any[] = status(o).conditions ?? [];
      const ready = conditions.find((c) => c.type === 'Ready');
      const roles = Object.keys(o.metadata?.labels ?? {})
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length));
      const addresses: Any[] = status(o).addresses ?? [];
      return [
        ready?.status === 'True' ? 'Ready' : 'NotReady',
        roles.length ? roles.join(',') : '<none>',
        humanAge(o.metadata?.creationTimestamp, now),
        status(o).nodeInfo?.kubeletVersion ?? '',
        orNone(addresses.find((a) => a.type === 'InternalIP')?.address),
      ];
    },
  },
];

const rbacCreated = col('Created At', 'Time at which the object was created', 0, 'string', 'date');
const bindingCells = (o: KubeObject, now: number) => {
  const subjects: Any[] = (o.subjects as Any[]) ?? [];
  const of = (kind: string) =>
    subjects
      .filter((s) => s.kind === kind)
      .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name))
      .join(', ');
  const ref = (o.roleRef ?? {}) as Any;
  return [
    `${ref.kind}/${ref.name}`,
    humanAge(o.metadata?.creationTimestamp, now),
    of('User'),
    of('Group'),
    of('ServiceAccount'),
  ];
};
const bindingColumns = [
  col('Role', 'The role of the binding'),
  age,
  col('Users', 'Users in the binding', 1),
  col('Groups', 'Groups in the binding', 1),
  col('ServiceAccounts', 'ServiceAccounts in the binding', 1),
];

const OTHERS: readonly ResourceType[] = [
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    verbs: STANDARD_VERBS,
    shortNames: ['deploy'],
    categories: ['all'],
    stored: true,
    subresources: [
      { name: 'scale', kind: 'Scale', verbs: ['get', 'patch', 'update'] },
      { name: 'status', kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
    ],
    columns: [
      col('Ready', 'Number of the pod with ready state'),
      col(
        'Up-to-date',
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
        0,
        'integer',
      ),
      col(
        'Available',
        'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
        0,
        'integer',
      ),
      age,
      col('Containers', 'Names of each container in the template.', 1),
      col('Images', 'Images referenced by each container in the template.', 1),
      col('Selector', 'Label selector for pods.', 1),
    ],
    cells: (o, now) => {
      const containers: Any[] = spec(o).template?.spec?.containers ?? [];
      const selector = (spec(o).selector?.matchLabels ?? {}) as Record<string, string>;
      return [
        `${status(o).readyReplicas ?? 0}/${spec(o).replicas ?? 1}`,
        status(o).updatedReplicas ?? 0,
        status(o).availableReplicas ?? 0,
        humanAge(o.metadata?.creationTimestamp, now),
        containers.map((c) => c.name).join(','),
        containers.map((c) => c.image).join(','),
        Object.entries(selector)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      ];
    },
  },
  ...(['roles', 'clusterroles'] as const).map(
    (resource): ResourceType => ({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      resource,
      singular: resource.slice(0, -1),
      kind: resource === 'roles' ? 'Role' : 'ClusterRole',
      namespaced: resource === 'roles',
      verbs: STANDARD_VERBS,
      stored: true,
      columns: [rbacCreated],
      cells: (o) => [o.metadata?.creationTimestamp ?? ''],
    }),
  ),
  ...(['rolebindings', 'clusterrolebindings'] as const).map(
    (resource): ResourceType => ({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      resource,
      singular: resource.slice(0, -1),
      kind: resource === 'rolebindings' ? 'RoleBinding' : 'ClusterRoleBinding',
      namespaced: resource === 'rolebindings',
      verbs: STANDARD_VERBS,
      stored: true,
      columns: bindingColumns,
      cells: bindingCells,
    }),
  ),
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectaccessreviews',
    singular: 'selfsubjectaccessreview',
    kind: 'SelfSubjectAccessReview',
    namespaced: false,
    verbs: ['create'],
    stored: false,
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectrulesreviews',
    singular: 'selfsubjectrulesreview',
    kind: 'SelfSubjectRulesReview',
    namespaced: false,
    verbs: ['create'],
    stored: false,
  },
  ...(['v1', 'v1beta1'] as const).map(
    (version): ResourceType => ({
      group: 'authentication.k8s.io',
      version,
      resource: 'selfsubjectreviews',
      singular: 'selfsubjectreview',
      kind: 'SelfSubjectReview',
      namespaced: false,
      verbs: ['create'],
      stored: false,
    }),
  ),
  {
    group: 'example.com',
    version: 'v1',
    resource: 'widgets',
    singular: 'widget',
    kind: 'Widget',
    namespaced: true,
    verbs: STANDARD_VERBS,
    shortNames: ['wg'],
    stored: true,
    custom: true,
    subresources: [{ name: 'status', kind: 'Widget', verbs: ['get', 'patch', 'update'] }],
    columns: [col('Size', 'spec.size of the widget', 0, 'integer'), age],
    cells: (o, now) => [spec(o).size ?? '<none>', humanAge(o.metadata?.creationTimestamp, now)],
  },
];

/** Every resource type the simulator serves, in discovery order. */
export const RESOURCE_TYPES: readonly ResourceType[] = [...CORE, ...OTHERS];

/** The group-versions served, preferred version first within a group. */
export function servedGroupVersions(
  types: readonly ResourceType[] = RESOURCE_TYPES,
): { group: string; versions: string[] }[] {
  const groups: { group: string; versions: string[] }[] = [];
  for (const t of types) {
    let g = groups.find((x) => x.group === t.group);
    if (!g) {
      g = { group: t.group, versions: [] };
      groups.push(g);
    }
    if (!g.versions.includes(t.version)) g.versions.push(t.version);
  }
  return groups;
}

/** Finds a served resource type by group, version and plural name. */
export function findResourceType(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.resource === resource);
}

/** Finds the stored (preferred-version) type of a group and resource, for RBAC and the object API. */
export function typeFor(group: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.resource === resource);
}

/** Finds the type of a kind in apiVersion, for objects given as JSON. */
export function typeForKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => groupVersion(t) === apiVersion && t.kind === kind && t.stored);
}
