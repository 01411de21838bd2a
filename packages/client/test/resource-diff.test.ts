import { diffResources, formatChanges, formatTable, renderResourceTable } from '@remoteler/client';
import type { Resource } from '@remoteler/core';
import { describe, expect, it } from 'vitest';

function role(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Resource {
  return { kind: 'role', version: 'v1', metadata: { name: 'dev', ...metadata }, spec };
}

describe('diffResources', () => {
  it('names each changed, added and removed field by its path', () => {
    const before = role({
      options: { max_session_ttl: '8h' },
      allow: { kubernetes_groups: ['a'] },
      deny: {},
    });
    const after = role({
      options: {},
      allow: { kubernetes_groups: ['a', 'b'], kubernetes_users: ['dev'] },
      deny: {},
    });
    expect(diffResources(before, after)).toEqual([
      { path: 'spec.allow.kubernetes_groups', before: ['a'], after: ['a', 'b'] },
      { path: 'spec.allow.kubernetes_users', after: ['dev'] },
      { path: 'spec.options.max_session_ttl', before: '8h' },
    ]);
  });

  it('compares lists of rules entry by entry, and quotes keys that are not identifiers', () => {
    const rule = { kind: 'pod', namespace: '*', name: '*', verbs: ['get'] };
    const before = role({
      allow: { kubernetes_resources: [rule], kubernetes_labels: { 'app.io/tier': 'web' } },
    });
    const after = role({
      allow: {
        kubernetes_resources: [
          { ...rule, verbs: ['get', 'list'] },
          { ...rule, kind: 'secret' },
        ],
        kubernetes_labels: { 'app.io/tier': 'db' },
      },
    });
    expect(diffResources(before, after).map((c) => c.path)).toEqual([
      'spec.allow.kubernetes_labels["app.io/tier"]',
      'spec.allow.kubernetes_resources[0].verbs',
      'spec.allow.kubernetes_resources[1]',
    ]);
  });

  it('ignores the fields Auth manages: revision, created_at, updated_at, created_by', () => {
    const stored = {
      kind: 'user',
      version: 'v1',
      metadata: { name: 'bob', revision: '7' },
      spec: { roles: ['dev'], created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-02T00:00:00Z' },
    } as Resource;
    const file = {
      kind: 'user',
      version: 'v1',
      metadata: { name: 'bob' },
      spec: { roles: ['dev'] },
    } as Resource;
    expect(diffResources(stored, file)).toEqual([]);
  });

  it('formats changes as ~ (changed), + (added) and - (removed) lines with JSON values', () => {
    expect(
      formatChanges(
        [
          { path: 'spec.a', before: 1, after: 2 },
          { path: 'spec.b', after: 'x' },
          { path: 'spec.c', before: [true] },
        ],
        '',
      ),
    ).toBe('~ spec.a: 1 -> 2\n+ spec.b: "x"\n- spec.c: [true]\n');
  });
});

describe('resource tables', () => {
  it('aligns columns without trailing spaces and keeps free text on one line', () => {
    expect(
      formatTable(
        ['NAME', 'NOTE'],
        [
          ['a', 'one\ttwo\nthree'],
          ['long-name', '-'],
        ],
      ),
    ).toBe('NAME       NOTE\na          one two three\nlong-name  -\n');
  });

  it('never passes a control character (a terminal escape) from the server through to the terminal', () => {
    expect(formatTable(['NOTE'], [['\u001b[2Jcleared']])).toBe('NOTE\n\ufffd[2Jcleared\n');
  });

  it('shows locks with their target, expiry (never when absent) and message', () => {
    const lock = {
      kind: 'lock',
      version: 'v1',
      metadata: { name: 'l1' },
      spec: { target: { role: 'dev' }, message: 'freeze' },
    } as Resource;
    expect(renderResourceTable('locks', [lock])).toBe(
      'NAME  TARGET    EXPIRES  MESSAGE\nl1    role=dev  never    freeze\n',
    );
  });
});
