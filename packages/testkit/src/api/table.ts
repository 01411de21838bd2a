import type { KubeObject, ResourceType, TableColumn } from './resource-types.js';

/** `includeObject` of a Table request (k8s-protocols §2.2); Metadata is the server's default. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

const NAME_COLUMN: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.',
  priority: 0,
};

const CREATED_COLUMN: TableColumn = {
  name: 'Created At',
  type: 'date',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
};

/** The column definitions of a type's Table. */
export function tableColumns(t: ResourceType): TableColumn[] {
  return [NAME_COLUMN, ...(t.columns ?? [CREATED_COLUMN])];
}

/** One Table row: NAME, the type's cells, and the object as asked by `includeObject`. */
export function tableRow(t: ResourceType, object: KubeObject, include: IncludeObject, now: number) {
  const cells = [
    object.metadata?.name ?? '',
    ...(t.cells ? t.cells(object, now) : [object.metadata?.creationTimestamp ?? '']),
  ];
  const row: Record<string, unknown> = { cells };
  // kubectl takes the NAMESPACE (-A) and LABELS (--show-labels) columns from rows[].object.metadata.
  if (include === 'Object') row.object = object;
  else if (include === 'Metadata') {
    const { managedFields: _drop, ...metadata } = object.metadata ?? {};
    row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
  }
  return row;
}

/** A `meta.k8s.io/v1` Table (or v1beta1 when that was what the client accepted). */
export function toTable(
  t: ResourceType,
  objects: readonly KubeObject[],
  options: {
    include: IncludeObject;
    apiVersion: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';
    listMeta?: Record<string, unknown>;
    noHeaders?: boolean;
    now?: number;
  },
) {
  const now = options.now ?? Date.now();
  return {
    kind: 'Table',
    apiVersion: options.apiVersion,
    metadata: options.listMeta ?? {},
    ...(options.noHeaders ? {} : { columnDefinitions: tableColumns(t) }),
    rows: objects.map((o) => tableRow(t, o, options.include, now)),
  };
}

/** Reads the Table wish from an Accept header: `application/json;as=Table;v=v1;g=meta.k8s.io`. */
export function acceptsTable(
  accept: string | undefined,
): 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1' | undefined {
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim());
    const p = Object.fromEntries(params.map((x) => x.split('=').map((s) => s.trim()) as [string, string]));
    if (type !== 'application/json') continue;
    if (p.as === 'Table' && p.g === 'meta.k8s.io' && (p.v === 'v1' || p.v === 'v1beta1'))
      return `meta.k8s.io/${p.v}`;
    if (!p.as) return undefined;
  }
  return undefined;
}
