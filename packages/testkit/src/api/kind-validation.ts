// biome-ignore-all lint/suspicious/noExplicitAny: objects are free-form JSON
import type { StatusCause } from '../http/status.js';
import type { KubeObject } from './resource-types.js';

// The parts of kube-apiserver's per-kind validation that manifests most often get wrong, with its
// field paths and messages (pkg/apis/apps/validation, pkg/apis/core/validation,
// pkg/apis/rbac/validation; messages as apimachinery's field.Error prints them). A server dry run
// against the simulator then refuses what a real API server would refuse.

/** A field error, as the registry collects them. */
type Cause = Required<StatusCause>;
type Causes = Cause[];

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const IANA_SVC_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** Go's `%#v` of the few value shapes these messages print. */
function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[]string{${value.map((v) => JSON.stringify(String(v))).join(', ')}}`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(String(v))}`).join(', ')}}`;
  }
  return String(value);
}

const required = (field: string, detail?: string): Cause => ({
  reason: 'FieldValueRequired',
  message: detail ? `Required value: ${detail}` : 'Required value',
  field,
});
const invalid = (field: string, value: unknown, detail: string): Cause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${goValue(value)}: ${detail}`,
  field,
});
const notFound = (field: string, value: string): Cause => ({
  reason: 'FieldValueNotFound',
  message: `Not found: ${JSON.stringify(value)}`,
  field,
});
const duplicate = (field: string, value: unknown): Cause => ({
  reason: 'FieldValueDuplicate',
  message: `Duplicate value: ${goValue(value)}`,
  field,
});
const notSupported = (field: string, value: unknown, supported: readonly string[]): Cause => ({
  reason: 'FieldValueNotSupported',
  message: `Unsupported value: ${goValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  field,
});

/**
 * Validates what kube-apiserver validates for these kinds beyond name and containers (which the
 * registry checks): Deployment selector and template, pod volumes and mounts, Service ports and
 * type, RBAC rules and bindings, Secret and ConfigMap keys. Applies the decode-time defaults that
 * validation depends on (RBAC subjects' apiGroup), as the API server does before validating.
 */
export function validateKind(kind: string, object: KubeObject): Causes {
  switch (kind) {
    case 'Deployment':
      return validateDeployment(object);
    case 'Pod':
      return validatePodSpec((object.spec ?? {}) as any, 'spec', ['Always', 'OnFailure', 'Never']);
    case 'Service':
      return validateService(object);
    case 'Role':
    case 'ClusterRole':
      return validateRules(object, kind === 'Role');
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      return validateBinding(object, kind === 'RoleBinding');
    case 'Secret':
    case 'ConfigMap':
      return validateKeys(object);
    default:
      return [];
  }
}

/** An update may not point a binding at another role (rbac validation: "cannot change roleRef"). */
export function validateUpdate(kind: string, previous: KubeObject, next: KubeObject): Causes {
  if (kind !== 'RoleBinding' && kind !== 'ClusterRoleBinding') return [];
  const before = (previous.roleRef ?? {}) as any;
  const after = (next.roleRef ?? {}) as any;
  if (before.apiGroup === after.apiGroup && before.kind === after.kind && before.name === after.name)
    return [];
  return [
    {
      reason: 'FieldValueInvalid',
      message: `Invalid value: rbac.RoleRef{APIGroup:${JSON.stringify(after.apiGroup ?? '')}, Kind:${JSON.stringify(after.kind ?? '')}, Name:${JSON.stringify(after.name ?? '')}}: cannot change roleRef`,
      field: 'roleRef',
    },
  ];
}

function validateDeployment(object: KubeObject): Causes {
  const spec = (object.spec ?? {}) as any;
  const causes: Causes = [];
  if (typeof spec.replicas === 'number' && spec.replicas < 0)
    causes.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  const selector = spec.selector;
  const matchLabels = (selector?.matchLabels ?? {}) as Record<string, string>;
  if (!selector) causes.push(required('spec.selector'));
  else if (Object.keys(matchLabels).length === 0 && !(selector.matchExpressions ?? []).length)
    causes.push(invalid('spec.selector', selector, 'empty selector is invalid for deployment'));
  const labels = (spec.template?.metadata?.labels ?? {}) as Record<string, string>;
  if (selector && Object.entries(matchLabels).some(([k, v]) => labels[k] !== v))
    causes.push(
      invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
    );
  if (spec.template?.spec)
    causes.push(...validatePodSpec(spec.template.spec, 'spec.template.spec', ['Always']));
  return causes;
}

function validatePodSpec(pod: any, path: string, restartPolicies: readonly string[]): Causes {
  const causes: Causes = [];
  const volumes: any[] = Array.isArray(pod.volumes) ? pod.volumes : [];
  const names = new Set<string>();
  volumes.forEach((volume, i) => {
    if (!volume?.name) causes.push(required(`${path}.volumes[${i}].name`));
    else if (names.has(volume.name)) causes.push(duplicate(`${path}.volumes[${i}].name`, volume.name));
    else names.add(volume.name);
  });
  if (pod.restartPolicy !== undefined && !restartPolicies.includes(pod.restartPolicy))
    causes.push(notSupported(`${path}.restartPolicy`, pod.restartPolicy, restartPolicies));
  for (const group of ['initContainers', 'containers'] as const) {
    const list: any[] = Array.isArray(pod[group]) ? pod[group] : [];
    list.forEach((container, c) => {
      const at = `${path}.${group}[${c}]`;
      const mountPaths = new Set<string>();
      (Array.isArray(container?.volumeMounts) ? container.volumeMounts : []).forEach(
        (mount: any, m: number) => {
          if (!mount?.name) causes.push(required(`${at}.volumeMounts[${m}].name`));
          else if (!names.has(mount.name)) causes.push(notFound(`${at}.volumeMounts[${m}].name`, mount.name));
          if (!mount?.mountPath) causes.push(required(`${at}.volumeMounts[${m}].mountPath`));
          else if (mountPaths.has(mount.mountPath))
            causes.push(invalid(`${at}.volumeMounts[${m}].mountPath`, mount.mountPath, 'must be unique'));
          else mountPaths.add(mount.mountPath);
        },
      );
      const portNames = new Set<string>();
      (Array.isArray(container?.ports) ? container.ports : []).forEach((port: any, p: number) => {
        if (port?.name !== undefined) {
          if (!IANA_SVC_NAME.test(port.name))
            causes.push(
              invalid(
                `${at}.ports[${p}].name`,
                port.name,
                "must be no more than 15 characters, contain only lowercase alphanumeric characters or '-', contain at least one letter, and not start or end with '-'",
              ),
            );
          else if (portNames.has(port.name)) causes.push(duplicate(`${at}.ports[${p}].name`, port.name));
          else portNames.add(port.name);
        }
        const n = port?.containerPort;
        if (!Number.isInteger(n) || n < 1 || n > 65_535)
          causes.push(
            invalid(`${at}.ports[${p}].containerPort`, n ?? 0, 'must be between 1 and 65535, inclusive'),
          );
      });
    });
  }
  return causes;
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function validateService(object: KubeObject): Causes {
  const spec = (object.spec ?? {}) as any;
  const causes: Causes = [];
  const type = spec.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(type)) causes.push(notSupported('spec.type', type, SERVICE_TYPES));
  const ports: any[] = Array.isArray(spec.ports) ? spec.ports : [];
  // Headless services (clusterIP None) and ExternalName may have no ports; everything else needs one.
  if (ports.length === 0 && type !== 'ExternalName' && spec.clusterIP !== 'None')
    causes.push(required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    if (ports.length > 1 && !port?.name) causes.push(required(`spec.ports[${i}].name`));
    else if (port?.name) {
      if (names.has(port.name)) causes.push(duplicate(`spec.ports[${i}].name`, port.name));
      names.add(port.name);
    }
    if (!Number.isInteger(port?.port) || port.port < 1 || port.port > 65_535)
      causes.push(
        invalid(`spec.ports[${i}].port`, port?.port ?? 0, 'must be between 1 and 65535, inclusive'),
      );
    const target = port?.targetPort;
    if (typeof target === 'string' && !IANA_SVC_NAME.test(target))
      causes.push(
        invalid(
          `spec.ports[${i}].targetPort`,
          target,
          'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        ),
      );
  });
  return causes;
}

function validateRules(object: KubeObject, namespaced: boolean): Causes {
  const causes: Causes = [];
  const rules: any[] = Array.isArray(object.rules) ? object.rules : [];
  // An aggregated ClusterRole's rules are filled by the controller; it may be created without any.
  rules.forEach((rule, i) => {
    const at = `rules[${i}]`;
    if (!Array.isArray(rule?.verbs) || rule.verbs.length === 0)
      causes.push(required(`${at}.verbs`, 'verbs must contain at least one value'));
    const urls: string[] = rule?.nonResourceURLs ?? [];
    if (urls.length > 0) {
      if (namespaced)
        causes.push(
          invalid(`${at}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'),
        );
      if ((rule.apiGroups ?? []).length || (rule.resources ?? []).length || (rule.resourceNames ?? []).length)
        causes.push(
          invalid(
            `${at}.nonResourceURLs`,
            urls,
            'rules cannot apply to both regular resources and non-resource URLs',
          ),
        );
      return;
    }
    if (!(rule?.apiGroups ?? []).length)
      causes.push(required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
    if (!(rule?.resources ?? []).length)
      causes.push(required(`${at}.resources`, 'resource rules must supply at least one resource'));
  });
  return causes;
}

