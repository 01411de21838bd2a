import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, type LocalUserConnector, RemotelerError } from '@remoteler/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServerConfigYaml } from '../../src/config/load-config.js';
import { buildConnectors } from '../../src/server/build-connectors.js';
import { loadRoleFiles } from '../../src/server/load-roles.js';

const COST = { cost: { logN: 10, r: 8, p: 1 } };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-connectors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function configWith(auth: string) {
  return parseServerConfigYaml(`version: v1\ncluster_name: c\nroles: [auth]\nauth:\n${auth}`);
}

describe('connectors and roles from the files a configuration names', () => {
  it('joins inline users and a users_file into one local connector whose passwords verify', async () => {
    await writeFile(
      join(dir, 'users.yaml'),
      `- { username: bob, password_hash: "${await hashPassword('bob-pw', COST)}", roles: [admin] }\n`,
    );
    const config = configWith(`  connectors:
    - type: local
      users: [{ username: alice, password_hash: "${await hashPassword('alice-pw', COST)}", roles: [developer] }]
      users_file: users.yaml
`);
    const built = await buildConnectors({ baseDir: dir, env: {} }, config);
    try {
      const local = built.registrations[0]?.connector as LocalUserConnector;
      expect((await local.authenticatePassword('alice', 'alice-pw')).username).toBe('alice');
      expect((await local.authenticatePassword('bob', 'bob-pw')).username).toBe('bob');
    } finally {
      await built.close();
    }
  });

  it('names the field when a users_file is not a list of users, and never shows its content', async () => {
    await writeFile(join(dir, 'bad-users.yaml'), 'password: hunter2-secret\n');
    const config = configWith('  connectors:\n    - type: local\n      users_file: bad-users.yaml\n');
    const error = await buildConnectors({ baseDir: dir, env: {} }, config).catch((e: unknown) => e);
    expect(RemotelerError.hasCode(error, 'RMT_CONFIG_REFERENCE_UNREADABLE')).toBe(true);
    expect((error as Error).message).toContain('auth.connectors[0].users_file');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('reads an OpenID client secret from the environment and says which variable is missing', async () => {
    const config = configWith(`  connectors:
    - type: oidc
      id: corp
      issuer: https://login.example.com
      client_id: remoteler
      client_secret: { env: CORP_SECRET }
`);
    const error = await buildConnectors({ baseDir: dir, env: {} }, config).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'auth.connectors[0].client_secret: the environment variable CORP_SECRET is not set',
    );
    const built = await buildConnectors({ baseDir: dir, env: { CORP_SECRET: 's3cret-value' } }, config);
    expect(built.registrations[0]?.connector.id).toBe('corp');
    await built.close();
  });

  it('loads roles from roles_files and every yaml file of roles_dir, and refuses a role defined twice', async () => {
    const role = (name: string) =>
      `kind: role\nversion: v1\nmetadata: { name: ${name} }\nspec:\n  allow:\n    kubernetes_labels: { env: dev }\n    kubernetes_groups: [g]\n`;
    await writeFile(join(dir, 'one.yaml'), role('one'));
    const roles = join(dir, 'roles');
    await mkdir(roles, { recursive: true });
    await writeFile(join(roles, 'b.yml'), role('three'));
    await writeFile(join(roles, 'a.yaml'), `${role('two')}---\n${role('four')}`);
    await writeFile(join(roles, 'notes.txt'), 'not a role');
    const loaded = await loadRoleFiles(
      { baseDir: dir, env: {} },
      { roles_files: ['one.yaml'], roles_dir: 'roles' },
    );
    expect(loaded.map((r) => r.metadata.name)).toEqual(['one', 'two', 'four', 'three']);

    await writeFile(join(roles, 'c.yaml'), role('one'));
    await expect(
      loadRoleFiles({ baseDir: dir, env: {} }, { roles_files: ['one.yaml'], roles_dir: 'roles' }),
    ).rejects.toThrow(/role "one" is defined in .*one\.yaml and again in .*c\.yaml/);
  });
});
