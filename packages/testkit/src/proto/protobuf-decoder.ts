import protobuf from 'protobufjs/minimal.js';

// kubectl 1.32+ sends typed-client bodies as protobuf (k8s-protocols §9.1): the magic `k8s\0`, then
// a runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}
// whose `raw` is the object's own message. Decoded here: the review kinds (can-i, whoami) and the
// simple kinds of `kubectl create namespace|configmap|secret|serviceaccount`; the simulator
// answers in JSON, which kubectl accepts. Field numbers from k8s.io/api generated.proto.

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
