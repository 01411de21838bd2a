import type { Resource } from '@remoteler/core';

/** One changed field between two versions of a resource. */
export interface FieldChange {
  /** Dotted path such as `spec.allow.kubernetes_groups` or `spec.allow.kubernetes_resources[0].verbs`. */
  readonly path: string;
  /** The old value; absent when the field was added. */
  readonly before?: unknown;
  /** The new value; absent when the field was removed. */
  readonly after?: unknown;
}

/**
 * Fields Auth or the store set on their own (revision, timestamps, the admin who made a lock): they
 * differ on every write, so comparing them would call every re-applied file a change.
 */
const MANAGED_METADATA = ['revision'];
const MANAGED_SPEC = ['created_at', 'updated_at', 'created_by'];

/** The resource without the fields Auth manages, for comparison and display. */
export function withoutManagedFields(resource: Resource): Resource {
  const metadata = { ...resource.metadata } as Record<string, unknown>;
  for (const key of MANAGED_METADATA) delete metadata[key];
  const spec =
    typeof resource.spec === 'object' && resource.spec !== null
      ? ({ ...resource.spec } as Record<string, unknown>)
      : resource.spec;
  if (typeof spec === 'object' && spec !== null)
    for (const key of MANAGED_SPEC) delete (spec as Record<string, unknown>)[key];
  return { ...resource, metadata: metadata as unknown as Resource['metadata'], spec };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function segment(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
    ? path === ''
      ? key
      : `${path}.${key}`
    : `${path}[${JSON.stringify(key)}]`;
}

// Lists of objects (kubernetes_resources) are compared entry by entry, so a change names the rule
// it touched; lists of scalars (verbs, groups) are one value, shown whole, which reads better.
function isListOfObjects(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.length > 0 && value.every(isPlainObject);
}

function walk(path: string, before: unknown, after: unknown, out: FieldChange[]): void {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const next = segment(path, key);
      if (!Object.hasOwn(after, key)) out.push({ path: next, before: before[key] });
      else if (!Object.hasOwn(before, key)) out.push({ path: next, after: after[key] });
      else walk(next, before[key], after[key], out);
    }
    return;
  }
  if (isListOfObjects(before) && isListOfObjects(after)) {
    const length = Math.max(before.length, after.length);
    for (let index = 0; index < length; index++) {
      const next = `${path}[${index}]`;
      if (index >= after.length) out.push({ path: next, before: before[index] });
      else if (index >= before.length) out.push({ path: next, after: after[index] });
      else walk(next, before[index], after[index], out);
    }
    return;
  }
  if (!sameValue(before, after)) out.push({ path, before, after });
}

/** Deep equality of JSON values (key order ignored). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((value, index) => sameValue(value, b[index]))
    );
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && sameValue(a[key], b[key]))
    );
  }
  return Object.is(a, b);
}

/**
 * The field-level changes from `before` to `after`, ignoring the fields Auth manages (revision,
 * created/updated timestamps, created_by). Empty when the two say the same.
 */
export function diffResources(before: Resource, after: Resource): FieldChange[] {
  const out: FieldChange[] = [];
  walk('', withoutManagedFields(before), withoutManagedFields(after), out);
  return out;
}

/** `~ path: old -> new`, `+ path: new`, `- path: old`, one line per change, values as JSON. */
export function formatChanges(changes: readonly FieldChange[], indent = '    '): string {
  return changes
    .map((c) => {
      if (!('before' in c)) return `${indent}+ ${c.path}: ${JSON.stringify(c.after)}\n`;
      if (!('after' in c)) return `${indent}- ${c.path}: ${JSON.stringify(c.before)}\n`;
      return `${indent}~ ${c.path}: ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}\n`;
    })
    .join('');
}
