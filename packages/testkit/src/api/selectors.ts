import type { KubeObject } from './resource-types.js';

/** A compiled selector: true when the object matches. */
export type Selector = (object: KubeObject) => boolean;

/** Why a selector did not parse; the caller answers 400 BadRequest with this message. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

// Splits on commas that are not inside `( … )` (set-based requirements hold commas).
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth += 1;
    if (c === ')') depth -= 1;
    if (c === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const LABEL_KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string): void {
  if (!LABEL_KEY.test(key) || key.length > 316) {
    throw new SelectorError(
      `unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}
function checkValue(value: string): void {
  if (!LABEL_VALUE.test(value) || value.length > 63) {
    throw new SelectorError(
      `unable to parse requirement: values[0][${value}]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

/** Parses a label selector (`a=b,c!=d,e in (f,g),!h,i`) as the API server's `labels.Parse` does. */
export function parseLabelSelector(text: string | null | undefined): Selector {
  if (!text) return () => true;
  const tests: ((labels: Record<string, string>) => boolean)[] = [];
  for (const requirement of splitRequirements(text)) {
    let m = /^(\S+?)\s+(in|notin)\s+\(([^)]*)\)$/.exec(requirement);
    if (m) {
      const [, key = '', op, list = ''] = m;
      checkKey(key);
      const values = list
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
      for (const v of values) checkValue(v);
      tests.push(
        op === 'in'
          ? (l) => key in l && values.includes(l[key]!)
          : (l) => !(key in l) || !values.includes(l[key]!),
      );
      continue;
    }
    m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(requirement);
    if (m) {
      const [, key = '', op, value = ''] = m;
      checkKey(key);
      checkValue(value);
      tests.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
      continue;
    }
    m = /^!\s*(\S+)$/.exec(requirement);
    if (m) {
      const key = m[1]!;
      checkKey(key);
      tests.push((l) => !(key in l));
      continue;
    }
    if (/^\S+$/.test(requirement) && !/[=!()<>]/.test(requirement)) {
      checkKey(requirement);
      tests.push((l) => requirement in l);
      continue;
    }
    throw new SelectorError(
      `unable to parse requirement: found '${requirement}', expected: '=', '!=', '==', 'in', notin'`,
    );
  }
  return (object) => {
    const labels = object.metadata?.labels ?? {};
    return tests.every((t) => t(labels));
  };
}

/** Field paths the simulator supports in field selectors, per kind (plus metadata.name/namespace). */
const FIELDS: Readonly<Record<string, readonly string[]>> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
  ],
  Event: [
    'involvedObject.kind',
    'involvedObject.name',
    'involvedObject.namespace',
    'involvedObject.uid',
    'reason',
    'type',
    'source',
  ],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Node: ['spec.unschedulable'],
};

function fieldValue(object: KubeObject, path: string): string {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return '';
    current = (current as Record<string, unknown>)[part];
  }
  return current === undefined || current === null ? '' : String(current);
}

/**
 * Parses a field selector (`metadata.name=x,status.phase!=Running`). Unknown fields are a 400, with
 * the API server's wording `field label not supported: <field>`.
 */
export function parseFieldSelector(text: string | null | undefined, kind: string): Selector {
  if (!text) return () => true;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(FIELDS[kind] ?? [])]);
  const tests: Selector[] = [];
  for (const requirement of splitRequirements(text)) {
    const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/.exec(requirement);
    if (!m) throw new SelectorError(`invalid selector: '${text}'; can't understand '${requirement}'`);
    const [, field = '', op, value = ''] = m;
    if (!allowed.has(field)) throw new SelectorError(`field label not supported: ${field}`);
    tests.push(op === '!=' ? (o) => fieldValue(o, field) !== value : (o) => fieldValue(o, field) === value);
  }
  return (object) => tests.every((t) => t(object));
}
