import { parseResources, RemotelerError } from '@remoteler/core';
import { describe, expect, it } from 'vitest';

function refusal(action: () => unknown): RemotelerError {
  try {
    action();
  } catch (error) {
    if (RemotelerError.hasCode(error, 'RMT_RESOURCE_INVALID')) return error;
    throw error;
  }
  throw new Error('expected RMT_RESOURCE_INVALID');
}

const MIXED = `kind: role
version: v1
metadata: { name: developer }
spec:
  allow:
    kubernetes_groups: [developers]
---
kind: user
version: v1
metadata: { name: alice }
spec:
  roles: [developer]
---
# an empty document is ignored
---
kind: kube_cluster
version: v1
metadata:
  name: dev
  labels: { env: dev }
spec:
  upstream: { type: in_cluster }
---
kind: lock
version: v1
metadata: { name: incident-42 }
spec:
  target: { user: mallory }
`;

describe('parseResources', () => {
  it('reads every kind from one multi-document YAML text, in order', () => {
    const resources = parseResources(MIXED);
    expect(resources.map((resource) => `${resource.kind}/${resource.metadata.name}`)).toEqual([
      'role/developer',
      'user/alice',
      'kube_cluster/dev',
      'lock/incident-42',
    ]);
    expect(resources[1]).toMatchObject({
      spec: { type: 'local', roles: ['developer'], status: { state: 'active' } },
    });
  });

  it('reads plain objects as well', () => {
    const [user] = parseResources([{ kind: 'user', version: 'v1', metadata: { name: 'bob' }, spec: {} }]);
    expect(user?.kind).toBe('user');
  });

  it('reports every problem of every document with its line and path', () => {
    const text = `kind: user
version: v1
metadata: { name: alice }
spec:
  type: robot
---
kind: kube_cluster
version: v1
metadata: { name: prod }
spec:
  upstream:
    type: token
    server: https://10.0.0.1
    token: hunter2-inline
---
kind: widget
`;
    const error = refusal(() => parseResources(text, { source: 'cluster.yaml' }));
    expect(error.details?.problems).toEqual([
      expect.objectContaining({ document: 0, line: 5, path: 'spec.type' }),
      expect.objectContaining({ document: 1, line: 14, path: 'spec.upstream.token' }),
      expect.objectContaining({ document: 2, line: 16, path: 'kind' }),
    ]);
    expect(error.message).toMatch(/^cluster\.yaml: document 1 line 5 spec\.type: /);
    expect(error.message).not.toContain('hunter2-inline');
  });

  it('passes role problems on from the role validator, located in the text', () => {
    const error = refusal(() =>
      parseResources(
        'kind: role\nversion: v1\nmetadata: { name: dev }\nspec:\n  options: { max_session_ttl: forever }\n',
      ),
    );
    expect(error.details?.problems).toEqual([
      expect.objectContaining({ document: 0, path: 'spec.options.max_session_ttl', line: 5 }),
    ]);
  });

  it('refuses the same kind and name twice, but allows one name across kinds', () => {
    const twice = refusal(() =>
      parseResources(`${MIXED}---\nkind: user\nversion: v1\nmetadata: { name: alice }\nspec: {}\n`),
    );
    expect(twice.details?.problems).toEqual([
      expect.objectContaining({ document: 5, path: 'metadata.name' }),
    ]);
    expect(
      parseResources([
        { kind: 'user', version: 'v1', metadata: { name: 'dev' }, spec: {} },
        { kind: 'lock', version: 'v1', metadata: { name: 'dev' }, spec: { target: { role: 'dev' } } },
      ]),
    ).toHaveLength(2);
  });

  it('accepts only the kinds asked for', () => {
    const error = refusal(() => parseResources(MIXED, { kinds: ['role'] }));
    expect(
      (error.details!.problems as Array<{ document: number }>).map((problem) => problem.document),
    ).toEqual([1, 3, 4]);
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    const error = refusal(() => parseResources('kind: user\nkind: user\n'));
    expect(error.details?.problems).toEqual([expect.objectContaining({ document: 0, line: 2 })]);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
`;
    expect(() => parseResources(bomb)).toThrow();
  });
});
