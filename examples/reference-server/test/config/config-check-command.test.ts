import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServerBin } from '../support/run-server-bin.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-config-check-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('remoteler-server config check FILE', () => {
  it('exits 0 for a valid file', async () => {
    const file = join(dir, 'good.yaml');
    await writeFile(
      file,
      `version: v1\ncluster_name: example\nroles: [proxy]\nproxy:\n  auth_server: https://auth.example.com:3025\n  auth_ca_pin: sha256:${'ab'.repeat(32)}\n  join_token: { env: JOIN_TOKEN }\n`,
    );
    const result = await runServerBin(['config', 'check', file]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('is valid (roles: proxy)');
  });

  it('exits 1 with every problem, its line and path, and no stack trace', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      'version: v1\ncluster_name: example\nauth:\n  listen: 3025\n  colour: blue\nproxy: {}\n',
    );
    const result = await runServerBin(['config', 'check', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('RMT_CONFIG_INVALID');
    expect(result.stderr).toContain(`${file}:4 auth.listen: expected host:port`);
    expect(result.stderr).toContain(`${file}:5 auth.colour: expected no such field`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('answers --json with the problems as data', async () => {
    const file = join(dir, 'bad.yaml');
    const result = await runServerBin(['config', 'check', file, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.valid).toBe(false);
    expect(report.error.details.problems.map((p: { path: string }) => p.path)).toEqual([
      'auth.listen',
      'auth.colour',
    ]);
  });

  it('names a missing file and an unreadable one with their own codes', async () => {
    const missing = await runServerBin(['config', 'check', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^RMT_CONFIG_NOT_FOUND: /);
    // A directory where the file should be fails to read for every user, root included.
    const unreadable = await runServerBin(['config', 'check', dir]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/^RMT_CONFIG_UNREADABLE: .*EISDIR/);
  });

  it('refuses an unknown command with RMT_SERVER_USAGE', async () => {
    const result = await runServerBin(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('RMT_SERVER_USAGE');
  });
});
