import type {
  CertificateDecodeOptions,
  CertificateIdentityDecoder,
  DecodedHostCertificate,
  DecodedUserCertificate,
  ErrorCode,
} from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import { decodeHostExtension, HOST_IDENTITY_VERSION } from './host-extension.js';
import { decodeIdentityV1, IDENTITY_VERSION, peekIdentityVersion } from './identity-extension.js';
import {
  DEFAULT_HOST_EXTENSION_OID,
  DEFAULT_IDENTITY_EXTENSION_OID,
  HOST_USAGE,
  OID_COMMON_NAME,
  OID_KP_CLIENT_AUTH,
  OID_KP_SERVER_AUTH,
  OID_ORGANIZATION,
  OID_ORGANIZATIONAL_UNIT,
  USER_USAGE_KUBE,
} from './oids.js';
import {
  type CertificateInput,
  type ParsedCertificate,
  parseCertificate,
  subjectValues,
} from './parsed-certificate.js';
import type { TrustBundle, TrustedCa } from './trust-bundle.js';

/** Options for {@link decodeUserIdentity} and {@link decodeHostIdentity}. */
export interface DecodeCertificateOptions extends CertificateDecodeOptions {
  /** The CAs to verify against; must be of the kind being decoded. */
  readonly trustedBundle: TrustBundle;
  /** OID of the user identity extension. Default `1.3.9999.7.1`. */
  readonly identityExtensionOid?: string;
  /** OID of the host identity extension. Default `1.3.9999.7.2`. */
  readonly hostExtensionOid?: string;
}

function fail(code: ErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new RemotelerError(code, message, details ? { details } : {});
}

function assertBundleKind(bundle: TrustBundle, kind: 'user' | 'host'): void {
  if (bundle?.kind !== kind)
    fail('RMT_CA_KIND_MISMATCH', `a ${kind} certificate must be verified against the ${kind} CA bundle`, {
      expected: kind,
      given: bundle?.kind,
    });
}

/**
 * Chain and validity: the signer must be one of the bundle's CAs (name, AKI and signature checked
 * by OpenSSL through node:crypto), and both the certificate and that CA must be valid at `now`.
 */
function verifyChain(certificate: ParsedCertificate, bundle: TrustBundle, now: Date): TrustedCa {
  const leaf = certificate.node;
  const signer = bundle.authorities.find(
    (ca) => leaf.checkIssued(ca.certificate.node) && leaf.verify(ca.certificate.node.publicKey),
  );
  if (!signer)
    fail(
      'RMT_CA_CERT_UNTRUSTED',
      `the certificate was not signed by any CA of the ${bundle.kind} trust bundle`,
    );
  for (const [what, subject] of [
    ['certificate', certificate],
    ['signing CA', signer.certificate],
  ] as const) {
    if (now.getTime() < subject.notBefore.getTime())
      fail(
        'RMT_CA_CERT_NOT_YET_VALID',
        `the ${what} is not valid before ${subject.notBefore.toISOString()}`,
        {
          notBefore: subject.notBefore.toISOString(),
        },
      );
    if (now.getTime() > subject.notAfter.getTime())
      fail('RMT_CA_CERT_EXPIRED', `the ${what} expired at ${subject.notAfter.toISOString()}`, {
        notAfter: subject.notAfter.toISOString(),
      });
  }
  return signer;
}

/** Usage checks common to both kinds: an end-entity certificate with the right OU and purposes. */
function checkUsage(
  certificate: ParsedCertificate,
  usage: string,
  purposes: readonly string[],
  foreignOid: string,
): void {
  if (certificate.node.ca)
    fail('RMT_CA_CERT_WRONG_USAGE', 'a CA certificate cannot authenticate a user or host');
  const ou = subjectValues(certificate, OID_ORGANIZATIONAL_UNIT);
  if (ou.length !== 1 || ou[0] !== usage)
    fail(
      'RMT_CA_CERT_WRONG_USAGE',
      `the certificate is marked OU=${ou.join(',') || '(none)'}, expected OU=${usage}`,
      {
        expected: usage,
      },
    );
  const extendedKeyUsage = certificate.node.keyUsage ?? [];
  for (const purpose of purposes)
    if (!extendedKeyUsage.includes(purpose))
      fail('RMT_CA_CERT_WRONG_USAGE', `the certificate lacks the extended key usage ${purpose}`, { purpose });
  // Defence in depth: the other kind's identity extension must never be present.
  if (certificate.extensions.some((e) => e.oid === foreignOid))
    fail(
      'RMT_CA_CERT_WRONG_USAGE',
      'the certificate carries the identity extension of the other kind of certificate',
    );
}

