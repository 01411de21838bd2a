// Object identifiers Remoteler puts in certificates. Every arc stays below 2^31: Go's x509 parser
// (and so kubectl) rejects larger arcs with "x509: malformed extension OID field", which rules out
// UUID-derived 2.25.… OIDs (design §3). 1.3.9999.7 is an unregistered experimental arc next to the
// one Teleport uses (1.3.9999.1/.2); it must move under an IANA Private Enterprise Number before 1.0.

/** Default OID of the user identity extension (design §3). */
export const DEFAULT_IDENTITY_EXTENSION_OID = '1.3.9999.7.1';
/** Default OID of the host identity extension. */
export const DEFAULT_HOST_EXTENSION_OID = '1.3.9999.7.2';

/** X.520 attribute types used in subjects. */
export const OID_COMMON_NAME = '2.5.4.3';
export const OID_ORGANIZATION = '2.5.4.10';
export const OID_ORGANIZATIONAL_UNIT = '2.5.4.11';

/** RFC 5280 §4.2.1 extensions. */
export const OID_SUBJECT_KEY_IDENTIFIER = '2.5.29.14';
export const OID_KEY_USAGE = '2.5.29.15';
export const OID_SUBJECT_ALT_NAME = '2.5.29.17';
export const OID_BASIC_CONSTRAINTS = '2.5.29.19';
export const OID_AUTHORITY_KEY_IDENTIFIER = '2.5.29.35';
export const OID_EXT_KEY_USAGE = '2.5.29.37';

/** RFC 5280 §4.2.1.12 key purposes. */
export const OID_KP_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const OID_KP_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** `OU=` marking of user certificates for Kubernetes access (design §3). */
export const USER_USAGE_KUBE = 'usage:kube';
/** `OU=` marking of host certificates. */
export const HOST_USAGE = 'usage:host';
/** `OU=` marking of the CA certificates themselves, per kind. */
export const CA_USAGE = Object.freeze({ user: 'remoteler-ca:user', host: 'remoteler-ca:host' } as const);

/** Throws a TypeError unless `value` is a dotted OID whose arcs Go can parse (each < 2^31). */
export function assertGoCompatibleOid(value: string): void {
  const arcs = value.split('.');
  const ok =
    arcs.length >= 3 &&
    arcs.every((arc) => /^(0|[1-9][0-9]{0,9})$/.test(arc) && Number(arc) < 2 ** 31) &&
    Number(arcs[0]) <= 2;
  if (!ok) throw new TypeError(`extension OID ${value} is not dotted decimal with every arc below 2^31`);
}
