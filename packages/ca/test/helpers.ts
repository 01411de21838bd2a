import { execFile } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type CaKeyAlgorithm, type CaKind, type Identity, RemotelerError } from '@remoteler/core';
import { expect } from 'vitest';
import { MemoryCaKeyStore, X509CertificateAuthority } from '../src/index.js';

export const execFileAsync = promisify(execFile);

/** A user's key pair, made on "the user's machine": only the public half goes to the CA. */
export function userKeyPair(type: 'ec' | 'ed25519' | 'rsa' = 'ec'): {
  privateKey: KeyObject;
  privateKeyPem: string;
  publicKeyPem: string;
} {
  const { privateKey, publicKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519');
  return {
    privateKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/** An identity with every field set. */
export function fullIdentity(overrides: Partial<Identity> = {}): Identity {
  return {
    username: 'alice@example.com',
    roles: ['developer', 'auditor'],
    traits: { 'external.groups': ['devs', 'ops'], 'internal.logins': ['alice'] },
    kubernetesCluster: 'staging',
    remotelerCluster: 'root.example.com',
    loginIp: '203.0.113.7',
    userType: 'sso',
    connectorId: 'okta',
    sessionId: '5b0f0c3e-1d1e-4c43-9b0a-7f1c2d3e4f50',
    mfaVerified: true,
    kubernetesUsers: ['alice'],
    kubernetesGroups: ['developers', 'system:authenticated'],
    ...overrides,
  };
}

export const HOUR = 60 * 60 * 1000;

/** Opens a user and a host CA of one cluster on one memory store. */
export async function openAuthorities(
  options: { algorithm?: CaKeyAlgorithm; clusterName?: string; clock?: () => Date } = {},
): Promise<{ user: X509CertificateAuthority; host: X509CertificateAuthority; store: MemoryCaKeyStore }> {
  const store = new MemoryCaKeyStore();
  const common = { keyStore: store, clusterName: options.clusterName ?? 'root.example.com', ...options };
  const user = await X509CertificateAuthority.open({ ...common, kind: 'user' as CaKind });
  const host = await X509CertificateAuthority.open({ ...common, kind: 'host' as CaKind });
  return { user, host, store };
}

/** Runs `fn` and asserts it throws a RemotelerError with `code`. */
export async function expectCode(fn: () => unknown, code: string): Promise<RemotelerError> {
  try {
    await fn();
  } catch (error) {
    expect(RemotelerError.is(error), `expected a RemotelerError, got ${String(error)}`).toBe(true);
    expect((error as RemotelerError).code).toBe(code);
    return error as RemotelerError;
  }
  throw new Error(`expected ${code}, but nothing was thrown`);
}

/** A temporary directory removed by the returned `cleanup`. */
export async function tempDir(prefix = 'rmt-ca-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** `openssl verify -CAfile bundle cert`: resolves with exit code and output (never throws). */
export async function opensslVerify(
  dir: string,
  bundlePem: string,
  certificatePem: string,
  extra: string[] = [],
): Promise<{ ok: boolean; output: string }> {
  const caFile = join(dir, `ca-${Math.random().toString(36).slice(2)}.pem`);
  const certFile = join(dir, `cert-${Math.random().toString(36).slice(2)}.pem`);
  await writeFile(caFile, bundlePem);
  await writeFile(certFile, certificatePem);
  try {
    const { stdout, stderr } = await execFileAsync('openssl', [
      'verify',
      ...extra,
      '-CAfile',
      caFile,
      certFile,
    ]);
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
