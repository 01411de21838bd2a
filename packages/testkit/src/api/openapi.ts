import { createHash } from 'node:crypto';
import { groupVersion, RESOURCE_TYPES, type ResourceType, servedGroupVersions } from './resource-types.js';

// Enough OpenAPI v3 for kubectl 1.29+ (k8s-protocols §1.5): `apply`'s query-parameter verifier needs
// a PATCH operation carrying x-kubernetes-group-version-kind and a `fieldValidation` parameter,
// and `explain` needs components.schemas.<name> with x-kubernetes-group-version-kind,
// description, properties and required.

type Schema = Record<string, unknown>;
const str = (description: string): Schema => ({ type: 'string', description });
const int = (description: string): Schema => ({ type: 'integer', format: 'int32', description });
const ref = (name: string, description: string): Schema => ({
  allOf: [{ $ref: `#/components/schemas/${name}` }],
  description,
});
const arr = (items: Schema, description: string): Schema => ({ type: 'array', items, description });
const map = (description: string): Schema => ({
  type: 'object',
  additionalProperties: { type: 'string' },
  description,
});

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function shared(): Record<string, Schema> {
  return {
    [META]: {
      type: 'object',
      description: 'ObjectMeta is metadata that all persisted resources must have.',
      properties: {
        name: str('Name must be unique within a namespace.'),
        generateName: str('An optional prefix used by the server to generate a unique name.'),
        namespace: str('Namespace defines the space within which each name must be unique.'),
        uid: str('UID is the unique in time and space value for this object.'),
        resourceVersion: str('An opaque value that represents the internal version of this object.'),
        generation: {
          type: 'integer',
          format: 'int64',
          description: 'A sequence number representing a specific generation of the desired state.',
        },
        creationTimestamp: str(
          'CreationTimestamp is a timestamp representing the server time when this object was created.',
        ),
        labels: map('Map of string keys and values that can be used to organize and categorize objects.'),
        annotations: map('Annotations is an unstructured key value map stored with a resource.'),
      },
    },
    'io.k8s.api.core.v1.Container': {
      type: 'object',
      description: 'A single application container that you want to run within a pod.',
      required: ['name'],
      properties: {
        name: str('Name of the container specified as a DNS_LABEL.'),
        image: str('Container image name.'),
        command: arr({ type: 'string' }, 'Entrypoint array. Not executed within a shell.'),
        args: arr({ type: 'string' }, 'Arguments to the entrypoint.'),
        ports: arr(
          {
            type: 'object',
            properties: {
              containerPort: int("Number of port to expose on the pod's IP address."),
              name: str('Port name'),
              protocol: str('Protocol for port.'),
            },
          },
          'List of ports to expose from the container.',
        ),
        env: arr(
          {
            type: 'object',
            properties: { name: str('Name of the environment variable.'), value: str('Variable value.') },
          },
          'List of environment variables to set in the container.',
        ),
      },
    },
    'io.k8s.api.core.v1.PodSpec': {
      type: 'object',
      description: 'PodSpec is a description of a pod.',
      required: ['containers'],
      properties: {
        containers: {
          type: 'array',
          items: { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }] },
          description:
            'List of containers belonging to the pod. There must be at least one container in a Pod.',
          'x-kubernetes-patch-merge-key': 'name',
          'x-kubernetes-patch-strategy': 'merge',
        },
        nodeName: str('NodeName indicates in which node this pod is scheduled.'),
        restartPolicy: str('Restart policy for all containers within the pod.'),
        serviceAccountName: str(
          'ServiceAccountName is the name of the ServiceAccount to use to run this pod.',
        ),
      },
    },
    'io.k8s.api.core.v1.PodTemplateSpec': {
      type: 'object',
      description: 'PodTemplateSpec describes the data a pod should have when created from a template',
      properties: {
        metadata: ref(META, "Standard object's metadata."),
        spec: ref('io.k8s.api.core.v1.PodSpec', 'Specification of the desired behavior of the pod.'),
      },
    },
  };
}

const SPEC_SCHEMAS: Readonly<Record<string, Schema>> = {
  Pod: ref('io.k8s.api.core.v1.PodSpec', 'Specification of the desired behavior of the pod.'),
  Deployment: {
    type: 'object',
    description: 'Specification of the desired behavior of the Deployment.',
    required: ['selector', 'template'],
    properties: {
      replicas: int('Number of desired pods. Defaults to 1.'),
      selector: {
        type: 'object',
        description: 'Label selector for pods.',
        properties: { matchLabels: map('matchLabels is a map of {key,value} pairs.') },
      },
      template: ref(
        'io.k8s.api.core.v1.PodTemplateSpec',
        'Template describes the pods that will be created.',
      ),
    },
  },
  Service: {
    type: 'object',
    description: 'Spec defines the behavior of a service.',
    properties: {
      type: str('type determines how the Service is exposed.'),
      selector: map('Route service traffic to pods with label keys and values matching this selector.'),
      ports: arr(
        {
          type: 'object',
          properties: {
            port: int('The port that will be exposed by this service.'),
            targetPort: {
              'x-kubernetes-int-or-string': true,
              description: 'Number or name of the port to access on the pods.',
            },
            protocol: str('The IP protocol for this port.'),
          },
        },
        'The list of ports that are exposed by this service.',
      ),
    },
  },
  Widget: {
    type: 'object',
    description: 'WidgetSpec (example custom resource).',
    properties: { size: int('How big the widget is.'), color: str('Its colour.') },
  },
};

