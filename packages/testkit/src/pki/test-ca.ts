import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { RemotelerError } from '@remoteler/core';
import {
  bitString,
  boolean,
  type Der,
  explicit,
  implicit,
  namedBits,
  octetString,
  oid,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';

/** A PEM certificate and its PEM private key. */
export interface CertificateAndKey {
  /** PEM `CERTIFICATE`. */
  readonly certPem: string;
  /** PEM `PRIVATE KEY` (PKCS#8, ECDSA P-256). Test material: never reuse it outside tests. */
  readonly keyPem: string;
}

/** What to put in a certificate issued by {@link TestCertificateAuthority.issue}. */
export interface IssueOptions {
  /** Subject CN: the Kubernetes user name for client certificates. */
  readonly commonName: string;
  /** Subject O values: Kubernetes groups for client certificates. Default none. */
  readonly organizations?: readonly string[];
  /** `server` adds serverAuth and the SANs; `client` adds clientAuth. */
  readonly usage: 'server' | 'client';
  /** Subject alternative names for server certificates. Default `IP:127.0.0.1, DNS:localhost`. */
  readonly subjectAltNames?: readonly string[];
  /** Lifetime in days. Default 1. */
  readonly days?: number;
}

/** A throwaway certificate authority for tests. */
export interface TestCertificateAuthority extends CertificateAndKey {
  /** Issues a certificate signed by this authority for a fresh ECDSA P-256 key. */
  issue(options: IssueOptions): Promise<CertificateAndKey>;
}

// RFC 5280 / RFC 5480 / RFC 5758 object identifiers.
const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

// keyUsage bit numbers (RFC 5280 §4.2.1.3).
const DIGITAL_SIGNATURE = 0;
const KEY_CERT_SIGN = 5;
const CRL_SIGN = 6;

function name(commonName: string, organizations: readonly string[] = []): Der {
  // One attribute per RDN; Kubernetes reads CN as the user and every O as a group.
  return sequence(
    ...organizations.map((o) => set(sequence(oid(OID.organization), utf8String(o)))),
    set(sequence(oid(OID.commonName), utf8String(commonName))),
  );
}

function extension(id: string, critical: boolean, value: Der): Der {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

function ipBytes(text: string): Buffer {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  if (!isIPv6(text)) throw new RemotelerError('RMT_TESTKIT_OPTIONS_INVALID', `not an IP address: ${text}`);
  const [head = '', tail = ''] = text.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = [
    ...groups(head),
    ...Array<string>(text.includes('::') ? missing : 0).fill('0'),
    ...groups(tail),
  ];
  return Buffer.from(all.flatMap((g) => [Number.parseInt(g, 16) >> 8, Number.parseInt(g, 16) & 0xff]));
}

function subjectAltName(entries: readonly string[]): Der {
  return sequence(
    ...entries.map((entry) => {
      const [kind, value = ''] = entry.split(/:(.*)/s);
      if (kind === 'IP') return implicit(7, ipBytes(value));
      if (kind === 'DNS') return implicit(2, Buffer.from(value, 'ascii'));
      throw new RemotelerError(
        'RMT_TESTKIT_OPTIONS_INVALID',
        `subject alternative names must start with IP: or DNS:, got "${entry}"`,
      );
    }),
  );
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

interface KeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  readonly spki: Buffer;
  readonly keyId: Buffer;
}

function newKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // RFC 5280 §4.2.1.2 allows any unique identifier; a hash of the whole SPKI is one.
  return { publicKey, privateKey, spki, keyId: createHash('sha1').update(spki).digest() };
}

function serialNumber(): Der {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive and never zero (RFC 5280 §4.1.2.2)
  return unsignedInteger(bytes);
}

function certificate(options: {
  subject: Der;
  issuer: Der;
  subjectKey: KeyPair;
  signingKey: KeyObject;
  days: number;
  extensions: Der[];
}): Buffer {
  const now = Date.now();
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    serialNumber(),
    algorithm,
    options.issuer,
    // One minute of slack for clock skew between test processes.
    sequence(time(new Date(now - 60_000)), time(new Date(now + options.days * 86_400_000))),
    options.subject,
    options.subjectKey.spki,
    explicit(3, sequence(...options.extensions)),
  );
  const signature = sign('sha256', tbs, options.signingKey);
  return sequence(tbs, algorithm, bitString(signature));
}

/**
 * Creates a test CA with a fresh ECDSA P-256 key, in-process with node:crypto (no openssl, a few
 * milliseconds). Certificates it issues are accepted by Go (kubectl) and Node TLS.
 *
 * @param commonName - the CA subject CN. Default `remoteler-testkit-ca`.
 */
export async function createTestCertificateAuthority(
  commonName = 'remoteler-testkit-ca',
): Promise<TestCertificateAuthority> {
  const caKey = newKeyPair();
  const caName = name(commonName);
  const caDer = certificate({
    subject: caName,
    issuer: caName,
    subjectKey: caKey,
    signingKey: caKey.privateKey,
    days: 2,
    extensions: [
      extension(OID.basicConstraints, true, sequence(boolean(true))),
      extension(OID.keyUsage, true, namedBits([DIGITAL_SIGNATURE, KEY_CERT_SIGN, CRL_SIGN])),
      extension(OID.subjectKeyIdentifier, false, octetString(caKey.keyId)),
    ],
  });

  const issue = async (options: IssueOptions): Promise<CertificateAndKey> => {
    const key = newKeyPair();
    const server = options.usage === 'server';
    const der = certificate({
      subject: name(options.commonName, options.organizations),
      issuer: caName,
      subjectKey: key,
      signingKey: caKey.privateKey,
      days: options.days ?? 1,
      extensions: [
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.keyUsage, true, namedBits([DIGITAL_SIGNATURE])),
        extension(OID.extKeyUsage, false, sequence(oid(server ? OID.serverAuth : OID.clientAuth))),
        extension(OID.subjectKeyIdentifier, false, octetString(key.keyId)),
        extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, caKey.keyId))),
        ...(server
          ? [
              extension(
                OID.subjectAltName,
                false,
                subjectAltName(options.subjectAltNames ?? ['IP:127.0.0.1', 'DNS:localhost']),
              ),
            ]
          : []),
      ],
    });
    return {
      certPem: pem('CERTIFICATE', der),
      keyPem: String(key.privateKey.export({ type: 'pkcs8', format: 'pem' })),
    };
  };

  return {
    certPem: pem('CERTIFICATE', caDer),
    keyPem: String(caKey.privateKey.export({ type: 'pkcs8', format: 'pem' })),
    issue,
  };
}
