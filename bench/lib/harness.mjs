// The shared benchmark harness: measure, print a table with ratios, write JSON under bench/results/.
// Benchmarks print figures; they never pass or fail on speed (targets are stated beside the figures).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

const resultsDir = new URL('../results/', import.meta.url);

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length));
  return sorted[index];
}

/**
 * Runs `fn` (sync or async) repeatedly: a warm-up, then for `durationMs`. Returns operations per
 * second, mean and percentile latency (µs) and CPU µs per operation of this process.
 */
export async function measure(fn, { durationMs = 2000, warmupMs = 300, batch = 1 } = {}) {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await fn();
  const samples = [];
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let ops = 0;
  while (performance.now() - start < durationMs) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await fn();
    samples.push(((performance.now() - t0) * 1000) / batch);
    ops += batch;
  }
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  samples.sort((a, b) => a - b);
  return {
    ops,
    perSecond: (ops * 1000) / elapsedMs,
    meanUs: (elapsedMs * 1000) / ops,
    p50Us: percentile(samples, 50),
    p99Us: percentile(samples, 99),
    cpuUsPerOp: (cpu.user + cpu.system) / ops,
  };
}

/** Formats a number for a table: integers with separators, small values with 2–3 significant digits. */
export function fmt(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value ?? '');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** `a / b` as `0.61x`. */
export function ratio(a, b) {
  return b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`;
}

/** Prints rows (objects with the same keys) as an aligned table under a title. */
export function printTable(title, rows) {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const cells = rows.map((row) => columns.map((c) => fmt(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (values) =>
    values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}

/** Writes a suite's figures (plus machine facts) to bench/results/<suite>.json. */
export function writeResults(suite, data) {
  mkdirSync(resultsDir, { recursive: true });
  const record = {
    suite,
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    ...data,
  };
  const file = new URL(`${suite}.json`, resultsDir);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`\nwrote ${file.pathname}`);
}
