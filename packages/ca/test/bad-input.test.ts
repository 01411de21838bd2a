// @peculiar/x509 (used here to make CSRs) needs Reflect metadata before it loads.
import 'reflect-metadata';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import type { UserCertificateRequest } from '@remoteler/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { X509CertificateAuthority } from '../src/index.js';
import { X509CertificateAuthority as Authority, MemoryCaKeyStore } from '../src/index.js';
import { expectCode, fullIdentity, HOUR, openAuthorities, userKeyPair } from './helpers.js';

let user: X509CertificateAuthority;
let host: X509CertificateAuthority;
beforeAll(async () => {
  ({ user, host } = await openAuthorities());
});

const crypto = webcrypto as unknown as Parameters<typeof Pkcs10CertificateRequestGenerator.create>[1];

async function csrPem(): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await Pkcs10CertificateRequestGenerator.create(
    { name: 'CN=alice', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } },
    crypto,
  );
  return csr.toString('pem');
}

function request(overrides: Partial<UserCertificateRequest> = {}): UserCertificateRequest {
  return {
    publicKey: { spki: userKeyPair().publicKeyPem },
    identity: fullIdentity(),
    ttlMs: HOUR,
    maxTtlMs: 8 * HOUR,
    ...overrides,
  };
}

describe('issuing accepts every supported key input', () => {
  it('takes SPKI PEM, SPKI DER, a JWK and a CSR, and certifies exactly that key', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const der = new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }));
    for (const publicKey of [
      { spki: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string },
      { spki: der },
      { jwk: pair.publicKey.export({ format: 'jwk' }) as { kty: string } },
    ]) {
      const issued = await user.issueUserCertificate(request({ publicKey }));
      const { X509Certificate } = await import('node:crypto');
      expect(new X509Certificate(issued.certificatePem).checkPrivateKey(pair.privateKey)).toBe(true);
    }
    const fromCsr = await user.issueUserCertificate(request({ publicKey: { csr: await csrPem() } }));
    expect(user.decodeUserIdentity(fromCsr.certificatePem).identity.username).toBe('alice@example.com');
  });

  it('takes Ed25519 and RSA-2048 user keys', async () => {
    for (const type of ['ed25519', 'rsa'] as const) {
      const issued = await user.issueUserCertificate(
        request({ publicKey: { spki: userKeyPair(type).publicKeyPem } }),
      );
      expect(user.decodeUserIdentity(issued.certificatePem).identity.roles).toEqual(['developer', 'auditor']);
    }
  });
});

