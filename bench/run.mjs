#!/usr/bin/env node
// Runs every benchmark suite (bench/suites/*.mjs), or the named ones, each in its own Node process
// so that one suite's heap and JIT state do not colour the next. Suites import the *built* packages:
// `npm run bench` builds first.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';

const dir = new URL('./suites/', import.meta.url);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => basename(f, '.mjs'))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const suite of wanted.length > 0 ? wanted : all) {
  console.log(`\n### ${suite}`);
  const result = spawnSync(process.execPath, ['--expose-gc', new URL(`${suite}.mjs`, dir).pathname], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