/** The single non-critical extension `oid` (RFC 5280 §4.2: an extension appears at most once). */
function singleExtension(certificate: ParsedCertificate, oid: string): Uint8Array {
  const found = certificate.extensions.filter((e) => e.oid === oid);
  if (found.length === 0) fail('RMT_CA_IDENTITY_MISSING', `the certificate has no identity extension ${oid}`);
  if (found.length > 1)
    fail('RMT_CA_IDENTITY_DUPLICATED', `the identity extension ${oid} appears ${found.length} times`);
  if (found[0]!.critical)
    fail('RMT_CA_IDENTITY_CRITICAL', `the identity extension ${oid} is marked critical`);
  return found[0]!.value;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sortedA = [...a].sort();
  const sortedB = [...b].sort();
  return sortedA.every((value, i) => value === sortedB[i]);
}

/**
 * Verifies a user certificate against the user-CA bundle and returns the identity it carries.
 * Refuses (each with its own `RMT_CA_…` code): a certificate that does not parse, one not signed by
 * a CA of the bundle (foreign CA, host CA, tampered bytes), expired or not yet valid ones (the
 * certificate or its CA), a CA certificate, a wrong `OU=usage:…` or missing clientAuth, a host
 * extension, a missing, duplicated or critical identity extension, an unknown version, a missing
 * username or roles, and a subject that disagrees with the extension.
 */
export function decodeUserIdentity(
  certificate: CertificateInput,
  options: DecodeCertificateOptions,
): DecodedUserCertificate {
  assertBundleKind(options.trustedBundle, 'user');
  const identityOid = options.identityExtensionOid ?? DEFAULT_IDENTITY_EXTENSION_OID;
  const parsed = parseCertificate(certificate);
  const signer = verifyChain(parsed, options.trustedBundle, options.now ?? new Date());
  checkUsage(
    parsed,
    USER_USAGE_KUBE,
    [OID_KP_CLIENT_AUTH],
    options.hostExtensionOid ?? DEFAULT_HOST_EXTENSION_OID,
  );
  const value = singleExtension(parsed, identityOid);
  const version = peekIdentityVersion(value);
  if (version === undefined)
    fail('RMT_CA_IDENTITY_MALFORMED', 'the identity extension is not a versioned ASN.1 SEQUENCE');
  if (version !== IDENTITY_VERSION)
    fail(
      'RMT_CA_IDENTITY_VERSION_UNSUPPORTED',
      `identity version ${version} is not supported (this release reads ${IDENTITY_VERSION})`,
      {
        version,
      },
    );
  let fields: ReturnType<typeof decodeIdentityV1>;
  try {
    fields = decodeIdentityV1(value);
  } catch {
    fail('RMT_CA_IDENTITY_MALFORMED', 'the identity extension does not decode as RemotelerIdentity v1');
  }
  if (fields.username === '' || fields.roles.length === 0)
    fail(
      'RMT_CA_IDENTITY_INCOMPLETE',
      `the identity has no ${fields.username === '' ? 'username' : 'roles'}`,
    );
  const commonNames = subjectValues(parsed, OID_COMMON_NAME);
  if (commonNames.length !== 1 || commonNames[0] !== fields.username)
    fail(
      'RMT_CA_IDENTITY_INCONSISTENT',
      'the subject CN does not match the username of the identity extension',
    );
  if (!sameSet(subjectValues(parsed, OID_ORGANIZATION), fields.roles))
    fail(
      'RMT_CA_IDENTITY_INCONSISTENT',
      'the subject O= values do not match the roles of the identity extension',
    );
  return {
    identity: Object.freeze({ ...fields, notBefore: parsed.notBefore, notAfter: parsed.notAfter }),
    serialNumber: parsed.serialNumber,
    caId: signer.id,
  };
}

/**
 * Verifies a host certificate against the host-CA bundle and returns the host it names. The same
 * refusals as {@link decodeUserIdentity}, with `OU=usage:host`, both serverAuth and clientAuth,
 * and the host extension instead of the user one.
 */
