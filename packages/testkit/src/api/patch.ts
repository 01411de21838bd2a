// biome-ignore-all lint/suspicious/noExplicitAny: patches operate on free-form JSON
/** Raised for a patch that cannot be applied; the caller answers 422 or 400 as the API server does. */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly code: 400 | 422 = 422,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

const isObject = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, any> = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: any, parts: string[], op: string): [any, string] {
  let current = doc;
  for (const part of parts.slice(0, -1)) {
    current = Array.isArray(current) ? current[Number(part)] : current?.[part];
    if (current === undefined || current === null || typeof current !== 'object') {
      throw new PatchError(
        `the server rejected our request due to an error in our request: doc is missing path: "/${parts.join('/')}": missing value (op ${op})`,
      );
    }
  }
  return [current, parts[parts.length - 1]!];
}

function getAt(doc: any, path: string): any {
  let current = doc;
  for (const part of pointer(path)) {
    current = Array.isArray(current) ? current[Number(part)] : current?.[part];
    if (current === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  return current;
}

function addAt(doc: any, path: string, value: unknown): any {
  const parts = pointer(path);
  if (parts.length === 0) return value;
  const [parent, key] = parentOf(doc, parts, 'add');
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length)
      throw new PatchError(`add operation does not apply: doc is missing path: "${path}"`);
    parent.splice(index, 0, value);
  } else parent[key] = value;
  return doc;
}

function removeAt(doc: any, path: string): any {
  const parts = pointer(path);
  const [parent, key] = parentOf(doc, parts, 'remove');
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!(index >= 0 && index < parent.length))
      throw new PatchError(`remove operation does not apply: doc is missing path: "${path}"`);
    parent.splice(index, 1);
  } else {
    if (!(key in parent))
      throw new PatchError(`remove operation does not apply: doc is missing path: "${path}": missing value`);
    delete parent[key];
  }
  return doc;
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations))
    throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch', 400);
  let doc: any = structuredClone(target);
  for (const op of operations as any[]) {
    const path = String(op?.path ?? '');
    switch (op?.op) {
      case 'add':
        doc = addAt(doc, path, structuredClone(op.value));
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        getAt(doc, path);
        doc = removeAt(doc, path);
        doc = addAt(doc, path, structuredClone(op.value));
        break;
      case 'move': {
        const value = getAt(doc, String(op.from));
        doc = removeAt(doc, String(op.from));
        doc = addAt(doc, path, value);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, structuredClone(getAt(doc, String(op.from))));
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op.value))
          throw new PatchError(`testing value ${path} failed`);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${String(op?.op)}`);
    }
  }
  return doc;
}

/**
 * Merge keys of the built-in types' lists (the `patchMergeKey` tags in k8s.io/api), by field name.
 * A list not named here is atomic and replaced whole, as in strategic merge patch.
 */
const MERGE_KEYS: Readonly<Record<string, string | ((item: any) => string)>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  envFrom: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  // Container ports merge on containerPort, Service ports on port.
  ports: (item) => ('containerPort' in (item ?? {}) ? 'containerPort' : 'port'),
};
/** Primitive lists with patchStrategy merge (set union). */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, sample: unknown): string | undefined {
  const k = MERGE_KEYS[field];
  return typeof k === 'function' ? k(sample) : k;
}

/** True for lists that strategic merge treats as keyed (used by server-side apply too). */
export function listMergeKey(field: string, items: readonly unknown[]): string | undefined {
  return mergeKeyFor(field, items[0]);
}

/**
 * Strategic merge patch for the common cases: keyed lists of the built-in types, `$patch:
 * replace|delete`, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  return smpObject(isObject(target) ? target : {}, patch);
}

function smpObject(target: Record<string, any>, patch: unknown): any {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const result: Record<string, any> = structuredClone(target);
  const retain = Array.isArray(patch.$retainKeys) ? new Set<string>(patch.$retainKeys) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(result[field]) && Array.isArray(value))
        result[field] = result[field].filter((v: unknown) => !value.includes(v));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    if (Array.isArray(value)) {
      result[key] = smpList(
        key,
        Array.isArray(result[key]) ? result[key] : [],
        value,
        patch[`$setElementOrder/${key}`],
      );
      continue;
    }
    if (isObject(value)) {
      const merged = smpObject(isObject(result[key]) ? result[key] : {}, value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
      continue;
    }
    result[key] = value;
  }
  if (retain) for (const key of Object.keys(result)) if (!retain.has(key)) delete result[key];
  return result;
}

function smpList(field: string, live: any[], patch: any[], order: unknown): any[] {
  if (patch.length === 1 && isObject(patch[0]) && patch[0].$patch === 'replace') return [];
  if (MERGED_PRIMITIVE_LISTS.has(field) && patch.every((v) => !isObject(v))) {
    return [...live, ...patch.filter((v) => !live.includes(v))];
  }
  const key = mergeKeyFor(field, patch.find(isObject) ?? live[0]);
  if (!key || !patch.every(isObject)) return structuredClone(patch.filter((v) => !(isObject(v) && v.$patch)));
  const result = structuredClone(live) as Record<string, any>[];
  for (const item of patch as Record<string, any>[]) {
    const index = result.findIndex((l) => isObject(l) && l[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = smpObject(result[index]!, item);
    else result.push(smpObject({}, item));
  }
  if (Array.isArray(order)) {
    const rank = new Map(order.map((o: any, i) => [o?.[key], i]));
    result.sort(
      (a, b) => (rank.get(a[key]) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b[key]) ?? Number.MAX_SAFE_INTEGER),
    );
  }
  return result;
}
