// Lists the workspace packages in dependency order, so that a package is built after every
// @remoteler/* package it depends on (npm workspaces alone run them in declaration order).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function workspaces() {
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dirs = [];
  for (const pattern of rootManifest.workspaces) {
    if (pattern.endsWith('/*')) {
      const parent = join(root, pattern.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const entry of readdirSync(parent).sort()) dirs.push(join(parent, entry));
    } else {
      dirs.push(join(root, pattern));
    }
  }
  const byName = new Map();
  for (const dir of dirs) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    byName.set(manifest.name, { name: manifest.name, dir, manifest });
  }
  return byName;
}

export function inDependencyOrder() {
  const byName = workspaces();
  const ordered = [];
  const state = new Map();
  const visit = (name, trail) => {
    const mark = state.get(name);
    if (mark === 'done') return;
    if (mark === 'visiting') throw new Error(`dependency cycle: ${[...trail, name].join(' -> ')}`);
    state.set(name, 'visiting');
    const { manifest } = byName.get(name);
    const deps = {
      ...manifest.dependencies,
      ...manifest.peerDependencies,
      ...manifest.devDependencies,
    };
    for (const dep of Object.keys(deps)) if (byName.has(dep)) visit(dep, [...trail, name]);
    state.set(name, 'done');
    ordered.push(byName.get(name));
  };
  for (const name of [...byName.keys()].sort()) visit(name, []);
  return ordered;
}
