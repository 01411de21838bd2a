import { AsnConvert, AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import type { HostIdentity, HostRole } from '@remoteler/core';

/** The host identity structure version this release writes and reads. */
export const HOST_IDENTITY_VERSION = 1;

/**
 * The value of the host extension (OID 1.3.9999.7.2 by default), DER-encoded:
 *
 * ```asn1
 * RemotelerHost ::= SEQUENCE {
 *   version      INTEGER,     -- 1
 *   hostId       UTF8String,  -- also the subject CN
 *   role         ENUMERATED { proxy(0), auth(1), agent(2) },
 *   clusterName  UTF8String }
 * ```
 *
 * Its own extension, rather than subject fields alone, so that a host certificate can never be
 * read as a user one: the subject layout of the two kinds differs only by `OU=`.
 */
export class HostIdentityAsn {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = HOST_IDENTITY_VERSION;

  @AsnProp({ type: AsnPropTypes.Utf8String })
  hostId = '';

  @AsnProp({ type: AsnPropTypes.Enumerated })
  role = 0;

  @AsnProp({ type: AsnPropTypes.Utf8String })
  clusterName = '';
}

/** Host roles in the order of their ENUMERATED values. */
export const HOST_ROLES: readonly HostRole[] = Object.freeze(['proxy', 'auth', 'agent']);

/** DER of the host extension value. */
export function encodeHostExtension(host: HostIdentity): Uint8Array {
  const asn = new HostIdentityAsn();
  asn.hostId = host.hostId;
  asn.role = HOST_ROLES.indexOf(host.role);
  asn.clusterName = host.clusterName;
  return new Uint8Array(AsnConvert.serialize(asn));
}

/** Parses a host extension value; throws on bad input or an unknown version/role. */
export function decodeHostExtension(der: Uint8Array): HostIdentity & { readonly version: number } {
  const asn = AsnConvert.parse(der, HostIdentityAsn);
  const role = HOST_ROLES[asn.role];
  if (role === undefined) throw new TypeError(`unknown host role ${asn.role}`);
  return { version: asn.version, hostId: asn.hostId, role, clusterName: asn.clusterName };
}