export function decodeHostIdentity(
  certificate: CertificateInput,
  options: DecodeCertificateOptions,
): DecodedHostCertificate {
  assertBundleKind(options.trustedBundle, 'host');
  const hostOid = options.hostExtensionOid ?? DEFAULT_HOST_EXTENSION_OID;
  const parsed = parseCertificate(certificate);
  const signer = verifyChain(parsed, options.trustedBundle, options.now ?? new Date());
  checkUsage(
    parsed,
    HOST_USAGE,
    [OID_KP_SERVER_AUTH, OID_KP_CLIENT_AUTH],
    options.identityExtensionOid ?? DEFAULT_IDENTITY_EXTENSION_OID,
  );
  const value = singleExtension(parsed, hostOid);
  let host: ReturnType<typeof decodeHostExtension>;
  try {
    host = decodeHostExtension(value);
  } catch {
    fail('RMT_CA_IDENTITY_MALFORMED', 'the host extension does not decode as RemotelerHost v1');
  }
  if (host.version !== HOST_IDENTITY_VERSION)
    fail('RMT_CA_IDENTITY_VERSION_UNSUPPORTED', `host identity version ${host.version} is not supported`, {
      version: host.version,
    });
  if (host.hostId === '' || host.clusterName === '')
    fail('RMT_CA_IDENTITY_INCOMPLETE', 'the host identity has no host id or cluster name');
  const commonNames = subjectValues(parsed, OID_COMMON_NAME);
  if (commonNames.length !== 1 || commonNames[0] !== host.hostId)
    fail('RMT_CA_IDENTITY_INCONSISTENT', 'the subject CN does not match the host id of the host extension');
  return {
    host: Object.freeze({ hostId: host.hostId, role: host.role, clusterName: host.clusterName }),
    serialNumber: parsed.serialNumber,
    caId: signer.id,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
  };
}

/** A trust bundle, or a function that returns the current one (asked at every decode). */
export type TrustBundleSource = TrustBundle | (() => TrustBundle);

/** Options for {@link X509IdentityDecoder}. */
export interface X509IdentityDecoderOptions {
  /**
   * The user-CA bundle; without it every user certificate is refused. A function is asked at every
   * decode, so `() => userCa.bundle()` follows the CA's rotation with no new decoder, in step with
   * a Proxy listener whose `tls()` reads the same CA.
   */
  readonly userBundle?: TrustBundleSource;
  /** The host-CA bundle (or a function returning the current one); without it every host certificate is refused. */
  readonly hostBundle?: TrustBundleSource;
  /** OID of the user identity extension. Default `1.3.9999.7.1`. */
  readonly identityExtensionOid?: string;
  /** OID of the host identity extension. Default `1.3.9999.7.2`. */
  readonly hostExtensionOid?: string;
}

/**
 * The {@link CertificateIdentityDecoder} for a Proxy or service that holds only trust bundles (no
 * CA keys). Bundles given as values are fixed; given as functions, they are read at every decode.
 */
export class X509IdentityDecoder implements CertificateIdentityDecoder {
  readonly #options: X509IdentityDecoderOptions;

  constructor(options: X509IdentityDecoderOptions) {
    if (options.userBundle && typeof options.userBundle !== 'function')
      assertBundleKind(options.userBundle, 'user');
    if (options.hostBundle && typeof options.hostBundle !== 'function')
      assertBundleKind(options.hostBundle, 'host');
    this.#options = Object.freeze({ ...options });
  }

  decodeUserCertificate(
    certificate: CertificateInput,
    options: CertificateDecodeOptions = {},
  ): DecodedUserCertificate {
    const { userBundle: source, hostBundle: _host, ...oids } = this.#options;
    if (!source)
      fail('RMT_CA_KIND_MISMATCH', 'this decoder has no user CA bundle, so it accepts no user certificate');
    const userBundle = typeof source === 'function' ? source() : source;
    // A function's answer is checked every time: a host bundle must never pass as the user bundle.
    assertBundleKind(userBundle, 'user');
    return decodeUserIdentity(certificate, { ...oids, ...options, trustedBundle: userBundle });
  }

  decodeHostCertificate(
    certificate: CertificateInput,
    options: CertificateDecodeOptions = {},
  ): DecodedHostCertificate {
    const { hostBundle: source, userBundle: _user, ...oids } = this.#options;
    if (!source)
      fail('RMT_CA_KIND_MISMATCH', 'this decoder has no host CA bundle, so it accepts no host certificate');
    const hostBundle = typeof source === 'function' ? source() : source;
    assertBundleKind(hostBundle, 'host');
    return decodeHostIdentity(certificate, { ...oids, ...options, trustedBundle: hostBundle });
  }
}
