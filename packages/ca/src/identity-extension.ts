import { AsnConvert, AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import type { Identity, Traits, UserType } from '@remoteler/core';
import { readElement, TAG, tlv, utf8String } from './der.js';

/** The identity structure version this release writes and the only one it reads. */
export const IDENTITY_VERSION = 1;

/**
 * `Trait ::= SEQUENCE { name UTF8String, values SEQUENCE OF UTF8String }`
 */
export class TraitAsn {
  @AsnProp({ type: AsnPropTypes.Utf8String })
  name = '';

  @AsnProp({ type: AsnPropTypes.Utf8String, repeated: 'sequence' })
  values: string[] = [];
}

/**
 * The value of the identity extension (OID 1.3.9999.7.1 by default), DER-encoded:
 *
 * ```asn1
 * RemotelerIdentity ::= SEQUENCE {
 *   version            INTEGER,                -- 1; a reader refuses versions it does not know
 *   username           UTF8String,
 *   roles              SEQUENCE OF UTF8String,
 *   traits             SEQUENCE OF Trait,      -- sorted by name
 *   userType           ENUMERATED { local(0), sso(1) },
 *   mfaVerified        BOOLEAN,
 *   kubernetesUsers    SEQUENCE OF UTF8String, -- information only
 *   kubernetesGroups   SEQUENCE OF UTF8String, -- information only
 *   kubernetesCluster  [0] IMPLICIT UTF8String OPTIONAL,
 *   remotelerCluster   [1] IMPLICIT UTF8String OPTIONAL,
 *   loginIp            [2] IMPLICIT UTF8String OPTIONAL,
 *   connectorId        [3] IMPLICIT UTF8String OPTIONAL,
 *   sessionId          [4] IMPLICIT UTF8String OPTIONAL }
 * ```
 *
 * Optional fields are context-tagged so that a later version can append fields without
 * ambiguity; the version comes first so that a reader can refuse before it parses the rest.
 */
export class IdentityAsn {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = IDENTITY_VERSION;

  @AsnProp({ type: AsnPropTypes.Utf8String })
  username = '';

  @AsnProp({ type: AsnPropTypes.Utf8String, repeated: 'sequence' })
  roles: string[] = [];

  @AsnProp({ type: TraitAsn, repeated: 'sequence' })
  traits: TraitAsn[] = [];

  @AsnProp({ type: AsnPropTypes.Enumerated })
  userType = 0;

  @AsnProp({ type: AsnPropTypes.Boolean })
  mfaVerified = false;

  @AsnProp({ type: AsnPropTypes.Utf8String, repeated: 'sequence' })
  kubernetesUsers: string[] = [];

  @AsnProp({ type: AsnPropTypes.Utf8String, repeated: 'sequence' })
  kubernetesGroups: string[] = [];

  @AsnProp({ type: AsnPropTypes.Utf8String, context: 0, implicit: true, optional: true })
  kubernetesCluster?: string;

  @AsnProp({ type: AsnPropTypes.Utf8String, context: 1, implicit: true, optional: true })
  remotelerCluster?: string;

  @AsnProp({ type: AsnPropTypes.Utf8String, context: 2, implicit: true, optional: true })
  loginIp?: string;

  @AsnProp({ type: AsnPropTypes.Utf8String, context: 3, implicit: true, optional: true })
  connectorId?: string;

  @AsnProp({ type: AsnPropTypes.Utf8String, context: 4, implicit: true, optional: true })
  sessionId?: string;
}

const USER_TYPES: readonly UserType[] = ['local', 'sso'];

const USER_TYPES_INDEX: Readonly<Record<UserType, number>> = Object.freeze({ local: 0, sso: 1 });
const VERSION_1 = tlv(TAG.INTEGER, Uint8Array.of(IDENTITY_VERSION));
const BOOLEAN_TRUE = tlv(TAG.BOOLEAN, Uint8Array.of(0xff));
const BOOLEAN_FALSE = tlv(TAG.BOOLEAN, Uint8Array.of(0x00));

function utf8Sequence(values: readonly string[]): Uint8Array {
  return tlv(TAG.SEQUENCE, ...values.map(utf8String));
}

function implicitUtf8(tagNumber: number, value: string | undefined): Uint8Array[] {
  // [n] IMPLICIT UTF8String: context-specific, primitive (0x80 | n), the UTF-8 bytes as content.
  return value === undefined ? [] : [tlv(0x80 | tagNumber, new TextEncoder().encode(value))];
}

/**
 * DER of the identity extension value, written directly (the `IdentityAsn` schema is the
 * definition and the decoder; a test proves both produce the same bytes). Traits are written sorted
 * by name so that equal identities encode equally.
 */
export function encodeIdentity(identity: Identity): Uint8Array {
  const traitNames = Object.keys(identity.traits).sort();
  return tlv(
    TAG.SEQUENCE,
    VERSION_1,
    utf8String(identity.username),
    utf8Sequence(identity.roles),
    tlv(
      TAG.SEQUENCE,
      ...traitNames.map((name) =>
        tlv(TAG.SEQUENCE, utf8String(name), utf8Sequence(identity.traits[name] ?? [])),
      ),
    ),
    tlv(TAG.ENUMERATED, Uint8Array.of(USER_TYPES_INDEX[identity.userType])),
    identity.mfaVerified ? BOOLEAN_TRUE : BOOLEAN_FALSE,
    utf8Sequence(identity.kubernetesUsers),
    utf8Sequence(identity.kubernetesGroups),
    ...implicitUtf8(0, identity.kubernetesCluster),
    ...implicitUtf8(1, identity.remotelerCluster),
    ...implicitUtf8(2, identity.loginIp),
    ...implicitUtf8(3, identity.connectorId),
    ...implicitUtf8(4, identity.sessionId),
  );
}

/** The same bytes as {@link encodeIdentity}, produced by @peculiar/asn1-schema from `IdentityAsn`. */
export function encodeIdentityWithSchema(identity: Identity): Uint8Array {
  const asn = new IdentityAsn();
  asn.username = identity.username;
  asn.roles = [...identity.roles];
  asn.traits = Object.keys(identity.traits)
    .sort()
    .map((name) => {
      const trait = new TraitAsn();
      trait.name = name;
      trait.values = [...(identity.traits[name] ?? [])];
      return trait;
    });
  asn.userType = USER_TYPES.indexOf(identity.userType);
  asn.mfaVerified = identity.mfaVerified;
  asn.kubernetesUsers = [...identity.kubernetesUsers];
  asn.kubernetesGroups = [...identity.kubernetesGroups];
  if (identity.kubernetesCluster !== undefined) asn.kubernetesCluster = identity.kubernetesCluster;
  if (identity.remotelerCluster !== undefined) asn.remotelerCluster = identity.remotelerCluster;
  if (identity.loginIp !== undefined) asn.loginIp = identity.loginIp;
  if (identity.connectorId !== undefined) asn.connectorId = identity.connectorId;
  if (identity.sessionId !== undefined) asn.sessionId = identity.sessionId;
  return new Uint8Array(AsnConvert.serialize(asn));
}

/**
 * Reads only the leading `version INTEGER` of an encoded identity, so that an unknown version is
 * refused as such rather than as a parse error. Returns `undefined` when the bytes do not start
 * with `SEQUENCE { INTEGER …`.
 */
export function peekIdentityVersion(der: Uint8Array): number | undefined {
  try {
    const outer = readElement(der, 0);
    if (outer.tag !== TAG.SEQUENCE || outer.end !== der.length) return undefined;
    const version = readElement(der, outer.start);
    if (version.tag !== TAG.INTEGER || version.end - version.start > 6) return undefined;
    let value = 0;
    for (let i = version.start; i < version.end; i++) value = value * 256 + der[i]!;
    // A leading 1 bit would make the INTEGER negative: never a valid version.
    return (der[version.start]! & 0x80) === 0 ? value : -1;
  } catch {
    return undefined;
  }
}

/** The decoded fields of an identity extension (no validity: that comes from the certificate). */
export type DecodedIdentityFields = Omit<Identity, 'notBefore' | 'notAfter'>;

/**
 * Parses a version-1 identity extension value. Throws whatever the ASN.1 parser throws on bad
 * input; the caller maps that to `RMT_CA_IDENTITY_MALFORMED`.
 */
export function decodeIdentityV1(der: Uint8Array): DecodedIdentityFields {
  const asn = AsnConvert.parse(der, IdentityAsn);
  const userType = USER_TYPES[asn.userType];
  if (userType === undefined) throw new TypeError(`unknown userType ${asn.userType}`);
  // fromEntries defines own properties, so a trait named `__proto__` stays data, never a prototype.
  const seen = new Set<string>();
  const entries = asn.traits.map((trait) => {
    if (seen.has(trait.name)) throw new TypeError(`trait ${trait.name} appears twice`);
    seen.add(trait.name);
    return [trait.name, Object.freeze([...trait.values])] as const;
  });
  const traits: Traits = Object.freeze(Object.fromEntries(entries));
  return {
    username: asn.username,
    roles: Object.freeze([...asn.roles]),
    traits,
    userType,
    mfaVerified: asn.mfaVerified,
    kubernetesUsers: Object.freeze([...asn.kubernetesUsers]),
    kubernetesGroups: Object.freeze([...asn.kubernetesGroups]),
    ...(asn.kubernetesCluster !== undefined ? { kubernetesCluster: asn.kubernetesCluster } : {}),
    ...(asn.remotelerCluster !== undefined ? { remotelerCluster: asn.remotelerCluster } : {}),
    ...(asn.loginIp !== undefined ? { loginIp: asn.loginIp } : {}),
    ...(asn.connectorId !== undefined ? { connectorId: asn.connectorId } : {}),
    ...(asn.sessionId !== undefined ? { sessionId: asn.sessionId } : {}),
  };
}
