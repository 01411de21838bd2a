// Compares two V8 heap snapshots (`v8.writeHeapSnapshot`) by constructor: which kinds of objects
// appeared between them, how many and how many bytes (self size). Used on the Proxy's snapshots
// before and with the watches open (BENCH_PROXY_HEAP_SNAPSHOT), divided by the open watches:
//   node bench/lib/heap-snapshot-diff.mjs idle.heapsnapshot open.heapsnapshot [per] [rows]
import { readFileSync } from 'node:fs';

/** Count and self size per `type:name` of the snapshot's nodes. */
export function summarizeSnapshot(file) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  const { node_fields: fields, node_types: types } = snapshot.snapshot.meta;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const typeNames = types[typeAt];
  const { nodes, strings } = snapshot;
  const groups = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = typeNames[nodes[i + typeAt]];
    // Strings, numbers and code are grouped by type only; objects and native nodes by name.
    const name =
      type === 'object' || type === 'native' || type === 'closure' || type === 'hidden'
        ? strings[nodes[i + nameAt]].slice(0, 60)
        : '';
    const key = `${type}:${name}`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += nodes[i + sizeAt];
    groups.set(key, group);
  }
  return groups;
}

/** Rows of what grew from `before` to `after`, largest first, per `per` (e.g. per open watch). */
export function diffSnapshots(before, after, per = 1, rows = 30) {
  const a = summarizeSnapshot(before);
  const b = summarizeSnapshot(after);
  const diff = [];
  let total = 0;
  for (const [key, group] of b) {
    const old = a.get(key) ?? { count: 0, bytes: 0 };
    const bytes = group.bytes - old.bytes;
    total += bytes;
    diff.push({ kind: key, 'count/per': (group.count - old.count) / per, 'bytes/per': bytes / per });
  }
  diff.sort((x, y) => y['bytes/per'] - x['bytes/per']);
  return { total: total / per, rows: diff.slice(0, rows) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [before, after, per = '1', rows = '30'] = process.argv.slice(2);
  const { total, rows: table } = diffSnapshots(before, after, Number(per), Number(rows));
  console.log(
    `total self size grown: ${(total / 1024).toFixed(2)} KiB per ${per === '1' ? 'snapshot' : 'unit'}`,
  );
  for (const row of table)
    console.log(
      `${row['bytes/per'].toFixed(0).padStart(8)} B  ${row['count/per'].toFixed(2).padStart(7)}x  ${row.kind}`,
    );
}
