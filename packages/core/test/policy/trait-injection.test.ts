// Claim values are attacker-controlled input (a user may edit their own IdP profile). Whatever they
// hold, a value expanded from a trait is a literal: never a glob, a regex, a template or a system:
// name. Each case compares a checker built from hostile traits with the access the role grants
// when the same trait holds an ordinary value.
import { describe, expect, it } from 'vitest';
import { compileClaimsToRoles } from '../../src/policy/index.js';
import { checker, dev, prod, request, role } from './fixtures.js';

const HOSTILE = [
  '*',
  '^.*$',
  '.*',
  'team-*',
  '{{internal.kubernetes_groups}}',
  '{{external.admin}}',
  'system:masters',
  'system:admin',
  'admins\r\nImpersonate-User: admin',
  '',
];

const traitsFor = (value: string) => ({
  'external.value': [value],
  'internal.kubernetes_groups': ['cluster-admins'],
  'external.admin': ['cluster-admins'],
  // The same names without their namespace: templates never read them.
  value: ['cluster-admins'],
  kubernetes_groups: ['cluster-admins'],
});

const groupRole = role('g', {
  kubernetes_labels: { env: 'dev' },
  kubernetes_groups: ['{{external.value}}', 'developers'],
});
const userRole = role('u', {
  kubernetes_labels: { env: 'dev' },
  kubernetes_users: ['{{external.value}}'],
  kubernetes_groups: ['developers'],
});
const labelRole = role('l', {
  kubernetes_labels: { env: '{{external.value}}' },
  kubernetes_groups: ['developers'],
});
const namespaceRole = role('n', {
  kubernetes_labels: { '*': '*' },
  kubernetes_groups: ['developers'],
  kubernetes_resources: [
    { kind: 'pod', namespace: '{{external.value}}', name: '{{external.value}}', verbs: ['get', 'list'] },
  ],
});
const namespaceKindRole = role('k', {
  kubernetes_labels: { '*': '*' },
  kubernetes_groups: ['developers'],
  kubernetes_resources: [{ kind: 'namespace', name: '{{external.value}}', verbs: ['*'] }],
});

describe('trait injection never widens access', () => {
  it.each(HOSTILE)(
    'a group trait %j is at most that literal group, never system: or a re-expanded template',
    (value) => {
      const result = checker([groupRole], traitsFor(value)).kubernetesPrincipals(dev);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const extra = result.groups.filter((g) => g !== 'developers' && g !== 'system:authenticated');
      for (const group of extra) expect(group).toBe(value);
      expect(result.groups).not.toContain('system:masters');
      expect(result.groups).not.toContain('cluster-admins');
      expect(result.groups.some((g) => /[\r\n]/.test(g))).toBe(false);
    },
  );

  it.each(HOSTILE)('a user trait %j is at most that literal user, never system:', (value) => {
    const allowed = checker([userRole], traitsFor(value)).allowedPrincipals(dev);
    for (const user of allowed.users) expect([value, 'alice']).toContain(user);
    expect(allowed.users.some((u) => u.startsWith('system:') || /[\r\n]/.test(u))).toBe(false);
    const asAdmin = checker([userRole], traitsFor(value)).kubernetesPrincipals(dev, {
      requestedUser: 'cluster-admins',
    });
    expect(asAdmin.ok).toBe(false);
  });

  it.each(HOSTILE)('a label trait %j matches only a cluster whose label is that literal text', (value) => {
    const c = checker([labelRole], traitsFor(value));
    expect(c.canAccessCluster(dev)).toBe(false);
    expect(c.canAccessCluster(prod)).toBe(false);
    if (value !== '') expect(c.canAccessCluster({ name: 'odd', labels: { env: value } })).toBe(true);
  });

  it.each(HOSTILE)('a namespace and name trait %j grant only that literal namespace and name', (value) => {
    const c = checker([namespaceRole], traitsFor(value));
    expect(c.checkRequest(dev, request('GET', '/api/v1/namespaces/kube-system/pods/etcd')).allowed).toBe(
      false,
    );
    expect(c.checkRequest(dev, request('GET', '/api/v1/namespaces/team-a/pods/team-a')).allowed).toBe(false);
    const filter = c.objectFilter(dev, request('GET', '/api/v1/pods'));
    expect(filter.test({ namespace: 'kube-system', name: 'etcd' })).toBe(false);
    expect(filter.test({ namespace: 'team-x', name: 'team-x' })).toBe(false);
  });

  it.each(HOSTILE)(
    'a namespace-kind trait %j never grants other namespaces or the cluster scope',
    (value) => {
      const c = checker([namespaceKindRole], traitsFor(value));
      expect(c.checkRequest(dev, request('DELETE', '/api/v1/namespaces/kube-system/secrets/x')).allowed).toBe(
        false,
      );
      expect(c.checkRequest(dev, request('GET', '/api/v1/nodes/n1')).allowed).toBe(false);
      expect(c.checkRequest(dev, request('GET', '/api/v1/namespaces')).allowed).toBe(true);
      expect(c.objectFilter(dev, request('GET', '/api/v1/namespaces')).test({ name: 'kube-system' })).toBe(
        false,
      );
    },
  );

  it.each(HOSTILE)('a claim value %j selects roles only through the configured patterns', (value) => {
    const mapping = compileClaimsToRoles([
      { claim: 'groups', value: 'admins', roles: ['admin'] },
      { claim: 'groups', value: '^team-([a-z]+)$', roles: ['$1-dev'] },
    ]);
    const roles = mapping.rolesFor({ groups: [value] });
    expect(roles).not.toContain('admin');
    expect(roles.every((r) => /^[a-z]+-dev$/.test(r))).toBe(true);
  });
});