function schemaName(t: ResourceType): string {
  if (t.custom) return `com.example.${t.version}.${t.kind}`;
  const g = t.group ? t.group.split('.')[0] : 'core';
  return `io.k8s.api.${g}.${t.version}.${t.kind}`;
}

function kindSchema(t: ResourceType): Schema {
  const gvk = [{ group: t.group, kind: t.kind, version: t.version }];
  const properties: Record<string, Schema> = {
    apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
    kind: str('Kind is a string value representing the REST resource this object represents.'),
    metadata: ref(META, "Standard object's metadata."),
  };
  const spec = SPEC_SCHEMAS[t.kind];
  if (spec) properties.spec = spec;
  if (t.kind === 'ConfigMap' || t.kind === 'Secret')
    properties.data = map('Data contains the configuration data.');
  if (t.kind === 'Secret')
    properties.stringData = map('stringData allows specifying non-binary secret data in string form.');
  if (['Role', 'ClusterRole'].includes(t.kind))
    properties.rules = arr({ type: 'object' }, 'Rules holds all the PolicyRules.');
  if (['RoleBinding', 'ClusterRoleBinding'].includes(t.kind)) {
    properties.subjects = arr(
      { type: 'object' },
      'Subjects holds references to the objects the role applies to.',
    );
    properties.roleRef = { type: 'object', description: 'RoleRef references a Role or ClusterRole.' };
  }
  if (!t.custom && t.stored)
    properties.status = { type: 'object', description: `Most recently observed status of the ${t.kind}.` };
  return {
    type: 'object',
    description: `${t.kind} is a ${t.custom ? 'custom resource served by the simulator' : 'Kubernetes object'} (${groupVersion(t)}).`,
    properties,
    ...(t.kind === 'Pod' ? { required: ['spec'] } : {}),
    'x-kubernetes-group-version-kind': gvk,
  };
}

function operations(t: ResourceType) {
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const body = {
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(t)}` } } },
  };
  const ok = {
    200: {
      description: 'OK',
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(t)}` } } },
    },
  };
  const q = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
  const base = `/${t.group ? `apis/${t.group}` : 'api'}/${t.version}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}`;
  const common = t.namespaced
    ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }]
    : [];
  if (!t.stored) {
    return {
      [base.replace('/namespaces/{namespace}', '')]: {
        post: {
          'x-kubernetes-group-version-kind': gvk,
          'x-kubernetes-action': 'post',
          requestBody: body,
          responses: ok,
          parameters: [q('dryRun'), q('fieldManager'), q('fieldValidation')],
        },
      },
    };
  }
  return {
    [base]: {
      parameters: common,
      get: { 'x-kubernetes-group-version-kind': gvk, 'x-kubernetes-action': 'list', responses: ok },
      post: {
        'x-kubernetes-group-version-kind': gvk,
        'x-kubernetes-action': 'post',
        requestBody: body,
        responses: ok,
        parameters: [q('dryRun'), q('fieldManager'), q('fieldValidation')],
      },
    },
    [`${base}/{name}`]: {
      parameters: [...common, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      get: { 'x-kubernetes-group-version-kind': gvk, 'x-kubernetes-action': 'get', responses: ok },
      put: {
        'x-kubernetes-group-version-kind': gvk,
        'x-kubernetes-action': 'put',
        requestBody: body,
        responses: ok,
        parameters: [q('dryRun'), q('fieldManager'), q('fieldValidation')],
      },
      patch: {
        'x-kubernetes-group-version-kind': gvk,
        'x-kubernetes-action': 'patch',
        requestBody: {
          content: {
            'application/json-patch+json': {},
            'application/merge-patch+json': {},
            ...(t.custom ? {} : { 'application/strategic-merge-patch+json': {} }),
            'application/apply-patch+yaml': {},
          },
        },
        responses: ok,
        parameters: [q('dryRun'), q('fieldManager'), q('fieldValidation'), q('force')],
      },
      delete: { 'x-kubernetes-group-version-kind': gvk, 'x-kubernetes-action': 'delete', responses: ok },
    },
  };
}

/** The OpenAPI v3 document of one group-version, or undefined when it is not served. */
export function openApiV3Document(group: string, version: string): Record<string, unknown> | undefined {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const schemas: Record<string, Schema> = shared();
  const paths: Record<string, unknown> = {};
  for (const t of types) {
    schemas[schemaName(t)] = kindSchema(t);
    Object.assign(paths, operations(t));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    components: { schemas },
  };
}

/** Path key of a group-version in the v3 index: `api/v1`, `apis/apps/v1`. */
export function openApiV3Key(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The `/openapi/v3` index, with a content hash per document as the real server adds. */
export function openApiV3Index(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const g of servedGroupVersions()) {
    for (const v of g.versions) {
      const doc = openApiV3Document(g.group, v);
      const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 64).toUpperCase();
      const key = openApiV3Key(g.group, v);
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    }
  }
  return { paths };
}
