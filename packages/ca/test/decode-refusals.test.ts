import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { CaKeyRecord, Identity } from '@remoteler/core';
import { describe, expect, it } from 'vitest';
import {
  CertificateBuilder,
  encodeBasicConstraints,
  encodeExtendedKeyUsage,
  encodeExtension,
  encodeKeyUsage,
  encodeName,
  KEY_USAGE,
  userSubject,
} from '../src/certificate-builder.js';
import { encodeHostExtension } from '../src/host-extension.js';
import { encodeIdentity, IdentityAsn } from '../src/identity-extension.js';
import {
  DEFAULT_HOST_EXTENSION_OID,
  DEFAULT_IDENTITY_EXTENSION_OID,
  decodeUserIdentity,
  TrustBundle,
} from '../src/index.js';
import { createCaSigner, keyIdentifier } from '../src/key-algorithms.js';
import { subjectNameDer } from '../src/parsed-certificate.js';
import { expectCode, fullIdentity, HOUR, openAuthorities } from './helpers.js';

// These certificates are signed by the real user CA key, so they pass the chain check: each test
// shows that the decoder refuses a specific defect on its own, not because the signature fails.

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

async function craftingKit() {
  const authorities = await openAuthorities();
  const set = await authorities.store.load('user');
  const record = set!.keys[0] as CaKeyRecord;
  const caDer = new Uint8Array(new X509Certificate(record.certificatePem).raw);
  const caSpki = new Uint8Array(
    new X509Certificate(record.certificatePem).publicKey.export({ type: 'spki', format: 'der' }),
  );
  const builder = new CertificateBuilder({
    signer: createCaSigner(record.algorithm, createPrivateKey(record.privateKeyPem)),
    issuerNameDer: subjectNameDer(caDer),
    authorityKeyId: keyIdentifier(caSpki),
  });
  const leafSpki = new Uint8Array(
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }),
  );
  const now = Date.now();
  const standard = [
    encodeExtension('2.5.29.19', true, encodeBasicConstraints(false)),
    encodeExtension('2.5.29.15', true, encodeKeyUsage([KEY_USAGE.digitalSignature])),
    encodeExtension('2.5.29.37', false, encodeExtendedKeyUsage([CLIENT_AUTH])),
    builder.authorityKeyIdentifierExtension,
  ];
  /** Signs a leaf with the real CA key; every part can be overridden. */
  const craft = (
    options: {
      identity?: Identity;
      subject?: Uint8Array;
      extensions?: Uint8Array[];
      staticExtensions?: Uint8Array[];
    } = {},
  ) => {
    const identity = options.identity ?? fullIdentity();
    return builder.build(
      {
        subjectNameDer:
          options.subject ?? encodeName(userSubject(identity.username, identity.roles, 'usage:kube')),
        spkiDer: leafSpki,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + HOUR),
        extensions: options.extensions ?? [
          encodeExtension(DEFAULT_IDENTITY_EXTENSION_OID, false, encodeIdentity(identity)),
        ],
      },
      options.staticExtensions ?? standard,
    ).der;
  };
  const bundle = TrustBundle.from('user', [authorities.user.trustBundlePem()]);
  const decode = (der: Uint8Array) => decodeUserIdentity(der, { trustedBundle: bundle });
  return { craft, decode, authorities };
}

function identityWithVersion(version: number, identity: Identity = fullIdentity()): Uint8Array {
  const asn = AsnConvert.parse(encodeIdentity(identity), IdentityAsn);
  asn.version = version;
  return new Uint8Array(AsnConvert.serialize(asn));
}

