import type { AccessChecker } from '@remoteler/core';
import { createAccessChecker } from '@remoteler/core';
import { describe, expect, it } from 'vitest';
import { answerRulesReview, decodeAccessReview, reviewedResourceAttributes } from '../src/index.js';
import { role } from './support/roles.js';

// A tiny protobuf writer for the test: length-delimited fields only (strings and messages).
function field(number: number, value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const varint = (n: number) => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Buffer.from(out);
  };
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}
const message = (...fields: Buffer[]) => Buffer.concat(fields);

/** The body kubectl 1.32+ sends for `auth can-i get pods -n team-a` (k8s-protocols §9.1). */
function protobufReview(): Buffer {
  const attributes = message(field(1, 'team-a'), field(2, 'get'), field(5, 'pods'));
  const review = message(field(1, message()), field(2, message(field(1, attributes))));
  const unknown = message(
    field(1, message(field(1, 'authorization.k8s.io/v1'), field(2, 'SelfSubjectAccessReview'))),
    field(2, review),
  );
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), unknown]);
}

describe('decoding access reviews', () => {
  it('reads the protobuf envelope kubectl 1.32+ sends', () => {
    const review = decodeAccessReview(
      'SelfSubjectAccessReview',
      'application/vnd.kubernetes.protobuf',
      protobufReview(),
    );
    expect(review).toEqual({
      kind: 'SelfSubjectAccessReview',
      resourceAttributes: {
        namespace: 'team-a',
        verb: 'get',
        group: '',
        version: '',
        resource: 'pods',
        subresource: '',
        name: '',
      },
      nonResourceAttributes: undefined,
    });
  });

  it('reads JSON reviews, non-resource ones too', () => {
    const body = Buffer.from(
      JSON.stringify({ spec: { nonResourceAttributes: { path: '/logs/', verb: 'get' } } }),
    );
    expect(decodeAccessReview('SelfSubjectAccessReview', 'application/json', body)).toMatchObject({
      nonResourceAttributes: { path: '/logs/', verb: 'get' },
    });
  });

  it('refuses a body without the prefix, of another kind, or in another encoding', () => {
    const invalid = expect.objectContaining({ code: 'RMT_PROXY_ACCESS_REVIEW_INVALID' });
    expect(() =>
      decodeAccessReview(
        'SelfSubjectAccessReview',
        'application/vnd.kubernetes.protobuf',
        Buffer.from([1, 2]),
      ),
    ).toThrow(invalid);
    expect(() =>
      decodeAccessReview('SelfSubjectRulesReview', 'application/vnd.kubernetes.protobuf', protobufReview()),
    ).toThrow(invalid);
    expect(() =>
      decodeAccessReview('SelfSubjectAccessReview', 'application/yaml', Buffer.from('a: b')),
    ).toThrow(invalid);
  });

  it('reviews exec as the exec verb, the way Remoteler roles name it', () => {
    const attributes = reviewedResourceAttributes({
      namespace: 'team-a',
      verb: 'create',
      group: '',
      version: '',
      resource: 'pods',
      subresource: 'exec',
      name: 'web-0',
    });
    expect(attributes).toMatchObject({ verb: 'exec', resource: 'pods', subresource: 'exec', name: 'web-0' });
  });
});

describe('SelfSubjectRulesReview', () => {
  const checker: AccessChecker = createAccessChecker({
    username: 'alice',
    roles: [
      role('team', {
        kubernetes_labels: { '*': '*' },
        kubernetes_users: ['alice'],
        kubernetes_resources: [{ kind: 'pod', namespace: 'team-a', name: '*', verbs: ['get', 'list'] }],
      }),
    ],
    traits: {},
  });
  const cluster = { name: 'dev', labels: {} };

  it("narrows the cluster's rules to the verbs and resources the roles allow", async () => {
    const answer = await answerRulesReview(
      { kind: 'SelfSubjectRulesReview', namespace: 'team-a' },
      checker,
      cluster,
      async () => ({
        status: 201,
        body: {
          status: {
            resourceRules: [
              { verbs: ['get', 'list', 'watch', 'delete'], apiGroups: [''], resources: ['pods', 'secrets'] },
              {
                verbs: ['create'],
                apiGroups: ['authorization.k8s.io'],
                resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
              },
            ],
            nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/api', '/metrics'] }],
            incomplete: false,
          },
        },
      }),
    );
    expect(answer.status).toBe(201);
    expect(answer.body.status.resourceRules).toEqual([
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] },
      // The Proxy answers self-subject reviews whatever the roles say.
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'] },
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectrulesreviews'] },
    ]);
    expect(answer.body.status.nonResourceRules).toEqual([{ verbs: ['get'], nonResourceURLs: ['/api'] }]);
  });

  it('marks the answer incomplete when a cluster wildcard could only be narrowed in part', async () => {
    const answer = await answerRulesReview(
      { kind: 'SelfSubjectRulesReview', namespace: 'team-a' },
      checker,
      cluster,
      async () => ({
        status: 201,
        body: {
          status: {
            resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
            incomplete: false,
          },
        },
      }),
    );
    expect(answer.body.status.incomplete).toBe(true);
  });
});
