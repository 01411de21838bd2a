import protobuf from 'protobufjs/minimal.js';

// kubectl 1.32+ sends typed-client bodies as protobuf (k8s-protocols §9.1): the magic `k8s\0`, then
// a runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}
// whose `raw` is the object's own message. Decoded here: the review kinds (can-i, whoami) and the
// kinds `kubectl create <kind>` sends, with the fields those commands set; the simulator answers in
// JSON, which kubectl accepts. Field numbers from k8s.io/api generated.proto.

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Fields = Map<number, (Uint8Array | string | number | boolean)[]>;

/** Reads one message into field number → raw values (length-delimited as bytes, varints as numbers). */
function fields(bytes: Uint8Array): Fields {
  const reader = protobuf.Reader.create(bytes);
  const out: Fields = new Map();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    let value: Uint8Array | number;
    if (wire === 2) value = reader.bytes();
    // Varints here are bools and small counts; uint32 reads them whole.
    else if (wire === 0) value = reader.uint32();
    else {
      reader.skipType(wire);
      continue;
    }
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

const text = (v: unknown): string => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : '');
const str = (f: Fields, n: number): string | undefined => {
  const v = f.get(n)?.[0];
  return v === undefined ? undefined : text(v);
};
const sub = (f: Fields, n: number): Fields => {
  const v = f.get(n)?.[0];
  return v instanceof Uint8Array ? fields(v) : new Map();
};

/** Thrown for bodies that are not a protobuf-encoded kind this decoder knows. */
export class ProtobufDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
  }
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));
}

/** map<string, string|bytes> entries: {1 key, 2 value}. */
function stringMap(f: Fields, n: number, asBase64 = false): Record<string, string> | undefined {
  const entries = (f.get(n) ?? []).filter((v): v is Uint8Array => v instanceof Uint8Array).map(fields);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(
    entries.map((e) => {
      const value = e.get(2)?.[0];
      const bytes = value instanceof Uint8Array ? Buffer.from(value) : Buffer.alloc(0);
      return [str(e, 1) ?? '', asBase64 ? bytes.toString('base64') : bytes.toString('utf8')];
    }),
  );
}

function objectMeta(f: Fields): Record<string, unknown> {
  // ObjectMeta: 1 name, 2 generateName, 3 namespace, 11 labels, 12 annotations, 14 finalizers.
  const finalizers = (f.get(14) ?? []).map(text);
  return compact({
    name: str(f, 1),
    generateName: str(f, 2),
    namespace: str(f, 3),
    labels: stringMap(f, 11),
    annotations: stringMap(f, 12),
    finalizers: finalizers.length ? finalizers : undefined,
  });
}

function int(f: Fields, n: number): number | undefined {
  const v = f.get(n)?.[0];
  return typeof v === 'number' ? v : undefined;
}

const each = (f: Fields, n: number): Fields[] =>
  (f.get(n) ?? []).filter((v): v is Uint8Array => v instanceof Uint8Array).map(fields);
const strings = (f: Fields, n: number): string[] | undefined => {
  const list = (f.get(n) ?? []).map(text);
  return list.length ? list : undefined;
};

// rbac/v1 PolicyRule {1 verbs, 2 apiGroups, 3 resources, 4 resourceNames, 5 nonResourceURLs}
function policyRule(f: Fields) {
  return compact({
    verbs: strings(f, 1) ?? [],
    apiGroups: strings(f, 2),
    resources: strings(f, 3),
    resourceNames: strings(f, 4),
    nonResourceURLs: strings(f, 5),
  });
}

// rbac/v1 Subject {1 kind, 2 apiGroup, 3 name, 4 namespace}; RoleRef {1 apiGroup, 2 kind, 3 name}
function binding(message: Fields) {
  const ref = sub(message, 3);
  return {
    subjects: each(message, 2).map((x) =>
      compact({ kind: str(x, 1), apiGroup: str(x, 2), name: str(x, 3), namespace: str(x, 4) }),
    ),
    roleRef: { apiGroup: str(ref, 1) ?? '', kind: str(ref, 2) ?? '', name: str(ref, 3) ?? '' },
  };
}

