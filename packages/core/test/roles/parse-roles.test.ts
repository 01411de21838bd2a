import { describe, expect, it } from 'vitest';
import { RemotelerError } from '../../src/index.js';
import { parseRoles, type RoleProblem, validateRole } from '../../src/roles/index.js';

function problemsOf(fn: () => unknown): RoleProblem[] {
  try {
    fn();
  } catch (error) {
    expect(RemotelerError.hasCode(error, 'RMT_ROLE_INVALID')).toBe(true);
    return (error as RemotelerError).details?.problems as RoleProblem[];
  }
  throw new Error('expected RMT_ROLE_INVALID');
}

const developer = `kind: role
version: v1
metadata: { name: developer }
spec:
  options: { max_session_ttl: 8h }
  allow:
    kubernetes_labels: { env: [dev, staging] }
    kubernetes_groups: ["{{external.groups}}", developers]
    kubernetes_users: []
    kubernetes_resources:
      - { kind: pod, namespace: "team-*", name: "*", verbs: [get, list, watch, exec] }
  deny:
    kubernetes_labels: { env: production }
`;

describe('parseRoles', () => {
  it('reads the design example into a frozen role with defaults filled in', () => {
    const [role] = parseRoles(developer);
    expect(role?.metadata.name).toBe('developer');
    expect(role?.spec.allow.kubernetes_groups).toEqual(['{{external.groups}}', 'developers']);
    expect(role?.spec.options.max_session_ttl).toBe('8h');
    expect(Object.isFrozen(role?.spec.allow.kubernetes_resources?.[0])).toBe(true);
  });

  it('reads every document of a multi-document file and skips empty ones', () => {
    const roles = parseRoles(`${developer}---\n---\nkind: role\nversion: v1\nmetadata: { name: viewer }\n`);
    expect(roles.map((r) => r.metadata.name)).toEqual(['developer', 'viewer']);
    expect(roles[1]?.spec).toEqual({ options: {}, allow: {}, deny: {} });
  });

  it('reports every problem at once with its path and line', () => {
    const yaml = `kind: role
version: v1
metadata: { name: broken }
spec:
  allow:
    kubernetes_labels: { env: "^(dev$" }
    kubernetes_groups: ["*"]
    kubernetes_resources:
      - kind: pod
        verbs: [get, fly]
    surprise: true
  options: { max_session_ttl: forever }
`;
    const problems = problemsOf(() => parseRoles(yaml, { source: 'roles.yaml' }));
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(byPath['spec.allow.kubernetes_labels.env']).toMatchObject({ line: 6 });
    expect(byPath['spec.allow.kubernetes_labels.env']?.message).toMatch(/invalid regular expression/);
    expect(byPath['spec.allow.kubernetes_groups[0]']).toMatchObject({ line: 7 });
    expect(byPath['spec.allow.kubernetes_resources[0].namespace']).toMatchObject({ line: 9 });
    expect(byPath['spec.allow.kubernetes_resources[0].verbs[1]']).toMatchObject({ line: 10 });
    expect(byPath['spec.allow.surprise']).toMatchObject({ line: 11, message: 'unknown field "surprise"' });
    expect(byPath['spec.options.max_session_ttl']).toMatchObject({ line: 12 });
  });

  it('points at the right document and line in a multi-document file', () => {
    const yaml = `${developer}---\nkind: role\nversion: v2\nmetadata: { name: later }\n`;
    const [problem] = problemsOf(() => parseRoles(yaml));
    expect(problem).toMatchObject({ document: 1, path: 'version', line: 16 });
  });

  it('reports YAML syntax errors with their line', () => {
    const [problem] = problemsOf(() => parseRoles('kind: role\nmetadata: { name: x\n'));
    expect(problem?.path).toBe('(yaml)');
    expect(problem?.line).toBeGreaterThanOrEqual(2);
  });

  it('refuses a role name defined twice', () => {
    const problems = problemsOf(() => parseRoles(`${developer}---\n${developer}`));
    expect(problems[0]?.message).toMatch(/more than once/);
  });

  it('says what the message of the error lists', () => {
    try {
      parseRoles('kind: role\nversion: v1\nmetadata: { name: x }\nspec: { alow: {} }\n', {
        source: 'a.yaml',
      });
    } catch (error) {
      expect((error as Error).message).toContain('a.yaml');
      expect((error as Error).message).toContain('line 4: spec.alow: unknown field "alow"');
    }
  });
});

describe('validateRole', () => {
  const base = { kind: 'role', version: 'v1', metadata: { name: 'r' } };

  it('accepts a plain object and normalizes the spec', () => {
    expect(validateRole(base).spec).toEqual({ options: {}, allow: {}, deny: {} });
  });

  it.each([
    ['an unknown top-level field', { ...base, extra: 1 }, 'extra'],
    ['a wrong version', { ...base, version: 'v7' }, 'version'],
    ['a bad role name', { ...base, metadata: { name: 'has space' } }, 'metadata.name'],
    [
      'a regex allowed user',
      { ...base, spec: { allow: { kubernetes_users: ['^a.*$'] } } },
      'spec.allow.kubernetes_users[0]',
    ],
    [
      'a template inside a regex',
      { ...base, spec: { allow: { kubernetes_labels: { env: '^{{external.env}}$' } } } },
      'spec.allow.kubernetes_labels.env',
    ],
    [
      'an unknown template function',
      { ...base, spec: { allow: { kubernetes_groups: ['{{external.groups | upper}}'] } } },
      'spec.allow.kubernetes_groups[0]',
    ],
    [
      'a custom resource without api_group',
      { ...base, spec: { allow: { kubernetes_resources: [{ kind: 'crontabs', verbs: ['get'] }] } } },
      'spec.allow.kubernetes_resources[0].api_group',
    ],
    [
      'a namespace on a cluster-scoped kind',
      {
        ...base,
        spec: { allow: { kubernetes_resources: [{ kind: 'node', namespace: 'x', verbs: ['get'] }] } },
      },
      'spec.allow.kubernetes_resources[0].namespace',
    ],
    [
      'exec written as a kind',
      {
        ...base,
        spec: { allow: { kubernetes_resources: [{ kind: 'pods/exec', namespace: '*', verbs: ['create'] }] } },
      },
      'spec.allow.kubernetes_resources[0].kind',
    ],
    [
      'a wildcard label key with another value',
      { ...base, spec: { allow: { kubernetes_labels: { '*': 'prod' } } } },
      'spec.allow.kubernetes_labels["*"]',
    ],
    [
      'an empty verb list',
      { ...base, spec: { deny: { kubernetes_resources: [{ kind: '*', verbs: [] }] } } },
      'spec.deny.kubernetes_resources[0].verbs',
    ],
  ])('refuses %s', (_name, value, path) => {
    const problems = problemsOf(() => validateRole(value));
    expect(problems.map((p) => p.path)).toContain(path);
  });
});
