import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Vitest runs the TypeScript sources through its own transforms (and emits decorator metadata,
// which tsup/esbuild does not), so a test can pass while the published build is broken. These
// tests import every *built* entry point in a fresh Node process, by package name, as a user would.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Workspace {
  readonly name: string;
  readonly dir: string;
  readonly entries: readonly string[];
  readonly files: readonly string[];
}

function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(exportTargets);
}

function builtWorkspaces(): Workspace[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const found: Workspace[] = [];
  for (const pattern of manifest.workspaces) {
    const parent = join(root, pattern.replace(/\/\*$/, ''));
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent).sort()) {
      const dir = join(parent, entry);
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
        name: string;
        scripts?: Record<string, string>;
        exports?: Record<string, unknown> | string;
      };
      if (!pkg.scripts?.build) continue;
      const exportsMap = typeof pkg.exports === 'string' ? { '.': pkg.exports } : (pkg.exports ?? {});
      const entries = Object.keys(exportsMap)
        .filter((key) => key.startsWith('.') && !key.includes('*') && !key.endsWith('.json'))
        .map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`));
      found.push({ name: pkg.name, dir, entries, files: Object.values(exportsMap).flatMap(exportTargets) });
    }
  }
  return found;
}

async function node(script: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return stdout.trim();
}

const workspaces = builtWorkspaces();

describe('built packages', () => {
  it('include @remoteler/core', () => {
    expect(workspaces.map((workspace) => workspace.name)).toContain('@remoteler/core');
  });

  for (const workspace of workspaces) {
    it(`${workspace.name}: every entry of its exports map imports in a plain Node process`, async () => {
      const dist = join(workspace.dir, 'dist');
      if (!existsSync(dist)) throw new Error(`${workspace.name} has no dist/: run npm run build first`);
      for (const file of workspace.files)
        expect(
          existsSync(join(workspace.dir, file)),
          `${workspace.name}: ${file} is missing; run npm run build first`,
        ).toBe(true);
      const script = `
        const result = {};
        for (const entry of ${JSON.stringify(workspace.entries)}) {
          const module = await import(entry);
          result[entry] = Object.keys(module).length;
        }
        console.log(JSON.stringify(result));`;
      const result = JSON.parse(await node(script)) as Record<string, number>;
      expect(Object.keys(result).sort()).toEqual([...workspace.entries].sort());
    });
  }

  it('@remoteler/core/di resolves a registration through a child container from the built output', async () => {
    if (!existsSync(join(root, 'packages/core/dist/di.js')))
      throw new Error('core has no dist/: run npm run build first');
    const script = `
      import { MemoryRoleStore } from '@remoteler/core';
      import { createContainer, ROLE_STORE } from '@remoteler/core/di';
      import { container as globalContainer } from 'tsyringe';
      const container = createContainer().registerFactory(ROLE_STORE, () => new MemoryRoleStore());
      const store = container.resolve(ROLE_STORE);
      const created = await store.create({
        kind: 'role', version: 'v1', metadata: { name: 'dev' },
        spec: { options: {}, allow: { kubernetes_groups: ['devs'] }, deny: {} },
      });
      await container.dispose();
      console.log(JSON.stringify({
        name: created.metadata.name,
        childContainer: container.tsyringe !== globalContainer,
        inGlobal: globalContainer.isRegistered(ROLE_STORE.key, true),
      }));`;
    expect(JSON.parse(await node(script))).toEqual({ name: 'dev', childContainer: true, inGlobal: false });
  });
});