// core/v1 Container {1 name, 2 image, 3 command, 4 args, 5 workingDir, 6 ports, 7 env};
// ContainerPort {1 name, 2 hostPort, 3 containerPort, 4 protocol}; EnvVar {1 name, 2 value}
function container(f: Fields) {
  const ports = each(f, 6).map((p) =>
    compact({ name: str(p, 1), hostPort: int(p, 2), containerPort: int(p, 3), protocol: str(p, 4) }),
  );
  const env = each(f, 7).map((e) => compact({ name: str(e, 1), value: str(e, 2) }));
  return compact({
    name: str(f, 1),
    image: str(f, 2),
    command: strings(f, 3),
    args: strings(f, 4),
    workingDir: str(f, 5),
    ports: ports.length ? ports : undefined,
    env: env.length ? env : undefined,
  });
}

// meta/v1 LabelSelector {1 matchLabels, 2 matchExpressions {1 key, 2 operator, 3 values}}
function labelSelector(f: Fields) {
  const expressions = each(f, 2).map((e) =>
    compact({ key: str(e, 1), operator: str(e, 2), values: strings(e, 3) }),
  );
  return compact({
    matchLabels: stringMap(f, 1),
    matchExpressions: expressions.length ? expressions : undefined,
  });
}

// IntOrString {1 type (0 int, 1 string), 2 intVal, 3 strVal}
function intOrString(f: Fields): number | string | undefined {
  if (f.size === 0) return undefined;
  return int(f, 1) === 1 ? (str(f, 3) ?? '') : (int(f, 2) ?? 0);
}

function bool(f: Fields, n: number): boolean | undefined {
  const v = f.get(n)?.[0];
  return typeof v === 'number' ? v !== 0 : undefined;
}

/** The kinds {@link decodeProtobufObject} understands. */
export const PROTOBUF_KINDS: ReadonlySet<string> = new Set([
  'SelfSubjectAccessReview',
  'SelfSubjectRulesReview',
  'SelfSubjectReview',
  'Namespace',
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Service',
  'Deployment',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'TokenRequest',
]);

