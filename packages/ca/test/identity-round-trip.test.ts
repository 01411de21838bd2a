import { X509Certificate } from 'node:crypto';
import type { Identity } from '@remoteler/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IDENTITY_EXTENSION_OID, MemoryCaKeyStore, X509CertificateAuthority } from '../src/index.js';
import { fullIdentity, HOUR, openAuthorities, userKeyPair } from './helpers.js';

async function roundTrip(identity: Identity): Promise<Identity> {
  const { user } = await openAuthorities();
  const issued = await user.issueUserCertificate({
    publicKey: { spki: userKeyPair().publicKeyPem },
    identity,
    ttlMs: HOUR,
    maxTtlMs: HOUR,
  });
  return user.decodeUserIdentity(issued.certificatePem).identity;
}

function withoutValidity(identity: Identity): Omit<Identity, 'notBefore' | 'notAfter'> {
  const { notBefore: _nb, notAfter: _na, ...rest } = identity;
  return rest;
}

describe('identity round-trip through a certificate', () => {
  it('returns every field exactly as issued', async () => {
    const identity = fullIdentity();
    expect(withoutValidity(await roundTrip(identity))).toEqual(identity);
  });

  it('keeps unicode usernames, roles and traits byte for byte', async () => {
    const identity = fullIdentity({
      username: 'Zoë Ångström 山田太郎 🚀',
      roles: ['développeur', 'админ'],
      traits: { 'external.groups': ['équipe', '開発'], 'external.emoji': ['🔑'] },
      kubernetesGroups: ['グループ'],
    });
    expect(withoutValidity(await roundTrip(identity))).toEqual(identity);
  });

  it('carries many roles and groups in order', async () => {
    const roles = Array.from({ length: 60 }, (_, i) => `role-${i}`);
    const groups = Array.from({ length: 200 }, (_, i) => `group-${i}`);
    const identity = fullIdentity({ roles, kubernetesGroups: groups, kubernetesUsers: ['a', 'b', 'c'] });
    const decoded = await roundTrip(identity);
    expect(decoded.roles).toEqual(roles);
    expect(decoded.kubernetesGroups).toEqual(groups);
  });

  it('keeps empty lists empty and leaves absent optional fields absent', async () => {
    const identity: Identity = {
      username: 'bob',
      roles: ['viewer'],
      traits: { 'external.empty': [] },
      userType: 'local',
      mfaVerified: false,
      kubernetesUsers: [],
      kubernetesGroups: [],
    };
    const decoded = withoutValidity(await roundTrip(identity));
    expect(decoded).toEqual(identity);
    for (const key of ['kubernetesCluster', 'remotelerCluster', 'loginIp', 'connectorId', 'sessionId'])
      expect(Object.hasOwn(decoded, key), key).toBe(false);
  });

  it('keeps a trait named __proto__ as plain data', async () => {
    const traits = JSON.parse('{"__proto__": ["x"], "a": ["b"]}') as Identity['traits'];
    const decoded = await roundTrip(fullIdentity({ traits }));
    expect(Object.getPrototypeOf(decoded.traits)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(decoded.traits, '__proto__')?.value).toEqual(['x']);
  });

  it('writes CN=username, one O= per role, OU=usage:kube and a non-critical identity extension', async () => {
    const { user } = await openAuthorities();
    const issued = await user.issueUserCertificate({
      publicKey: { spki: userKeyPair().publicKeyPem },
      identity: fullIdentity({ username: 'carol', roles: ['a', 'b'] }),
      ttlMs: HOUR,
      maxTtlMs: HOUR,
    });
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.subject.split('\n')).toEqual(['O=a', 'O=b', 'OU=usage:kube', 'CN=carol']);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    const text = cert.toLegacyObject();
    expect(text.ext_key_usage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(DEFAULT_IDENTITY_EXTENSION_OID).toBe('1.3.9999.7.1');
  });

  it('sets NotBefore one minute back and NotAfter at now + TTL, with a positive random serial', async () => {
    const now = new Date('2026-03-01T10:00:00.500Z');
    const { user } = await openAuthorities({ clock: () => now });
    const issue = () =>
      user.issueUserCertificate({
        publicKey: { spki: userKeyPair().publicKeyPem },
        identity: fullIdentity(),
        ttlMs: 2 * HOUR,
        maxTtlMs: 8 * HOUR,
        now,
      });
    const [a, b] = await Promise.all([issue(), issue()]);
    expect(a!.notBefore.toISOString()).toBe('2026-03-01T09:59:00.000Z');
    expect(a!.notAfter.toISOString()).toBe('2026-03-01T12:00:00.000Z');
    const decoded = user.decodeUserIdentity(a!.certificateDer, { now });
    expect(decoded.identity.notBefore).toEqual(a!.notBefore);
    expect(decoded.identity.notAfter).toEqual(a!.notAfter);
    expect(a!.serialNumber).toMatch(/^[4-7][0-9a-f]{31}$/);
    expect(a!.serialNumber).not.toBe(b!.serialNumber);
    expect(BigInt(`0x${a!.serialNumber}`) >= 2n ** 64n).toBe(true);
  });
});

describe('certificate lifetime', () => {
  it('never outlives the signing CA: a TTL past the CA end is cut at the CA end', async () => {
    const now = new Date('2026-03-01T10:00:00Z');
    const user = await X509CertificateAuthority.open({
      kind: 'user',
      keyStore: new MemoryCaKeyStore(),
      clusterName: 'c',
      caValidityMs: 2 * HOUR,
      clock: () => now,
    });
    const issued = await user.issueUserCertificate({
      publicKey: { spki: userKeyPair().publicKeyPem },
      identity: fullIdentity(),
      ttlMs: 8 * HOUR,
      maxTtlMs: 8 * HOUR,
    });
    expect(issued.notAfter.toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(user.decodeUserIdentity(issued.certificatePem).identity.notAfter).toEqual(issued.notAfter);
  });
});
