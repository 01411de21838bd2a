import { MemoryRoleStore, RemotelerError, type Role } from '@remoteler/core';
import { describeResourceStoreConformance } from '@remoteler/core/testing';
import { describe, expect, it } from 'vitest';

const role = (name: string, generation: number): Role => ({
  kind: 'role',
  version: 'v1',
  metadata: { name },
  spec: {
    options: { max_session_ttl: `${generation + 1}h` },
    allow: { kubernetes_groups: [`group-${generation}`], kubernetes_labels: { env: 'dev' } },
    deny: {},
  },
});

describeResourceStoreConformance<Role>('MemoryRoleStore', {
  create: () => ({ store: new MemoryRoleStore() }),
  makeResource: role,
  makeInvalid: (name) => ({ ...role(name, 1), spec: { allow: { kubernetes_labels: 'everything' } } }),
  // Role names are restricted to letters, digits and . _ - @ by the role schema.
  unicodeNames: false,
});

describe('MemoryRoleStore', () => {
  it('refuses a role the role validator refuses, with the path of each problem', async () => {
    const store = new MemoryRoleStore();
    const bad = {
      ...role('dev', 1),
      spec: { ...role('dev', 1).spec, options: { max_session_ttl: 'forever' } },
    };
    const error = await store.create(bad).catch((caught: unknown) => caught);
    expect(RemotelerError.hasCode(error, 'RMT_STORE_INVALID')).toBe(true);
    expect(JSON.stringify((error as RemotelerError).details)).toContain('max_session_ttl');
    expect(await store.list()).toEqual([]);
    await store.close();
  });

  it('accepts a custom validator', async () => {
    const seen: unknown[] = [];
    const store = new MemoryRoleStore({
      validate: (value) => {
        seen.push(value);
        return value as Role;
      },
    });
    await store.create(role('dev', 1));
    expect(seen).toHaveLength(1);
    await store.close();
  });
});