function validateBinding(object: KubeObject, namespaced: boolean): Causes {
  const causes: Causes = [];
  const ref = (object.roleRef ?? {}) as any;
  if (ref.apiGroup !== RBAC_GROUP)
    causes.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) causes.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) causes.push(required('roleRef.name'));
  const subjects: any[] = Array.isArray(object.subjects) ? object.subjects : [];
  subjects.forEach((subject, i) => {
    const at = `subjects[${i}]`;
    // Decode defaulting (rbac/v1 SetDefaults_Subject): User and Group get the RBAC group.
    if (subject && subject.apiGroup === undefined && (subject.kind === 'User' || subject.kind === 'Group'))
      subject.apiGroup = RBAC_GROUP;
    if (!subject?.name) causes.push(required(`${at}.name`));
    switch (subject?.kind) {
      case 'ServiceAccount':
        if (subject.apiGroup) causes.push(notSupported(`${at}.apiGroup`, subject.apiGroup, ['']));
        if (!namespaced && !subject.namespace) causes.push(required(`${at}.namespace`));
        break;
      case 'User':
      case 'Group':
        if (subject.apiGroup !== RBAC_GROUP)
          causes.push(notSupported(`${at}.apiGroup`, subject.apiGroup, [RBAC_GROUP]));
        break;
      default:
        causes.push(notSupported(`${at}.kind`, subject?.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  return causes;
}

function validateKeys(object: KubeObject): Causes {
  const causes: Causes = [];
  for (const field of ['data', 'binaryData', 'stringData']) {
    const map = object[field];
    if (!map || typeof map !== 'object') continue;
    for (const key of Object.keys(map))
      if (!CONFIG_KEY.test(key))
        causes.push(
          invalid(
            `${field}[${key}]`,
            key,
            `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
          ),
        );
  }
  return causes;
}
