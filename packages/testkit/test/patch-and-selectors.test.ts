import { describe, expect, it } from 'vitest';
import { leafFields, serverSideApply, toFieldsV1 } from '../src/api/managed-fields.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from '../src/api/patch.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from '../src/api/selectors.js';

const pod = (labels: Record<string, string>, phase = 'Running') => ({
  metadata: { name: 'p', labels },
  status: { phase },
});

describe('label selectors', () => {
  it('supports equality, inequality, set-based and existence requirements', () => {
    const select = parseLabelSelector('app=web,tier!=db,env in (dev, staging),!legacy,team');
    expect(select(pod({ app: 'web', env: 'dev', team: 'a' }))).toBe(true);
    expect(select(pod({ app: 'web', env: 'prod', team: 'a' }))).toBe(false);
    expect(select(pod({ app: 'web', env: 'dev', team: 'a', legacy: 'y' }))).toBe(false);
    expect(select(pod({ app: 'web', env: 'dev' }))).toBe(false);
    expect(parseLabelSelector('env notin (prod)')(pod({}))).toBe(true);
  });

  it('refuses what labels.Parse refuses', () => {
    expect(() => parseLabelSelector('a b c')).toThrow(SelectorError);
    expect(() => parseLabelSelector('-bad=x')).toThrow(/invalid label key/);
  });
});

describe('field selectors', () => {
  it('matches supported fields and refuses others with the API server wording', () => {
    expect(parseFieldSelector('status.phase!=Running', 'Pod')(pod({}, 'Pending'))).toBe(true);
    expect(parseFieldSelector('metadata.name=p', 'ConfigMap')(pod({}))).toBe(true);
    expect(() => parseFieldSelector('status.phase=Running', 'ConfigMap')).toThrow(
      'field label not supported: status.phase',
    );
  });
});

describe('patches', () => {
  it('merge patch (RFC 7386) deletes with null and replaces lists', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null }, l: [3] })).toEqual({
      a: 1,
      b: { d: 3 },
      l: [3],
    });
  });

  it('JSON patch (RFC 6902) applies operations in order and fails a test op', () => {
    const doc = { spec: { list: ['a'] } };
    expect(
      jsonPatch(doc, [
        { op: 'add', path: '/spec/list/-', value: 'b' },
        { op: 'replace', path: '/spec/list/0', value: 'z' },
      ]),
    ).toEqual({
      spec: { list: ['z', 'b'] },
    });
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/spec/list/0', value: 'nope' }])).toThrow(PatchError);
    expect(() => jsonPatch(doc, [{ op: 'remove', path: '/missing' }])).toThrow(PatchError);
  });

  it('strategic merge merges containers by name and honours $patch and $setElementOrder', () => {
    const live = {
      spec: {
        containers: [
          { name: 'a', image: 'a:1' },
          { name: 'b', image: 'b:1' },
        ],
        tolerations: [{ key: 'x' }],
      },
    };
    const patched = strategicMergePatch(live, {
      spec: {
        '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }],
        containers: [
          { name: 'a', image: 'a:2' },
          { name: 'b', $patch: 'delete' },
          { name: 'c', image: 'c:1' },
        ],
        tolerations: [{ key: 'y' }],
      },
    });
    expect(patched).toEqual({
      spec: {
        containers: [
          { name: 'c', image: 'c:1' },
          { name: 'a', image: 'a:2' },
        ],
        tolerations: [{ key: 'y' }],
      },
    });
  });
});

describe('server-side apply', () => {
  const config = (replicas: number) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { replicas, template: { spec: { containers: [{ name: 'app', image: 'x' }] } } },
  });

  it('records FieldsV1 with keyed list items', () => {
    expect(toFieldsV1(leafFields(config(1)).keys())).toEqual({
      'f:spec': {
        'f:replicas': {},
        'f:template': {
          'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
  });

  it('reports a conflict with another manager and takes the field over with force', () => {
    const first = serverSideApply(undefined, config(1), 'alice', false, 'now');
    if (!('object' in first)) throw new Error('expected an object');
    const second = serverSideApply(first.object, config(2), 'bob', false, 'now');
    expect(second).toEqual({
      conflicts: [{ manager: 'alice', apiVersion: 'apps/v1', field: '.spec.replicas' }],
    });
    const forced = serverSideApply(first.object, config(2), 'bob', true, 'now');
    if (!('object' in forced)) throw new Error('expected an object');
    expect((forced.object.spec as { replicas: number }).replicas).toBe(2);
    const owners = (
      forced.object.metadata!.managedFields as {
        manager: string;
        fieldsV1: Record<string, Record<string, unknown>>;
      }[]
    ).map((e) => [e.manager, 'f:replicas' in (e.fieldsV1['f:spec'] ?? {})]);
    expect(owners).toEqual([
      ['alice', false],
      ['bob', true],
    ]);
  });

  it('removes fields a manager stops applying when nobody else owns them', () => {
    const withLabel = { ...config(1), metadata: { name: 'd', labels: { a: '1', b: '2' } } };
    const first = serverSideApply(undefined, withLabel, 'alice', false, 'now');
    if (!('object' in first)) throw new Error('expected an object');
    const second = serverSideApply(
      first.object,
      { ...config(1), metadata: { name: 'd', labels: { a: '1' } } },
      'alice',
      false,
      'now',
    );
    if (!('object' in second)) throw new Error('expected an object');
    expect(second.object.metadata?.labels).toEqual({ a: '1' });
  });
});
