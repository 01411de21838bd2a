import protobuf from 'protobufjs/minimal.js';

// kubectl 1.32+ sends typed-client bodies as protobuf (k8s-protocols §9.1): the magic `k8s\0`, then
// a runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}
// whose `raw` is the object's own message. Only the review kinds kubectl sends are decoded; the
// simulator answers them in JSON, which kubectl accepts.

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

function objectMeta(f: Fields): Record<string, unknown> {
  // ObjectMeta: 1 name, 2 generateName, 3 namespace. Reviews carry an empty one.
  return compact({ name: str(f, 1), generateName: str(f, 2), namespace: str(f, 3) });
}

/**
 * Decodes a `k8s\0`-enveloped SelfSubjectAccessReview, SelfSubjectRulesReview or
 * SelfSubjectReview into its JSON form.
 */
export function decodeProtobufReview(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw new ProtobufDecodeError('provided object is not a protobuf message: missing the k8s\\0 prefix');
  }
  const unknown = fields(body.subarray(4));
  const typeMeta = sub(unknown, 1);
  const apiVersion = str(typeMeta, 1) ?? '';
  const kind = str(typeMeta, 2) ?? '';
  const raw = unknown.get(2)?.[0];
  const message = raw instanceof Uint8Array ? fields(raw) : new Map();
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
    default:
      throw new ProtobufDecodeError(
        `the simulator decodes protobuf only for review kinds, not ${kind || 'an unknown kind'}`,
      );
  }
}
