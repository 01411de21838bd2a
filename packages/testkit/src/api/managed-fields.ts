// biome-ignore-all lint/suspicious/noExplicitAny: managed fields operate on free-form JSON
import { listMergeKey, strategicMergePatch } from './patch.js';
import type { KubeObject } from './resource-types.js';

// A small model of server-side apply (KEP-555; apimachinery managedfields): every manager owns a
// set of leaf field paths, serialised as FieldsV1 (`f:<field>`, `k:{"<key>":…}` for keyed list
// items, `v:<json>` for set members). Applying a field that another manager owns with a different
// value is a conflict unless `force=true`, which moves the ownership.

/** One `metadata.managedFields` entry. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** A field owned by another manager with a different value. */
export interface ApplyConflict {
  readonly manager: string;
  readonly apiVersion: string;
  /** `.spec.replicas`, `.spec.containers[name="app"].image` */
  readonly field: string;
}

type Path = string[];
const isObject = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const SET_LISTS = new Set(['finalizers']);
const SKIPPED_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'deletionTimestamp',
  'generateName',
  'selfLink',
]);

/** Leaf paths of an object (status and identity metadata excluded), with their values. */
export function leafFields(object: KubeObject): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (value: unknown, path: Path, field: string | undefined) => {
    if (isObject(value)) {
      const entries = Object.entries(value).filter(
        ([k]) => !(path.length === 1 && path[0] === 'f:metadata' && SKIPPED_METADATA.has(k)),
      );
      if (entries.length === 0) out.set(JSON.stringify(path), {});
      for (const [k, v] of entries) walk(v, [...path, `f:${k}`], k);
      return;
    }
    if (Array.isArray(value) && field) {
      if (SET_LISTS.has(field) && value.every((v) => !isObject(v))) {
        for (const v of value) out.set(JSON.stringify([...path, `v:${JSON.stringify(v)}`]), v);
        return;
      }
      const key = listMergeKey(field, value);
      if (key && value.every((v) => isObject(v) && v[key] !== undefined)) {
        for (const item of value)
          walk(item, [...path, `k:${JSON.stringify({ [key]: item[key] })}`], undefined);
        return;
      }
    }
    out.set(JSON.stringify(path), value);
  };
  for (const [k, v] of Object.entries(object)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    walk(v, [`f:${k}`], k);
  }
  // An object with only identity metadata still has an (empty) owned set.
  for (const key of [...out.keys()]) if (key === JSON.stringify(['f:metadata'])) out.delete(key);
  return out;
}

/** FieldsV1 tree from a set of paths. */
export function toFieldsV1(paths: Iterable<string>): Record<string, unknown> {
  const root: Record<string, any> = {};
  for (const p of paths) {
    let node = root;
    for (const segment of JSON.parse(p) as Path) {
      node[segment] ??= {};
      node = node[segment];
      if (segment.startsWith('k:')) node['.'] ??= {};
    }
  }
  return root;
}

/** The set of leaf paths in a FieldsV1 tree. */
export function fromFieldsV1(tree: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (node: unknown, path: Path) => {
    const children = isObject(node) ? Object.keys(node).filter((k) => k !== '.') : [];
    if (children.length === 0) {
      if (path.length) out.add(JSON.stringify(path));
      return;
    }
    for (const k of children) walk((node as any)[k], [...path, k]);
  };
  walk(tree, []);
  return out;
}