describe('decoding a certificate signed by the trusted user CA refuses', () => {
  it('nothing when the certificate is well formed (control case)', async () => {
    const { craft, decode } = await craftingKit();
    expect(decode(craft()).identity.username).toBe('alice@example.com');
  });

  it('an unknown identity version', async () => {
    const { craft, decode } = await craftingKit();
    const der = craft({
      extensions: [encodeExtension(DEFAULT_IDENTITY_EXTENSION_OID, false, identityWithVersion(2))],
    });
    const error = await expectCode(() => decode(der), 'RMT_CA_IDENTITY_VERSION_UNSUPPORTED');
    expect(error.details).toMatchObject({ version: 2 });
  });

  it('a missing username', async () => {
    const { craft, decode } = await craftingKit();
    const identity = fullIdentity({ username: '' });
    await expectCode(() => decode(craft({ identity })), 'RMT_CA_IDENTITY_INCOMPLETE');
  });

  it('missing roles', async () => {
    const { craft, decode } = await craftingKit();
    await expectCode(
      () => decode(craft({ identity: fullIdentity({ roles: [] }) })),
      'RMT_CA_IDENTITY_INCOMPLETE',
    );
  });

  it('a wrong OU=usage marking, or none', async () => {
    const { craft, decode } = await craftingKit();
    const identity = fullIdentity();
    const wrong = encodeName(userSubject(identity.username, identity.roles, 'usage:host'));
    await expectCode(() => decode(craft({ subject: wrong })), 'RMT_CA_CERT_WRONG_USAGE');
    const none = encodeName([{ oid: '2.5.4.3', value: identity.username }]);
    await expectCode(() => decode(craft({ subject: none })), 'RMT_CA_CERT_WRONG_USAGE');
  });

  it('a certificate without the clientAuth purpose', async () => {
    const { craft, decode } = await craftingKit();
    const serverOnly = [
      encodeExtension('2.5.29.19', true, encodeBasicConstraints(false)),
      encodeExtension('2.5.29.37', false, encodeExtendedKeyUsage(['1.3.6.1.5.5.7.3.1'])),
    ];
    await expectCode(() => decode(craft({ staticExtensions: serverOnly })), 'RMT_CA_CERT_WRONG_USAGE');
  });

  it('a certificate that also carries a host identity', async () => {
    const { craft, decode } = await craftingKit();
    const extensions = [
      encodeExtension(DEFAULT_IDENTITY_EXTENSION_OID, false, encodeIdentity(fullIdentity())),
      encodeExtension(
        DEFAULT_HOST_EXTENSION_OID,
        false,
        encodeHostExtension({ hostId: 'h', role: 'proxy', clusterName: 'root.example.com' }),
      ),
    ];
    await expectCode(() => decode(craft({ extensions })), 'RMT_CA_CERT_WRONG_USAGE');
  });

  it('a duplicated identity extension', async () => {
    const { craft, decode } = await craftingKit();
    const extension = encodeExtension(DEFAULT_IDENTITY_EXTENSION_OID, false, encodeIdentity(fullIdentity()));
    await expectCode(
      () => decode(craft({ extensions: [extension, extension] })),
      'RMT_CA_IDENTITY_DUPLICATED',
    );
  });

  it('a critical identity extension', async () => {
    const { craft, decode } = await craftingKit();
    const extension = encodeExtension(DEFAULT_IDENTITY_EXTENSION_OID, true, encodeIdentity(fullIdentity()));
    await expectCode(() => decode(craft({ extensions: [extension] })), 'RMT_CA_IDENTITY_CRITICAL');
  });

  it('a missing identity extension', async () => {
    const { craft, decode } = await craftingKit();
    await expectCode(() => decode(craft({ extensions: [] })), 'RMT_CA_IDENTITY_MISSING');
  });

  it('an identity extension that is not the expected ASN.1', async () => {
    const { craft, decode } = await craftingKit();
    const garbage = encodeExtension(DEFAULT_IDENTITY_EXTENSION_OID, false, Uint8Array.of(0x04, 0x01, 0x00));
    await expectCode(() => decode(craft({ extensions: [garbage] })), 'RMT_CA_IDENTITY_MALFORMED');
    // Version 1 header followed by the wrong fields.
    const wrongBody = encodeExtension(
      DEFAULT_IDENTITY_EXTENSION_OID,
      false,
      Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x05),
    );
    await expectCode(() => decode(craft({ extensions: [wrongBody] })), 'RMT_CA_IDENTITY_MALFORMED');
  });

  it('a subject that disagrees with the identity extension', async () => {
    const { craft, decode } = await craftingKit();
    const identity = fullIdentity();
    const otherName = encodeName(userSubject('mallory', identity.roles, 'usage:kube'));
    await expectCode(() => decode(craft({ subject: otherName })), 'RMT_CA_IDENTITY_INCONSISTENT');
    const moreRoles = encodeName(userSubject(identity.username, [...identity.roles, 'admin'], 'usage:kube'));
    await expectCode(() => decode(craft({ subject: moreRoles })), 'RMT_CA_IDENTITY_INCONSISTENT');
  });

  it('a certificate signed by another key under our CA name (a forged issuer)', async () => {
    const { craft: _ours, authorities } = await craftingKit();
    const caName = subjectNameDer(new Uint8Array(new X509Certificate(authorities.user.trustBundlePem()).raw));
    const forger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const forgerSpki = new Uint8Array(forger.publicKey.export({ type: 'spki', format: 'der' }));
    const builder = new CertificateBuilder({
      signer: createCaSigner('ecdsa-p256', forger.privateKey),
      issuerNameDer: caName,
      authorityKeyId: keyIdentifier(forgerSpki),
    });
    const identity = fullIdentity();
    const der = builder.build(
      {
        subjectNameDer: encodeName(userSubject(identity.username, identity.roles, 'usage:kube')),
        spkiDer: forgerSpki,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + HOUR),
        extensions: [encodeExtension(DEFAULT_IDENTITY_EXTENSION_OID, false, encodeIdentity(identity))],
      },
      [encodeExtension('2.5.29.37', false, encodeExtendedKeyUsage([CLIENT_AUTH]))],
    ).der;
    await expectCode(() => authorities.user.decodeUserIdentity(der), 'RMT_CA_CERT_UNTRUSTED');
  });
});

