import {
  type AccessChecker,
  type ClusterTarget,
  createAccessChecker,
  type KubeRequestAttributes,
  parseKubeRequest,
} from '../../src/policy/index.js';
import { type Role, type RoleConditions, type RoleOptions, validateRole } from '../../src/roles/index.js';
import type { Traits } from '../../src/types/identity.js';

/** A validated role from its allow/deny conditions (the same path a store or YAML file takes). */
export function role(
  name: string,
  allow: RoleConditions = {},
  deny: RoleConditions = {},
  options: RoleOptions = {},
): Role {
  return validateRole({ kind: 'role', version: 'v1', metadata: { name }, spec: { allow, deny, options } });
}

export function checker(roles: readonly Role[], traits: Traits = {}, username = 'alice'): AccessChecker {
  return createAccessChecker({ username, roles, traits });
}

export function request(method: string, path: string, query = ''): KubeRequestAttributes {
  return parseKubeRequest(method, path, new URLSearchParams(query));
}

export const dev: ClusterTarget = { name: 'dev-1', labels: { env: 'dev', region: 'eu-west' } };
export const staging: ClusterTarget = { name: 'staging-1', labels: { env: 'staging', region: 'us-east' } };
export const prod: ClusterTarget = {
  name: 'prod-1',
  labels: { env: 'production', region: 'eu-west', tier: 'gold' },
};
export const bare: ClusterTarget = { name: 'bare' };