/** `.spec.containers[name="app"].image`, the way apply conflicts name a field. */
export function describePath(p: string): string {
  return (JSON.parse(p) as Path)
    .map((s) => {
      if (s.startsWith('f:')) return `.${s.slice(2)}`;
      if (s.startsWith('k:')) {
        const key = JSON.parse(s.slice(2)) as Record<string, unknown>;
        return `[${Object.entries(key)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      }
      return `[=${s.slice(2)}]`;
    })
    .join('');
}

function entriesOf(object: KubeObject | undefined): ManagedFieldsEntry[] {
  return structuredClone((object?.metadata?.managedFields as ManagedFieldsEntry[] | undefined) ?? []);
}

function deletePath(object: any, path: Path): void {
  const parents: any[] = [];
  let node = object;
  for (const segment of path.slice(0, -1)) {
    parents.push(node);
    node = step(node, segment);
    if (node === undefined) return;
  }
  const last = path[path.length - 1]!;
  removeChild(node, last);
  // Prune containers that became empty, innermost first.
  for (let i = path.length - 2; i >= 0; i--) {
    const child = step(parents[i], path[i]!);
    const empty = isObject(child)
      ? Object.keys(child).length === 0
      : Array.isArray(child) && child.length === 0;
    if (!empty) break;
    removeChild(parents[i], path[i]!);
  }
}

function step(node: any, segment: string): any {
  if (node === undefined || node === null) return undefined;
  if (segment.startsWith('f:')) return node[segment.slice(2)];
  if (segment.startsWith('k:') && Array.isArray(node)) {
    const key = JSON.parse(segment.slice(2)) as Record<string, unknown>;
    return node.find((item) => isObject(item) && Object.entries(key).every(([k, v]) => item[k] === v));
  }
  return undefined;
}

function removeChild(node: any, segment: string): void {
  if (node === undefined || node === null) return;
  if (segment.startsWith('f:')) delete node[segment.slice(2)];
  else if (Array.isArray(node)) {
    if (segment.startsWith('v:')) {
      const value = JSON.parse(segment.slice(2));
      const i = node.indexOf(value);
      if (i >= 0) node.splice(i, 1);
    } else {
      const item = step(node, segment);
      const i = node.indexOf(item);
      if (i >= 0) node.splice(i, 1);
    }
  }
}

/** Result of {@link serverSideApply}. */
export type ApplyResult = { object: KubeObject } | { conflicts: ApplyConflict[] };

/**
 * Applies `config` for `manager` onto `live` (undefined when the object does not exist yet).
 * Returns the merged object with updated managedFields, or the conflicts when `force` is false.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  config: KubeObject,
  manager: string,
  force: boolean,
  now: string,
): ApplyResult {
  const apiVersion = String(config.apiVersion ?? live?.apiVersion ?? '');
  const applied = leafFields(config);
  const entries = entriesOf(live);
  const liveFields = live ? leafFields(live) : new Map<string, unknown>();
  const conflicts: ApplyConflict[] = [];
  const forced = new Set<string>();
  for (const entry of entries) {
    if (entry.manager === manager && entry.operation === 'Apply') continue;
    for (const p of fromFieldsV1(entry.fieldsV1)) {
      if (!applied.has(p) || !liveFields.has(p)) continue;
      if (JSON.stringify(liveFields.get(p)) === JSON.stringify(applied.get(p))) continue;
      if (force) forced.add(p);
      else conflicts.push({ manager: entry.manager, apiVersion: entry.apiVersion, field: describePath(p) });
    }
  }
  if (conflicts.length) return { conflicts };

  const mine = entries.find((e) => e.manager === manager && e.operation === 'Apply');
  const previous = mine ? fromFieldsV1(mine.fieldsV1) : new Set<string>();
  const ownedByOthers = new Set(
    entries
      .filter((e) => e !== mine)
      .flatMap((e) => [...fromFieldsV1(e.fieldsV1)].filter((p) => !forced.has(p))),
  );
  const base: KubeObject = structuredClone(live ?? {});
  for (const p of previous) {
    if (!applied.has(p) && !ownedByOthers.has(p)) deletePath(base, JSON.parse(p));
  }
  const { metadata: configMeta, ...configRest } = config;
  const merged = strategicMergePatch(base, { ...configRest, metadata: { ...configMeta } }) as KubeObject;

  const next: ManagedFieldsEntry[] = [];
  for (const e of entries) {
    if (e === mine) continue;
    const kept = [...fromFieldsV1(e.fieldsV1)].filter((p) => !forced.has(p));
    if (kept.length) next.push({ ...e, fieldsV1: toFieldsV1(kept) });
  }
  next.push({
    manager,
    operation: 'Apply',
    apiVersion,
    time: now,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(applied.keys()),
  });
  merged.metadata = { ...merged.metadata, managedFields: next };
  return { object: merged };
}

/**
 * Records a non-apply write (create, update, patch) by `manager`: it takes ownership of every leaf
 * that the write added or changed, as the Update operation of the field manager does.
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  manager: string,
  now: string,
  subresource?: string,
): void {
  const entries = entriesOf(before);
  const old = before ? leafFields(before) : new Map<string, unknown>();
  const changed = [...leafFields(after)]
    .filter(([p, v]) => JSON.stringify(old.get(p)) !== JSON.stringify(v))
    .map(([p]) => p);
  const next: ManagedFieldsEntry[] = [];
  let own: Set<string> | undefined;
  for (const e of entries) {
    if (e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === (subresource ?? '')) {
      own = fromFieldsV1(e.fieldsV1);
      continue;
    }
    const kept = [...fromFieldsV1(e.fieldsV1)].filter((p) => !changed.includes(p));
    if (kept.length) next.push({ ...e, fieldsV1: toFieldsV1(kept) });
  }
  const mine = new Set([...(own ?? []), ...changed]);
  if (mine.size) {
    next.push({
      manager,
      operation: 'Update',
      apiVersion: String(after.apiVersion ?? ''),
      time: now,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(mine),
      ...(subresource ? { subresource } : {}),
    });
  }
  after.metadata = { ...after.metadata, managedFields: next };
}
