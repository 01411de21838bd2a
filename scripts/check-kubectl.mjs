#!/usr/bin/env node
// kubectl 1.27–1.33 are preinstalled side by side on this machine kind and cannot be installed from
// apt here; the end-to-end tests call each by its full name.
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

const versions = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'];
let dir;
try {
  const found = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
  dir = dirname(realpathSync(found));
} catch {
  console.error(
    'kubectl is not on PATH. kubectl 1.27–1.33 come preinstalled as kubectl.1.XX on this machine kind; they cannot be installed from apt here.',
  );
  process.exit(1);
}
const missing = versions.filter((v) => !existsSync(join(dir, `kubectl.${v}`)));
if (missing.length > 0) {
  console.error(
    `missing kubectl ${missing.join(', ')} in ${dir}: these versions come preinstalled as kubectl.1.XX on this machine kind and cannot be installed from apt here.`,
  );
  process.exit(1);
}
for (const v of versions) {
  const out = execFileSync(join(dir, `kubectl.${v}`), ['version', '--client', '-o', 'json'], {
    encoding: 'utf8',
  });
  console.log(`kubectl.${v}: ${JSON.parse(out).clientVersion.gitVersion}`);
}
