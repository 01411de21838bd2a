import type { Resource } from '@remoteler/core';
import type { AdminCollection } from './admin-kinds.js';

type Spec = Record<string, unknown>;

function list(value: unknown): string {
  return Array.isArray(value) && value.length > 0 ? value.map(String).join(',') : '-';
}

function labels(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '-';
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`,
  );
  return entries.length === 0 ? '-' : entries.join(',');
}

// Names and labels come from the server and hold no control characters (resourceNameSchema), but
// free text (a lock message) may: whitespace runs become one space so the table stays one line per
// row, and any other control character (an ANSI escape would drive the terminal) becomes U+FFFD.
function cell(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/\s+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}

const COLUMNS: Readonly<
  Record<AdminCollection, { headers: readonly string[]; row: (r: Resource) => readonly string[] }>
> = {
  roles: {
    headers: ['NAME', 'MAX SESSION TTL', 'ALLOWED LABELS', 'KUBERNETES GROUPS', 'KUBERNETES USERS'],
    row: (r) => {
      const spec = r.spec as { options?: Spec; allow?: Spec };
      return [
        r.metadata.name,
        String(spec.options?.max_session_ttl ?? '-'),
        labels(spec.allow?.kubernetes_labels),
        list(spec.allow?.kubernetes_groups),
        list(spec.allow?.kubernetes_users),
      ];
    },
  },
  users: {
    headers: ['NAME', 'TYPE', 'ROLES', 'STATUS'],
    row: (r) => {
      const spec = r.spec as Spec & { status?: { state?: string } };
      return [r.metadata.name, String(spec.type ?? '-'), list(spec.roles), spec.status?.state ?? 'active'];
    },
  },
  clusters: {
    headers: ['NAME', 'LABELS', 'UPSTREAM'],
    row: (r) => {
      const upstream = (r.spec as { upstream?: { type?: string; server?: string } }).upstream;
      return [
        r.metadata.name,
        labels(r.metadata.labels),
        `${upstream?.type ?? '-'}${upstream?.server ? ` ${upstream.server}` : ''}`,
      ];
    },
  },
  locks: {
    headers: ['NAME', 'TARGET', 'EXPIRES', 'MESSAGE'],
    row: (r) => {
      const spec = r.spec as { target?: Record<string, string>; expires?: string; message?: string };
      const target = Object.entries(spec.target ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return [r.metadata.name, target || '-', spec.expires ?? 'never', spec.message ?? '-'];
    },
  },
};

/** Left-aligned columns separated by two spaces, header first (no trailing spaces). */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [headers, ...rows].map((row) => row.map(cell));
  const widths = headers.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((value, column) => (column === row.length - 1 ? value : value.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** The table `remoteler admin get <collection>` prints. */
export function renderResourceTable(collection: AdminCollection, resources: readonly Resource[]): string {
  const { headers, row } = COLUMNS[collection];
  return formatTable(headers, resources.map(row));
}
