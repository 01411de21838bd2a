#!/usr/bin/env node
// Runs one npm script in every workspace that defines it, in dependency order, stopping at the
// first failure: `node scripts/each.mjs build`.
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { inDependencyOrder, root } from './workspaces.mjs';

const script = process.argv[2];
if (!script) {
  console.error('usage: node scripts/each.mjs <npm-script>');
  process.exit(2);
}
for (const pkg of inDependencyOrder()) {
  if (!pkg.manifest.scripts?.[script]) continue;
  const started = Date.now();
  const result = spawnSync('npm', ['run', script, '--silent'], { cwd: pkg.dir, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\n${script} failed in ${relative(root, pkg.dir)} (${pkg.name})`);
    process.exit(result.status ?? 1);
  }
  console.log(`${script}: ${pkg.name} (${Date.now() - started} ms)`);
}
