import { verifyPassword } from '@remoteler/core';
import { describe, expect, it } from 'vitest';
import { runServerBin } from '../support/run-server-bin.js';

describe('remoteler-server hash-password', () => {
  it('prints an scrypt hash of the password read on standard input, which verifies, and never the password', async () => {
    const result = await runServerBin(['hash-password'], {}, 'a long demo password\n');
    expect(result.code, result.stderr).toBe(0);
    const hash = result.stdout.trim();
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$/);
    expect(result.stdout).not.toContain('a long demo password');
    expect(await verifyPassword('a long demo password', hash)).toBe(true);
  }, 60_000);

  it('refuses an empty password with RMT_SERVER_USAGE', async () => {
    const result = await runServerBin(['hash-password'], {}, '');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('RMT_SERVER_USAGE');
  }, 60_000);
});
