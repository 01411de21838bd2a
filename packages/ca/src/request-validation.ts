import { isIP } from 'node:net';
import type { HostCertificateRequest, Identity } from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';

// C0/C1 controls, DEL, and the Unicode line/paragraph separators: each can forge a new line in a
// log, a terminal or a kubectl error message, so none may enter a certificate.
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

/** True when `value` is a non-empty string without control characters. */
export function isPlainText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && !CONTROL.test(value);
}

function field(path: string, message: string): RemotelerError {
  return new RemotelerError('RMT_CA_IDENTITY_FIELD_INVALID', `${path} ${message}`, {
    details: { field: path },
  });
}

function checkText(path: string, value: unknown): void {
  if (!isPlainText(value)) throw field(path, 'must be non-empty text without control characters');
}

function checkList(path: string, values: unknown): void {
  if (!Array.isArray(values)) throw field(path, 'must be a list');
  for (const [i, value] of values.entries()) checkText(`${path}[${i}]`, value);
}

/** Validates an identity before it is certified (design §3: usernames with control characters refused). */
export function validateIdentity(identity: Identity): void {
  if (typeof identity !== 'object' || identity === null) throw field('identity', 'is missing');
  const username: unknown = identity.username;
  if (!isPlainText(username))
    throw new RemotelerError(
      'RMT_CA_USERNAME_INVALID',
      typeof username === 'string' && username.length > 0
        ? 'the username contains control characters'
        : 'the username is empty',
    );
  if (!Array.isArray(identity.roles) || identity.roles.length === 0)
    throw new RemotelerError('RMT_CA_ROLES_EMPTY', `user ${JSON.stringify(identity.username)} has no role`);
  checkList('roles', identity.roles);
  if (new Set(identity.roles).size !== identity.roles.length) throw field('roles', 'lists a role twice');
  if (typeof identity.traits !== 'object' || identity.traits === null)
    throw field('traits', 'must be an object');
  for (const [name, values] of Object.entries(identity.traits)) {
    checkText('traits (a name)', name);
    checkList(`traits.${name}`, values);
  }
  if (identity.userType !== 'local' && identity.userType !== 'sso')
    throw field('userType', 'must be local or sso');
  if (typeof identity.mfaVerified !== 'boolean') throw field('mfaVerified', 'must be a boolean');
  checkList('kubernetesUsers', identity.kubernetesUsers);
  checkList('kubernetesGroups', identity.kubernetesGroups);
  for (const key of ['kubernetesCluster', 'remotelerCluster', 'loginIp', 'connectorId', 'sessionId'] as const)
    if (identity[key] !== undefined) checkText(key, identity[key]);
}

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Validates a host certificate request's host identity and SANs. */
export function validateHostRequest(request: HostCertificateRequest): void {
  const host = request.host;
  if (typeof host !== 'object' || host === null) throw field('host', 'is missing');
  checkText('host.hostId', host.hostId);
  checkText('host.clusterName', host.clusterName);
  if (host.role !== 'proxy' && host.role !== 'auth' && host.role !== 'agent')
    throw field('host.role', 'must be proxy, auth or agent');
  (request.dnsNames ?? []).forEach((name, i) => {
    // SAN dNSName is an IA5String (RFC 5280 §4.2.1.6): ASCII host names only (IDNs in A-label form).
    if (typeof name !== 'string' || name.length > 253 || !DNS_NAME.test(name))
      throw field(`dnsNames[${i}]`, 'must be an ASCII DNS name');
  });
  (request.ipAddresses ?? []).forEach((address, i) => {
    if (typeof address !== 'string' || isIP(address) === 0)
      throw field(`ipAddresses[${i}]`, 'must be an IP address');
  });
}

/**
 * Validates a requested lifetime against the caller's cap. Both in milliseconds; the cap comes
 * from policy (the roles' max_session_ttl) and is never silently applied: a longer request fails.
 */
export function validateTtl(ttlMs: number, maxTtlMs: number = Number.POSITIVE_INFINITY): void {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new RemotelerError(
      'RMT_CA_TTL_INVALID',
      `the certificate lifetime must be a positive number of milliseconds, got ${String(ttlMs)}`,
    );
  if (typeof maxTtlMs !== 'number' || Number.isNaN(maxTtlMs) || maxTtlMs <= 0)
    throw new RemotelerError(
      'RMT_CA_TTL_INVALID',
      `the lifetime cap must be a positive number of milliseconds, got ${String(maxTtlMs)}`,
    );
  if (ttlMs > maxTtlMs)
    throw new RemotelerError(
      'RMT_CA_TTL_EXCEEDS_CAP',
      `a lifetime of ${ttlMs} ms exceeds the cap of ${maxTtlMs} ms`,
      {
        details: { ttlMs, maxTtlMs },
      },
    );
}
