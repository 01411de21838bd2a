import type { FilterableObject, ObjectFilter } from '@remoteler/core';

// biome-ignore lint/suspicious/noExplicitAny: objects of any Kubernetes kind, read defensively
type Json = any;

/** `metadata.namespace` / `metadata.name` of a Kubernetes object, or undefined when it has none. */
export function filterableOf(object: Json): FilterableObject | undefined {
  const metadata = object?.metadata;
  if (typeof metadata !== 'object' || metadata === null || typeof metadata.name !== 'string')
    return undefined;
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
  return { namespace, name: metadata.name };
}

/**
 * Whether an object (a list item or a watch event's object) may be shown. An object without
 * metadata cannot be judged and is hidden (fail closed).
 */
export function mayShow(filter: ObjectFilter, object: Json): boolean {
  const target = filterableOf(object);
  return target !== undefined && filter.test(target);
}

/**
 * Whether a Table row may be shown: it is judged by `rows[].object.metadata`, which the Proxy makes
 * the API server include (`includeObject=Metadata`, k8s-protocols §2.2). A row without it is hidden.
 */
export function mayShowRow(filter: ObjectFilter, row: Json): boolean {
  return mayShow(filter, row?.object);
}
