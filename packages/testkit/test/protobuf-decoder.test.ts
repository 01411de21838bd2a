import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { decodeProtobufObject, ProtobufDecodeError } from '../src/proto/protobuf-decoder.js';

// Builds bodies the way kubectl 1.32+ does: `k8s\0` + runtime.Unknown{typeMeta, raw}.
function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const typeMeta = protobuf.Writer.create()
    .uint32((1 << 3) | 2)
    .string(apiVersion)
    .uint32((2 << 3) | 2)
    .string(kind)
    .finish();
  const unknown = protobuf.Writer.create()
    .uint32((1 << 3) | 2)
    .bytes(typeMeta)
    .uint32((2 << 3) | 2)
    .bytes(raw)
    .finish();
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}
const message = (build: (w: protobuf.Writer) => protobuf.Writer) => build(protobuf.Writer.create()).finish();
const field = (n: number) => (n << 3) | 2;

describe('protobuf request decoding', () => {
  it('decodes a SelfSubjectAccessReview with resource attributes', () => {
    const ra = message((w) =>
      w
        .uint32(field(1))
        .string('default')
        .uint32(field(2))
        .string('get')
        .uint32(field(5))
        .string('pods')
        .uint32(field(7))
        .string('web-0'),
    );
    const spec = message((w) => w.uint32(field(1)).bytes(ra));
    const review = message((w) => w.uint32(field(1)).bytes(new Uint8Array()).uint32(field(2)).bytes(spec));
    expect(
      decodeProtobufObject(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', review)),
    ).toEqual({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: {},
      spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods', name: 'web-0' } },
    });
  });

  it('decodes a Secret with metadata labels, binary data as base64 and its type', () => {
    const entry = (k: string, v: string) =>
      message((w) => w.uint32(field(1)).string(k).uint32(field(2)).bytes(Buffer.from(v)));
    const meta = message((w) =>
      w.uint32(field(1)).string('creds').uint32(field(11)).bytes(entry('app', 'web')),
    );
    const secret = message((w) =>
      w
        .uint32(field(1))
        .bytes(meta)
        .uint32(field(2))
        .bytes(entry('pw', 'hunter2'))
        .uint32(field(3))
        .string('Opaque'),
    );
    expect(decodeProtobufObject(envelope('v1', 'Secret', secret))).toEqual({
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 'creds', labels: { app: 'web' } },
      data: { pw: Buffer.from('hunter2').toString('base64') },
      type: 'Opaque',
    });
  });

  it('decodes a RoleBinding as kubectl create rolebinding sends it', () => {
    const subject = message((w) =>
      w
        .uint32(field(1))
        .string('User')
        .uint32(field(2))
        .string('rbac.authorization.k8s.io')
        .uint32(field(3))
        .string('vera'),
    );
    const ref = message((w) =>
      w
        .uint32(field(1))
        .string('rbac.authorization.k8s.io')
        .uint32(field(2))
        .string('Role')
        .uint32(field(3))
        .string('reader'),
    );
    const meta = message((w) => w.uint32(field(1)).string('vera-reads'));
    const rb = message((w) =>
      w.uint32(field(1)).bytes(meta).uint32(field(2)).bytes(subject).uint32(field(3)).bytes(ref),
    );
    expect(decodeProtobufObject(envelope('rbac.authorization.k8s.io/v1', 'RoleBinding', rb))).toEqual({
      kind: 'RoleBinding',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      metadata: { name: 'vera-reads' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'vera' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    });
  });

  it('refuses a body without the k8s\\0 magic and kinds it does not know', () => {
    expect(() => decodeProtobufObject(Buffer.from('{}'))).toThrow(ProtobufDecodeError);
    expect(() => decodeProtobufObject(envelope('batch/v1', 'Job', new Uint8Array()))).toThrow(
      /cannot decode a protobuf Job/,
    );
  });
});
