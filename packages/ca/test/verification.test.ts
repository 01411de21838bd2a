import { X509Certificate } from 'node:crypto';
import type { CaKeyAlgorithm } from '@remoteler/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeUserIdentity, TrustBundle, X509IdentityDecoder } from '../src/index.js';
import {
  expectCode,
  fullIdentity,
  HOUR,
  openAuthorities,
  opensslVerify,
  tempDir,
  userKeyPair,
} from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await cleanup();
});

async function issueUser(authorities: Awaited<ReturnType<typeof openAuthorities>>, now?: Date, ttlMs = HOUR) {
  return authorities.user.issueUserCertificate({
    publicKey: { spki: userKeyPair().publicKeyPem },
    identity: fullIdentity(),
    ttlMs,
    maxTtlMs: 8 * HOUR,
    ...(now ? { now } : {}),
  });
}

async function issueHost(authorities: Awaited<ReturnType<typeof openAuthorities>>) {
  return authorities.host.issueHostCertificate({
    publicKey: { spki: userKeyPair().publicKeyPem },
    host: { hostId: 'proxy-7', role: 'proxy', clusterName: 'root.example.com' },
    dnsNames: ['proxy.example.com', 'localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    ttlMs: HOUR,
  });
}

describe.each<CaKeyAlgorithm>(['ecdsa-p256', 'ed25519', 'rsa-2048'])('a %s CA', (algorithm) => {
  // One CA pair per algorithm: RSA key generation is slow on a loaded 2-core machine.
  let authorities: Awaited<ReturnType<typeof openAuthorities>>;
  beforeAll(async () => {
    authorities = await openAuthorities({ algorithm });
  });

  it('issues user certificates that node:crypto and `openssl verify -x509_strict` accept', async () => {
    const issued = await issueUser(authorities);
    const ca = new X509Certificate(authorities.user.trustBundlePem());
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    const result = await opensslVerify(dir, authorities.user.trustBundlePem(), issued.certificatePem, [
      '-x509_strict',
      '-purpose',
      'sslclient',
    ]);
    expect(result.output).toContain(': OK');
    expect(result.ok).toBe(true);
  });

  it('issues host certificates valid for TLS server and client use with their SANs', async () => {
    const issued = await issueHost(authorities);
    for (const purpose of ['sslserver', 'sslclient']) {
      const result = await opensslVerify(dir, authorities.host.trustBundlePem(), issued.certificatePem, [
        '-x509_strict',
        '-purpose',
        purpose,
      ]);
      expect(result.ok, result.output).toBe(true);
    }
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.subjectAltName).toBe(
      'DNS:proxy.example.com, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(cert.checkHost('proxy.example.com')).toBe('proxy.example.com');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(authorities.host.decodeHostIdentity(issued.certificatePem).host).toEqual({
      hostId: 'proxy-7',
      role: 'proxy',
      clusterName: 'root.example.com',
    });
  });
});

