import type { TLSSocket } from 'node:tls';
import { type TokenUser, type UserInfo, withAuthenticatedGroup } from './user-info.js';

/** The parts of a request that authentication reads (HTTP/1.1 and HTTP/2 requests both fit). */
export interface AuthenticationInput {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly socket: unknown;
}

const asList = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/**
 * Authenticates as kube-apiserver does with its x509 and token authenticators: a client certificate
 * verified against the client CA gives CN = user and O = groups; otherwise `Authorization: Bearer`
 * is looked up in `tokens`. Returns undefined for an anonymous request (the caller answers 401,
 * since the simulator runs with `--anonymous-auth=false`).
 */
export function authenticate(
  input: AuthenticationInput,
  tokens: ReadonlyMap<string, TokenUser>,
): UserInfo | undefined {
  const auth = input.headers.authorization;
  const header = Array.isArray(auth) ? auth[0] : auth;
  // A bearer token is checked first: the union authenticator tries each and the first hit wins;
  // kubectl never sends both, so the order only matters for odd clients.
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const user = m ? tokens.get(m[1]!) : undefined;
    if (user) {
      return {
        name: user.name,
        ...(user.uid ? { uid: user.uid } : {}),
        groups: withAuthenticatedGroup(user.groups ?? [], user.name),
        ...(user.extra ? { extra: user.extra } : {}),
      };
    }
    // An unknown token is an authentication failure even when a certificate is present (the
    // token authenticator returns an error, which fails the request), so fail closed.
    return undefined;
  }
  const socket = input.socket as Partial<TLSSocket> | undefined;
  if (socket?.authorized && typeof socket.getPeerCertificate === 'function') {
    const cert = socket.getPeerCertificate();
    const cn = asList(cert?.subject?.CN)[0];
    if (cn) return { name: cn, groups: withAuthenticatedGroup(asList(cert.subject.O), cn) };
  }
  return undefined;
}