async function hostKit() {
  const authorities = await openAuthorities();
  const record = (await authorities.store.load('host'))!.keys[0] as CaKeyRecord;
  const caCertificate = new X509Certificate(record.certificatePem);
  const builder = new CertificateBuilder({
    signer: createCaSigner(record.algorithm, createPrivateKey(record.privateKeyPem)),
    issuerNameDer: subjectNameDer(new Uint8Array(caCertificate.raw)),
    authorityKeyId: keyIdentifier(
      new Uint8Array(caCertificate.publicKey.export({ type: 'spki', format: 'der' })),
    ),
  });
  const spki = new Uint8Array(
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }),
  );
  const host = { hostId: 'proxy-1', role: 'proxy' as const, clusterName: 'root.example.com' };
  const hostExtension = encodeExtension(DEFAULT_HOST_EXTENSION_OID, false, encodeHostExtension(host));
  const craft = (
    options: { ou?: string; cn?: string; purposes?: string[]; extensions?: Uint8Array[] } = {},
  ): Uint8Array =>
    builder.build(
      {
        subjectNameDer: encodeName([
          { oid: '2.5.4.10', value: 'root.example.com' },
          { oid: '2.5.4.11', value: options.ou ?? 'usage:host' },
          { oid: '2.5.4.3', value: options.cn ?? host.hostId },
        ]),
        spkiDer: spki,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + HOUR),
        extensions: options.extensions ?? [hostExtension],
      },
      [
        encodeExtension('2.5.29.19', true, encodeBasicConstraints(false)),
        encodeExtension(
          '2.5.29.37',
          false,
          encodeExtendedKeyUsage(options.purposes ?? ['1.3.6.1.5.5.7.3.1', CLIENT_AUTH]),
        ),
        builder.authorityKeyIdentifierExtension,
      ],
    ).der;
  return { craft, decode: (der: Uint8Array) => authorities.host.decodeHostIdentity(der), hostExtension };
}

describe('decoding a certificate signed by the trusted host CA refuses', () => {
  it('nothing when the certificate is well formed (control case)', async () => {
    const { craft, decode } = await hostKit();
    expect(decode(craft()).host).toEqual({
      hostId: 'proxy-1',
      role: 'proxy',
      clusterName: 'root.example.com',
    });
  });

  it('a user marking, a missing purpose, or a user identity beside the host one', async () => {
    const { craft, decode, hostExtension } = await hostKit();
    await expectCode(() => decode(craft({ ou: 'usage:kube' })), 'RMT_CA_CERT_WRONG_USAGE');
    await expectCode(() => decode(craft({ purposes: [CLIENT_AUTH] })), 'RMT_CA_CERT_WRONG_USAGE');
    const userExtension = encodeExtension(
      DEFAULT_IDENTITY_EXTENSION_OID,
      false,
      encodeIdentity(fullIdentity()),
    );
    await expectCode(
      () => decode(craft({ extensions: [hostExtension, userExtension] })),
      'RMT_CA_CERT_WRONG_USAGE',
    );
  });

  it('a missing, duplicated, critical or inconsistent host extension', async () => {
    const { craft, decode, hostExtension } = await hostKit();
    await expectCode(() => decode(craft({ extensions: [] })), 'RMT_CA_IDENTITY_MISSING');
    await expectCode(
      () => decode(craft({ extensions: [hostExtension, hostExtension] })),
      'RMT_CA_IDENTITY_DUPLICATED',
    );
    const critical = encodeExtension(
      DEFAULT_HOST_EXTENSION_OID,
      true,
      encodeHostExtension({ hostId: 'proxy-1', role: 'proxy', clusterName: 'root.example.com' }),
    );
    await expectCode(() => decode(craft({ extensions: [critical] })), 'RMT_CA_IDENTITY_CRITICAL');
    await expectCode(() => decode(craft({ cn: 'proxy-2' })), 'RMT_CA_IDENTITY_INCONSISTENT');
    const garbage = encodeExtension(DEFAULT_HOST_EXTENSION_OID, false, Uint8Array.of(0x30, 0x00));
    await expectCode(() => decode(craft({ extensions: [garbage] })), 'RMT_CA_IDENTITY_MALFORMED');
  });
});