describe('verification refuses', () => {
  it('a certificate from a foreign CA (openssl refuses it too)', async () => {
    const ours = await openAuthorities();
    const foreign = await openAuthorities();
    const issued = await issueUser(foreign);
    await expectCode(() => ours.user.decodeUserIdentity(issued.certificatePem), 'RMT_CA_CERT_UNTRUSTED');
    const result = await opensslVerify(dir, ours.user.trustBundlePem(), issued.certificatePem);
    expect(result.ok).toBe(false);
  });

  it('an expired certificate, and one not yet valid', async () => {
    const start = new Date(Date.now() - 3 * HOUR);
    const authorities = await openAuthorities({ clock: () => start });
    const issued = await issueUser(authorities, start, HOUR);
    const bundle = TrustBundle.from('user', [authorities.user.trustBundlePem()]);
    await expectCode(
      () => decodeUserIdentity(issued.certificatePem, { trustedBundle: bundle }),
      'RMT_CA_CERT_EXPIRED',
    );
    await expectCode(
      () =>
        decodeUserIdentity(issued.certificatePem, {
          trustedBundle: bundle,
          now: new Date(issued.notBefore.getTime() - 1000),
        }),
      'RMT_CA_CERT_NOT_YET_VALID',
    );
    expect((await opensslVerify(dir, bundle.toPem(), issued.certificatePem)).output).toMatch(/expired/);
    // Inside the window it is fine.
    expect(
      decodeUserIdentity(issued.certificatePem, { trustedBundle: bundle, now: start }).identity.username,
    ).toBe('alice@example.com');
  });

  it('a certificate whose identity extension was tampered with (openssl refuses it too)', async () => {
    const authorities = await openAuthorities();
    const issued = await issueUser(authorities);
    const der = Buffer.from(issued.certificateDer);
    // The username appears in the subject CN and again inside the identity extension: change the latter.
    const needle = Buffer.from('alice@example.com');
    const inExtension = der.indexOf(needle, der.indexOf(needle) + 1);
    expect(inExtension).toBeGreaterThan(0);
    der[inExtension] = 'm'.charCodeAt(0);
    await expectCode(() => authorities.user.decodeUserIdentity(der), 'RMT_CA_CERT_UNTRUSTED');
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    expect((await opensslVerify(dir, authorities.user.trustBundlePem(), pem)).ok).toBe(false);
  });

  it('a host certificate offered as a user certificate, and the reverse', async () => {
    const authorities = await openAuthorities();
    const host = await issueHost(authorities);
    const user = await issueUser(authorities);
    await expectCode(() => authorities.user.decodeUserIdentity(host.certificatePem), 'RMT_CA_CERT_UNTRUSTED');
    await expectCode(() => authorities.host.decodeHostIdentity(user.certificatePem), 'RMT_CA_CERT_UNTRUSTED');
    // Decoding a user certificate against the host bundle (or the reverse) is refused outright.
    await expectCode(() => authorities.host.decodeUserIdentity(user.certificatePem), 'RMT_CA_KIND_MISMATCH');
    await expectCode(() => authorities.user.decodeHostIdentity(host.certificatePem), 'RMT_CA_KIND_MISMATCH');
    // And openssl agrees: neither chains to the other kind's bundle.
    expect((await opensslVerify(dir, authorities.user.trustBundlePem(), host.certificatePem)).ok).toBe(false);
    expect((await opensslVerify(dir, authorities.host.trustBundlePem(), user.certificatePem)).ok).toBe(false);
  });

  it('a user bundle that holds a host CA', async () => {
    const authorities = await openAuthorities();
    await expectCode(
      () => TrustBundle.from('user', [authorities.host.trustBundlePem()]),
      'RMT_CA_BUNDLE_INVALID',
    );
    await expectCode(() => TrustBundle.from('user', ['no pem here']), 'RMT_CA_BUNDLE_INVALID');
    const leaf = await issueUser(authorities);
    await expectCode(() => TrustBundle.from('user', [leaf.certificatePem]), 'RMT_CA_BUNDLE_INVALID');
  });

  it('the CA certificate itself offered as a user certificate', async () => {
    const authorities = await openAuthorities();
    await expectCode(
      () => authorities.user.decodeUserIdentity(authorities.user.trustBundlePem()),
      'RMT_CA_CERT_WRONG_USAGE',
    );
  });

  it('input that is not a certificate', async () => {
    const authorities = await openAuthorities();
    await expectCode(() => authorities.user.decodeUserIdentity('garbage'), 'RMT_CA_CERT_MALFORMED');
    await expectCode(
      () => authorities.user.decodeUserIdentity(new Uint8Array([0x30, 0x03, 1, 2, 3])),
      'RMT_CA_CERT_MALFORMED',
    );
  });
});

describe('X509IdentityDecoder (a Proxy holding bundles only)', () => {
  it('decodes user and host certificates with the bundle of each kind', async () => {
    const authorities = await openAuthorities();
    const decoder = new X509IdentityDecoder({
      userBundle: TrustBundle.from('user', [authorities.user.trustBundlePem()]),
      hostBundle: TrustBundle.from('host', [authorities.host.trustBundlePem()]),
    });
    const user = await issueUser(authorities);
    const host = await issueHost(authorities);
    expect(decoder.decodeUserCertificate(user.certificatePem).identity.username).toBe('alice@example.com');
    expect(decoder.decodeHostCertificate(host.certificatePem).host.role).toBe('proxy');
    await expectCode(() => decoder.decodeUserCertificate(host.certificatePem), 'RMT_CA_CERT_UNTRUSTED');
    const userOnly = new X509IdentityDecoder({
      userBundle: TrustBundle.from('user', [authorities.user.trustBundlePem()]),
    });
    await expectCode(() => userOnly.decodeHostCertificate(host.certificatePem), 'RMT_CA_KIND_MISMATCH');
  });

  it('follows a bundle given as a function at every decode, and still refuses a bundle of the wrong kind', async () => {
    const before = await openAuthorities();
    const after = await openAuthorities();
    let current = TrustBundle.from('user', [before.user.trustBundlePem()]);
    const decoder = new X509IdentityDecoder({ userBundle: () => current });
    const fromAfter = await issueUser(after);
    await expectCode(() => decoder.decodeUserCertificate(fromAfter.certificatePem), 'RMT_CA_CERT_UNTRUSTED');
    // The CA the bundle comes from rotated (here: another CA took over): no new decoder needed.
    current = TrustBundle.from('user', [after.user.trustBundlePem()]);
    expect(decoder.decodeUserCertificate(fromAfter.certificatePem).identity.username).toBe(
      'alice@example.com',
    );
    current = TrustBundle.from('host', [after.host.trustBundlePem()]);
    await expectCode(() => decoder.decodeUserCertificate(fromAfter.certificatePem), 'RMT_CA_KIND_MISMATCH');
  });

  it('exports each CA as PEM with a sha256 fingerprint for pinning', async () => {
    const { user } = await openAuthorities();
    const [info] = user.trustedCas();
    const der = new X509Certificate(info!.certificatePem).raw;
    const { createHash } = await import('node:crypto');
    expect(info!.fingerprint).toBe(`sha256:${createHash('sha256').update(der).digest('hex')}`);
    expect(user.fingerprints()).toEqual([info!.fingerprint]);
    expect(info!.id).toMatch(/^user-[0-9a-f]{16}$/);
  });
});
