import { describe, expect, it } from 'vitest';
import { createAccessChecker } from '../../src/policy/index.js';
import { parseRoles } from '../../src/roles/index.js';
import { request } from './fixtures.js';

// The design §4 example plus a deny role, read from YAML exactly as an admin writes them.
const file = `
kind: role
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
---
kind: role
version: v1
metadata: { name: no-exec-in-payments }
spec:
  deny:
    kubernetes_resources:
      - { kind: pod, namespace: team-payments, verbs: [exec] }
`;

describe('roles read from YAML drive decisions', () => {
  const checker = createAccessChecker({
    username: 'alice@example.com',
    roles: parseRoles(file),
    traits: { 'external.groups': ['web', 'system:masters'] },
  });
  const staging = { name: 'staging', labels: { env: 'staging' } };
  const production = { name: 'prod', labels: { env: 'production' } };

  it('lets a developer exec into a team pod on staging, over WebSocket and SPDY alike', () => {
    for (const method of ['GET', 'POST']) {
      expect(
        checker.checkRequest(staging, request(method, '/api/v1/namespaces/team-web/pods/p/exec')).allowed,
      ).toBe(true);
    }
  });

  it('keeps production out of reach', () => {
    expect(checker.canAccessCluster(production)).toBe(false);
  });

  it('impersonates the username with the trait groups, never system:masters', () => {
    expect(checker.kubernetesPrincipals(staging)).toEqual({
      ok: true,
      user: 'alice@example.com',
      groups: ['developers', 'system:authenticated', 'web'],
    });
  });

  it('applies the deny role of another file document', () => {
    const decision = checker.checkRequest(
      staging,
      request('POST', '/api/v1/namespaces/team-payments/pods/p/exec'),
    );
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) expect(decision.error.message).toContain('no-exec-in-payments');
  });

  it('caps the certificate at the role max_session_ttl', () => {
    expect(checker.sessionTtl(24 * 3_600_000)).toBe(8 * 3_600_000);
  });
});
