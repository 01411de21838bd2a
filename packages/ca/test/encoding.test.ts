import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import type { Identity } from '@remoteler/core';
import { describe, expect, it } from 'vitest';
import { oid, time } from '../src/der.js';
import {
  decodeIdentityV1,
  encodeIdentity,
  encodeIdentityWithSchema,
  peekIdentityVersion,
} from '../src/identity-extension.js';
import { assertGoCompatibleOid } from '../src/oids.js';
import { isValidP256Spki } from '../src/p256-spki.js';
import { parseCertificate } from '../src/parsed-certificate.js';
import {
  execFileAsync,
  expectCode,
  fullIdentity,
  HOUR,
  openAuthorities,
  opensslVerify,
  tempDir,
} from './helpers.js';

const identities: Identity[] = [
  fullIdentity(),
  fullIdentity({ username: 'Zoë 山田 🚀', traits: {}, mfaVerified: false, userType: 'local' }),
  {
    username: 'x',
    roles: ['r'],
    traits: { b: [], a: ['1', '2'], ü: ['ß'.repeat(300)] },
    userType: 'local',
    mfaVerified: false,
    kubernetesUsers: [],
    kubernetesGroups: Array.from({ length: 500 }, (_, i) => `g${i}`),
    sessionId: 's',
  },
];

describe('identity extension encoding', () => {
  it('writes exactly the bytes the @peculiar/asn1-schema definition writes', () => {
    for (const identity of identities)
      expect(Buffer.from(encodeIdentity(identity)).toString('hex')).toBe(
        Buffer.from(encodeIdentityWithSchema(identity)).toString('hex'),
      );
  });

  it('decodes what it encodes, and reads the version before anything else', () => {
    for (const identity of identities) {
      const der = encodeIdentity(identity);
      expect(peekIdentityVersion(der)).toBe(1);
      expect(decodeIdentityV1(der)).toEqual(identity);
    }
    expect(peekIdentityVersion(Uint8Array.of(0x04, 0x00))).toBeUndefined();
  });
});

describe('DER details Go and OpenSSL insist on', () => {
  it('encodes times as UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    expect(Buffer.from(time(new Date('2049-12-31T23:59:59Z'))).toString()).toContain('491231235959Z');
    expect(time(new Date('2049-12-31T23:59:59Z'))[0]).toBe(0x17);
    expect(time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(0x18);
    expect(Buffer.from(time(new Date('2050-01-01T00:00:00Z'))).toString()).toContain('20500101000000Z');
  });

  it('encodes OIDs with multi-byte arcs', () => {
    expect(Buffer.from(oid('1.3.9999.7.1')).toString('hex')).toBe('06052bce0f0701');
    expect(Buffer.from(oid('1.2.840.10045.4.3.2')).toString('hex')).toBe('06082a8648ce3d040302');
  });

  it('accepts only OIDs whose arcs are below 2^31', () => {
    expect(() => assertGoCompatibleOid('1.3.9999.7.1')).not.toThrow();
    expect(() => assertGoCompatibleOid('1.3.6.1.4.1.2147483647.1')).not.toThrow();
    expect(() => assertGoCompatibleOid('1.3.6.1.4.1.2147483648.1')).toThrow(TypeError);
    expect(() => assertGoCompatibleOid('2.25.329800735698586629295641978511506172918')).toThrow(TypeError);
  });

  it('issues certificates valid until after 2050 that still verify', async () => {
    const { user } = await openAuthorities({ clock: () => new Date('2049-12-31T19:00:00Z') });
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const issued = await user.issueUserCertificate({
      publicKey: { spki: publicKey.export({ type: 'spki', format: 'pem' }) as string },
      identity: fullIdentity(),
      ttlMs: 8 * HOUR,
      maxTtlMs: 8 * HOUR,
      now: new Date('2049-12-31T20:00:00Z'),
    });
    expect(issued.notAfter.toISOString()).toBe('2050-01-01T04:00:00.000Z');
    const decoded = user.decodeUserIdentity(issued.certificatePem, { now: new Date('2050-01-01T01:00:00Z') });
    expect(decoded.identity.notAfter).toEqual(issued.notAfter);
    const { dir, cleanup } = await tempDir();
    const attime = String(Date.parse('2050-01-01T01:00:00Z') / 1000);
    const result = await opensslVerify(dir, user.trustBundlePem(), issued.certificatePem, [
      '-attime',
      attime,
    ]);
    await cleanup();
    expect(result.ok, result.output).toBe(true);
  });
});

describe('P-256 public key fast path', () => {
  it('accepts real P-256 keys', () => {
    for (let i = 0; i < 20; i++) {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      expect(isValidP256Spki(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })))).toBe(true);
    }
  });

  it('refuses a point off the curve, and the general path refuses it too', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const der = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    der[der.length - 1]! ^= 0x01;
    expect(isValidP256Spki(der)).toBe(false);
    const { user } = await openAuthorities();
    await expectCode(
      () =>
        user.issueUserCertificate({
          publicKey: { spki: der },
          identity: fullIdentity(),
          ttlMs: HOUR,
          maxTtlMs: HOUR,
        }),
      'RMT_CA_PUBLIC_KEY_MALFORMED',
    );
  });

  it('leaves other shapes (compressed points, other curves) to the general path', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(isValidP256Spki(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })))).toBe(false);
  });
});

describe('certificate field parsing', () => {
  it('reads the same subject, extensions, validity and serial as @peculiar/asn1-x509', async () => {
    const { user, host } = await openAuthorities();
    const { dir, cleanup } = await tempDir();
    // An OpenSSL-made certificate: PrintableString country, a multi-valued RDN, a GeneralizedTime.
    await execFileAsync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/C=DE/O=Ümlaut GmbH/CN=web+UID=42',
      '-days',
      '20000',
      '-keyout',
      `${dir}/k.pem`,
      '-out',
      `${dir}/c.pem`,
    ]);
    const samples = [
      (
        await user.issueUserCertificate({
          publicKey: {
            spki: generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string,
          },
          identity: fullIdentity({ username: 'Zoë 山田' }),
          ttlMs: HOUR,
          maxTtlMs: HOUR,
        })
      ).certificatePem,
      (
        await host.issueHostCertificate({
          publicKey: {
            spki: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
              type: 'spki',
              format: 'pem',
            }) as string,
          },
          host: { hostId: 'h', role: 'agent', clusterName: 'c' },
          dnsNames: ['a.example'],
          ttlMs: HOUR,
        })
      ).certificatePem,
      user.trustBundlePem(),
      await readFile(`${dir}/c.pem`, 'utf8'),
    ];
    await cleanup();
    for (const pem of samples) {
      const ours = parseCertificate(pem);
      const theirs = AsnConvert.parse(ours.der, Certificate).tbsCertificate;
      expect(ours.subject).toEqual(
        theirs.subject.flatMap((rdn) => rdn.map((a) => ({ oid: a.type, value: a.value.toString() }))),
      );
      expect(ours.extensions).toEqual(
        (theirs.extensions ?? []).map((e) => ({
          oid: e.extnID,
          critical: e.critical,
          value: new Uint8Array(e.extnValue.buffer, e.extnValue.byteOffset, e.extnValue.byteLength),
        })),
      );
      expect(ours.notBefore).toEqual(theirs.validity.notBefore.getTime());
      expect(ours.notAfter).toEqual(theirs.validity.notAfter.getTime());
      expect(ours.serialNumber).toBe(Buffer.from(theirs.serialNumber).toString('hex'));
    }
  });
});
