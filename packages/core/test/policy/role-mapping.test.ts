import { describe, expect, it } from 'vitest';
import { RemotelerError } from '../../src/index.js';
import { compileClaimsToRoles, compileRoleMap } from '../../src/policy/index.js';

describe('claims_to_roles', () => {
  const mapping = compileClaimsToRoles([
    { claim: 'groups', value: 'admins', roles: ['admin', 'auditor'] },
    { claim: 'groups', value: 'dev-*', roles: ['developer'] },
    { claim: 'groups', value: '^team-(.+)$', roles: ['team-$1'] },
    { claim: 'email_verified', value: 'true', roles: ['verified'] },
  ]);

  it('maps a literal claim value to its roles', () => {
    expect(mapping.rolesFor({ groups: ['admins'] })).toEqual(['admin', 'auditor']);
  });

  it('maps a glob claim value', () => {
    expect(mapping.rolesFor({ groups: ['dev-backend'] })).toEqual(['developer']);
  });

  it('expands $1 from a regex capture group', () => {
    expect(mapping.rolesFor({ groups: ['team-payments', 'team-web'] })).toEqual([
      'team-payments',
      'team-web',
    ]);
  });

  it('reads a string claim as a single value', () => {
    expect(mapping.rolesFor({ email_verified: 'true' })).toEqual(['verified']);
  });

  it('maps nothing when no claim value matches', () => {
    expect(mapping.rolesFor({ groups: ['everyone'], other: 'admins' })).toEqual([]);
  });

  it('ignores claim values that are not strings', () => {
    expect(mapping.rolesFor({ groups: [42, { admins: true }, null] })).toEqual([]);
  });

  it('drops an expansion that is not a valid role name', () => {
    expect(mapping.rolesFor({ groups: ['team-a b', 'team-x,admin'] })).toEqual([]);
  });

  it('refuses every bad entry at once with its path', () => {
    try {
      compileClaimsToRoles([
        { claim: 'groups', value: '^(oops$', roles: ['a'] },
        { claim: 'groups', value: 'x', roles: ['$1'] },
        { claim: '', value: 'x', roles: [] },
      ]);
      expect.unreachable();
    } catch (error) {
      expect(RemotelerError.hasCode(error, 'RMT_ROLE_MAPPING_INVALID')).toBe(true);
      const paths = (((error as RemotelerError).details?.problems ?? []) as Array<{ path: string }>).map(
        (p) => p.path,
      );
      expect(paths).toEqual(
        expect.arrayContaining([
          'claims_to_roles[0].value',
          'claims_to_roles[1].roles[0]',
          'claims_to_roles[2].claim',
          'claims_to_roles[2].roles',
        ]),
      );
    }
  });

  it('refuses $2 when the regex has one capture group', () => {
    expect(() => compileClaimsToRoles([{ claim: 'g', value: '^a-(.*)$', roles: ['$2'] }])).toThrow(
      /capture group/,
    );
  });
});

describe('role_map', () => {
  const map = compileRoleMap([
    { remote: 'admin', local: ['leaf-admin'] },
    { remote: '^dev-(.*)$', local: ['leaf-$1'] },
    { remote: '*', local: ['leaf-viewer'] },
  ]);

  it('maps a remote role to its local roles, plus the wildcard entry', () => {
    expect(map.map(['admin'])).toEqual(['leaf-admin', 'leaf-viewer']);
  });

  it('expands capture groups of a regex entry', () => {
    expect(map.map(['dev-web'])).toEqual(['leaf-viewer', 'leaf-web']);
  });

  it('maps nothing when no entry matches', () => {
    expect(compileRoleMap([{ remote: 'admin', local: ['x'] }]).map(['viewer'])).toEqual([]);
  });

  it('refuses an entry without local roles', () => {
    expect(() => compileRoleMap([{ remote: 'admin', local: [] }])).toThrow(
      expect.objectContaining({ code: 'RMT_ROLE_MAPPING_INVALID' }),
    );
  });
});
