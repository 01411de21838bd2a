import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNodeScript } from '@remoteler/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProfileStore } from '../src/profile.js';
import { REMOTELER_BIN } from './support/run-remoteler.js';

// kubectl starts the plugin on every run (k8s-protocols §11.4), so a cached certificate must be served
// without loading TLS, HTTP, X.509 or YAML code. The probe lists the modules Node loaded.
const PROBE = `process.on('exit', () => process.stderr.write(JSON.stringify(process.moduleLoadList)));
process.argv = [process.argv[0], process.env.BIN, ...JSON.parse(process.env.ARGS)];
await import(process.env.BIN);
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-fast-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function probe(args: string[], home: string): Promise<{ stdout: string; modules: string[] }> {
  const { stdout, stderr } = await runNodeScript(join(dir, 'probe.mjs'), [], {
    env: { REMOTELER_HOME: home, BIN: REMOTELER_BIN, ARGS: JSON.stringify(args) },
  });
  return { stdout, modules: JSON.parse(stderr.slice(stderr.indexOf('['))) };
}

describe('exec plugin fast path', () => {
  it('serves a fresh cached certificate without loading TLS, HTTP, crypto or YAML modules', async () => {
    await writeFile(join(dir, 'probe.mjs'), PROBE);
    const home = join(dir, 'home');
    const store = new ProfileStore(home);
    const notAfter = new Date(Date.now() + 3_600_000).toISOString();
    await store.saveKeyPair('p.test:3080', 'KEY PEM', 'LOGIN CERT');
    await store.saveKubeCredential('p.test:3080', 'dev', { certificatePem: 'CLUSTER CERT', notAfter });
    const { stdout, modules } = await probe(
      ['kube', 'credentials', '--proxy', 'p.test:3080', '--cluster', 'dev'],
      home,
    );
    expect(JSON.parse(stdout)).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: {
        clientCertificateData: 'CLUSTER CERT',
        clientKeyData: 'KEY PEM',
        expirationTimestamp: notAfter.replace(/\.\d{3}Z$/, 'Z'),
      },
    });
    for (const name of ['NativeModule https', 'NativeModule http', 'NativeModule tls', 'NativeModule crypto'])
      expect(modules).not.toContain(name);
  });

  it('the probe does see those modules when the full command runs (no cache)', async () => {
    await writeFile(join(dir, 'probe.mjs'), PROBE);
    const { modules } = await probe(['help'], join(dir, 'home'));
    expect(modules).toContain('NativeModule https');
  });
});