describe('issuing refuses bad input, each with its own code', () => {
  it('a malformed public key', async () => {
    for (const publicKey of [
      { spki: 'not a key' },
      { spki: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' },
      { spki: new Uint8Array([1, 2, 3]) },
      { jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } },
      {} as never,
    ])
      await expectCode(
        () => user.issueUserCertificate(request({ publicKey })),
        'RMT_CA_PUBLIC_KEY_MALFORMED',
      );
  });

  it('a private key sent where the public key belongs (and never echoes it)', async () => {
    const pair = userKeyPair();
    const pem = await expectCode(
      () => user.issueUserCertificate(request({ publicKey: { spki: pair.privateKeyPem } })),
      'RMT_CA_PUBLIC_KEY_MALFORMED',
    );
    expect(JSON.stringify(pem)).not.toContain('PRIVATE KEY-----');
    const jwk = pair.privateKey.export({ format: 'jwk' }) as { kty: string };
    await expectCode(
      () => user.issueUserCertificate(request({ publicKey: { jwk } })),
      'RMT_CA_PUBLIC_KEY_MALFORMED',
    );
  });

  it('a public key of an unsupported type or size', async () => {
    const keys = [
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
      generateKeyPairSync('x25519').publicKey,
      generateKeyPairSync('ed448').publicKey,
    ];
    for (const key of keys) {
      const spki = key.export({ type: 'spki', format: 'pem' }) as string;
      await expectCode(
        () => user.issueUserCertificate(request({ publicKey: { spki } })),
        'RMT_CA_PUBLIC_KEY_UNSUPPORTED',
      );
    }
  });

  it('a CSR with a bad signature', async () => {
    const pem = await csrPem();
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3]! ^= 0x01; // inside the ECDSA signature's last INTEGER
    await expectCode(
      () => user.issueUserCertificate(request({ publicKey: { csr: new Uint8Array(der) } })),
      'RMT_CA_CSR_SIGNATURE_INVALID',
    );
  });

  it('a CSR that does not parse', async () => {
    await expectCode(
      () => user.issueUserCertificate(request({ publicKey: { csr: 'nope' } })),
      'RMT_CA_CSR_MALFORMED',
    );
    await expectCode(
      () => user.issueUserCertificate(request({ publicKey: { csr: new Uint8Array([0x30, 0x00]) } })),
      'RMT_CA_CSR_MALFORMED',
    );
  });

  it('a TTL of zero, a negative or non-finite TTL', async () => {
    for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      await expectCode(() => user.issueUserCertificate(request({ ttlMs })), 'RMT_CA_TTL_INVALID');
  });

  it('a TTL beyond the cap', async () => {
    const error = await expectCode(
      () => user.issueUserCertificate(request({ ttlMs: 8 * HOUR + 1, maxTtlMs: 8 * HOUR })),
      'RMT_CA_TTL_EXCEEDS_CAP',
    );
    expect(error.details).toEqual({ ttlMs: 8 * HOUR + 1, maxTtlMs: 8 * HOUR });
  });

  it('a username with control characters, or none', async () => {
    for (const username of [
      'alice\n',
      'bob\u0000',
      '\u001b[31mroot',
      'tab\there',
      'line\u2028sep',
      'del\u007f',
      'c1\u0085',
      '',
    ])
      await expectCode(
        () => user.issueUserCertificate(request({ identity: fullIdentity({ username }) })),
        'RMT_CA_USERNAME_INVALID',
      );
  });

  it('an empty role list', async () => {
    await expectCode(
      () => user.issueUserCertificate(request({ identity: fullIdentity({ roles: [] }) })),
      'RMT_CA_ROLES_EMPTY',
    );
  });

  it('other identity fields with control characters or empty values', async () => {
    for (const identity of [
      fullIdentity({ roles: ['ok', 'bad\nrole'] }),
      fullIdentity({ roles: ['dup', 'dup'] }),
      fullIdentity({ traits: { 'external.groups': ['x\r\ny'] } }),
      fullIdentity({ kubernetesCluster: '' }),
      fullIdentity({ kubernetesGroups: ['a\u0007'] }),
    ]) {
      await expectCode(
        () => user.issueUserCertificate(request({ identity })),
        'RMT_CA_IDENTITY_FIELD_INVALID',
      );
    }
  });

  it('an unknown CA algorithm, at creation and at rotation', async () => {
    await expectCode(
      () =>
        Authority.open({
          kind: 'user',
          keyStore: new MemoryCaKeyStore(),
          clusterName: 'c',
          algorithm: 'dsa-1024' as never,
        }),
      'RMT_CA_ALGORITHM_UNSUPPORTED',
    );
    const { user: fresh } = await openAuthorities();
    await expectCode(
      () => fresh.startRotation({ algorithm: 'rsa-1024' as never }),
      'RMT_CA_ALGORITHM_UNSUPPORTED',
    );
    expect(fresh.rotationStatus().phase).toBe('standby');
  });

  it('an identity extension OID that Go cannot parse', async () => {
    await expectCode(
      () =>
        Authority.open({
          kind: 'user',
          keyStore: new MemoryCaKeyStore(),
          clusterName: 'c',
          identityExtensionOid: '2.25.329800735698586629295641978511506172918',
        }),
      'RMT_CONFIG_INVALID',
    );
  });

  it('a user certificate asked of the host CA, and a host certificate of the user CA', async () => {
    await expectCode(() => host.issueUserCertificate(request()), 'RMT_CA_KIND_MISMATCH');
    await expectCode(
      () =>
        user.issueHostCertificate({
          publicKey: { spki: userKeyPair().publicKeyPem },
          host: { hostId: 'p', role: 'proxy', clusterName: 'c' },
          ttlMs: HOUR,
        }),
      'RMT_CA_KIND_MISMATCH',
    );
  });

  it('a host request with a bad SAN or role', async () => {
    const base = {
      publicKey: { spki: userKeyPair().publicKeyPem },
      host: { hostId: 'p', role: 'proxy' as const, clusterName: 'c' },
      ttlMs: HOUR,
    };
    for (const bad of [
      { ...base, dnsNames: ['bad name'] },
      { ...base, ipAddresses: ['300.1.1.1'] },
      { ...base, host: { ...base.host, role: 'admin' as never } },
      { ...base, host: { ...base.host, hostId: 'a\nb' } },
    ])
      await expectCode(() => host.issueHostCertificate(bad), 'RMT_CA_IDENTITY_FIELD_INVALID');
    await expectCode(() => host.issueHostCertificate({ ...base, ttlMs: 0 }), 'RMT_CA_TTL_INVALID');
  });
});