/**
 * Decodes a `k8s\0`-enveloped object of one of {@link PROTOBUF_KINDS} into its JSON form.
 *
 * @throws ProtobufDecodeError for anything else; the caller answers 415.
 */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw new ProtobufDecodeError('provided object is not a protobuf message: missing the k8s\\0 prefix');
  }
  const unknown = fields(body.subarray(4));
  const typeMeta = sub(unknown, 1);
  const apiVersion = str(typeMeta, 1) ?? '';
  const kind = str(typeMeta, 2) ?? '';
  const raw = unknown.get(2)?.[0];
  const message: Fields = raw instanceof Uint8Array ? fields(raw) : new Map();
  const metadata = objectMeta(sub(message, 1));
  switch (kind) {
    case 'SelfSubjectAccessReview': {
      const spec = sub(message, 2);
      const ra = spec.has(1) ? sub(spec, 1) : undefined;
      const nra = spec.has(2) ? sub(spec, 2) : undefined;
      return {
        kind,
        apiVersion,
        metadata,
        spec: compact({
          resourceAttributes: ra
            ? compact({
                namespace: str(ra, 1),
                verb: str(ra, 2),
                group: str(ra, 3),
                version: str(ra, 4),
                resource: str(ra, 5),
                subresource: str(ra, 6),
                name: str(ra, 7),
              })
            : undefined,
          nonResourceAttributes: nra ? compact({ path: str(nra, 1), verb: str(nra, 2) }) : undefined,
        }),
      };
    }
    case 'SelfSubjectRulesReview':
      return { kind, apiVersion, metadata, spec: compact({ namespace: str(sub(message, 2), 1) }) };
    case 'SelfSubjectReview':
      return { kind, apiVersion, metadata, status: { userInfo: {} } };
    case 'Namespace': {
      const finalizers = (sub(message, 2).get(1) ?? []).map(text);
      return { kind, apiVersion, metadata, ...(finalizers.length ? { spec: { finalizers } } : {}) };
    }
    case 'ConfigMap':
      // 2 data, 3 binaryData, 4 immutable
      return compact({
        kind,
        apiVersion,
        metadata,
        data: stringMap(message, 2),
        binaryData: stringMap(message, 3, true),
        immutable: bool(message, 4),
      });
    case 'Secret':
      // 2 data (bytes), 3 type, 4 stringData, 5 immutable
      return compact({
        kind,
        apiVersion,
        metadata,
        data: stringMap(message, 2, true),
        type: str(message, 3),
        stringData: stringMap(message, 4),
        immutable: bool(message, 5),
      });
    case 'Role':
    case 'ClusterRole':
      return { kind, apiVersion, metadata, rules: each(message, 2).map(policyRule) };
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      return { kind, apiVersion, metadata, ...binding(message) };
    case 'Service': {
      // ServiceSpec {1 ports, 2 selector, 3 clusterIP, 4 type}; ServicePort {1 name, 2 protocol, 3 port, 4 targetPort, 5 nodePort}
      const spec = sub(message, 2);
      const ports = each(spec, 1).map((p) =>
        compact({
          name: str(p, 1),
          protocol: str(p, 2),
          port: int(p, 3),
          targetPort: intOrString(sub(p, 4)),
          nodePort: int(p, 5),
        }),
      );
      return {
        kind,
        apiVersion,
        metadata,
        spec: compact({
          ports: ports.length ? ports : undefined,
          selector: stringMap(spec, 2),
          clusterIP: str(spec, 3),
          type: str(spec, 4),
        }),
      };
    }
    case 'Deployment': {
      // DeploymentSpec {1 replicas, 2 selector, 3 template {1 metadata, 2 spec {2 containers}}, 4 strategy {1 type}}
      const spec = sub(message, 2);
      const template = sub(spec, 3);
      const podSpec = sub(template, 2);
      return {
        kind,
        apiVersion,
        metadata,
        spec: compact({
          replicas: int(spec, 1),
          selector: spec.has(2) ? labelSelector(sub(spec, 2)) : undefined,
          template: {
            metadata: objectMeta(sub(template, 1)),
            spec: { containers: each(podSpec, 2).map(container) },
          },
          strategy: spec.has(4) ? compact({ type: str(sub(spec, 4), 1) }) : undefined,
        }),
      };
    }
    case 'TokenRequest': {
      // authentication/v1 TokenRequestSpec {1 audiences, 3 boundObjectRef {1 kind, 2 apiVersion, 3 name, 4 uid}, 4 expirationSeconds}
      const spec = sub(message, 2);
      const ref = spec.has(3) ? sub(spec, 3) : undefined;
      const audiences = (spec.get(1) ?? []).map(text);
      return {
        kind,
        apiVersion,
        metadata,
        spec: compact({
          audiences: audiences.length ? audiences : undefined,
          expirationSeconds: int(spec, 4),
          boundObjectRef: ref
            ? compact({ kind: str(ref, 1), apiVersion: str(ref, 2), name: str(ref, 3), uid: str(ref, 4) })
            : undefined,
        }),
      };
    }
    case 'ServiceAccount':
      // 2 secrets, 3 imagePullSecrets (LocalObjectReference {1 name}), 4 automountServiceAccountToken
      return compact({
        kind,
        apiVersion,
        metadata,
        imagePullSecrets: (message.get(3) ?? []).length
          ? (message.get(3) ?? []).map((v) => ({
              name: v instanceof Uint8Array ? (str(fields(v), 1) ?? '') : '',
            }))
          : undefined,
        automountServiceAccountToken: bool(message, 4),
      });
    default:
      throw new ProtobufDecodeError(
        `the simulator cannot decode a protobuf ${kind || 'object of unknown kind'}`,
      );
  }
}
