import type { RequestAttributes } from './rbac.js';
import { type UserInfo, withAuthenticatedGroup } from './user-info.js';

/** The `Impersonate-*` headers of one request (k8s-protocols §10.1). */
export interface ImpersonationHeaders {
  readonly user?: string;
  readonly groups: readonly string[];
  readonly uid?: string;
  /** Keys already lower-cased and percent-decoded. */
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** Why impersonation was refused; the caller turns it into the API server's exact answer. */
export type ImpersonationFailure =
  /** Group/extra/uid without a user: the API server answers 500 with a plain-text body (§10.3). */
  | { readonly kind: 'internal'; readonly message: string }
  /** A denied `impersonate` check: 403 with a Forbidden Status. */
  | {
      readonly kind: 'forbidden';
      readonly resource: string;
      readonly group: string;
      readonly name: string;
      readonly message: string;
    };

// apiserver impersonation.go: the key part is lower-cased and then path-unescaped; a malformed
// escape leaves the key as it was.
function decodeExtraKey(raw: string): string {
  const lower = raw.toLowerCase();
  try {
    return decodeURIComponent(lower);
  } catch {
    return lower;
  }
}

/**
 * Reads the impersonation headers from `rawHeaders` (name/value pairs, names in any case).
 * `Impersonate-Group` and `Impersonate-Extra-*` repeat, so the joined `headers` map would lose them.
 *
 * @returns undefined when the request carries no impersonation header at all.
 */
export function readImpersonationHeaders(rawHeaders: readonly string[]): ImpersonationHeaders | undefined {
  let user: string | undefined;
  let uid: string | undefined;
  const groups: string[] = [];
  const extra: Record<string, string[]> = {};
  let seen = false;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    // Node exposes header bytes as latin1; Go clients (and the API server) treat them as UTF-8.
    const value = Buffer.from(rawHeaders[i + 1]!, 'latin1').toString('utf8');
    if (!name.startsWith('impersonate-')) continue;
    seen = true;
    if (name === 'impersonate-user') user = value;
    else if (name === 'impersonate-group') groups.push(value);
    else if (name === 'impersonate-uid') uid = value;
    else if (name.startsWith('impersonate-extra-')) {
      const key = decodeExtraKey(rawHeaders[i]!.slice('impersonate-extra-'.length));
      extra[key] = [...(extra[key] ?? []), value];
    }
  }
  if (!seen) return undefined;
  return { ...(user !== undefined ? { user } : {}), groups, ...(uid !== undefined ? { uid } : {}), extra };
}

/** Checks one authorization question; the simulator passes its RBAC authorizer. */
export type AuthorizeFn = (attrs: RequestAttributes) => boolean;

function scopeText(namespace: string | undefined): string {
  return namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
}

/**
 * Applies impersonation exactly as apiserver `WithImpersonation` does: each requested item needs
 * verb `impersonate` on users / serviceaccounts / groups / userextras/<key> / uids, checked in
 * that order, and the result is the identity that authorization and the audit see.
 */
export function impersonate(
  requester: UserInfo,
  headers: ImpersonationHeaders,
  allowed: AuthorizeFn,
  requestUri: string,
): { user: UserInfo } | { failure: ImpersonationFailure } {
  if (headers.user === undefined) {
    const parts = [
      ...headers.groups.map((g) => `{Group  ${g}  }`),
      ...Object.entries(headers.extra).flatMap(([k, vs]) => vs.map((v) => `{UserExtra  ${v} ${k} }`)),
      ...(headers.uid !== undefined ? [`{UID  ${headers.uid}  }`] : []),
    ];
    return {
      failure: {
        kind: 'internal',
        message: `Internal Server Error: "${requestUri}": requested [${parts.join(' ')}] without impersonating a user`,
      },
    };
  }

  const checks: {
    group: string;
    resource: string;
    subresource?: string;
    name: string;
    namespace?: string;
  }[] = [];
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(headers.user);
  if (sa) checks.push({ group: '', resource: 'serviceaccounts', name: sa[2]!, namespace: sa[1]! });
  else checks.push({ group: '', resource: 'users', name: headers.user });
  for (const g of headers.groups) checks.push({ group: '', resource: 'groups', name: g });
  for (const [key, values] of Object.entries(headers.extra)) {
    for (const v of values)
      checks.push({ group: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: v });
  }
  if (headers.uid !== undefined)
    checks.push({ group: 'authentication.k8s.io', resource: 'uids', name: headers.uid });

  for (const c of checks) {
    const ok = allowed({
      user: requester,
      verb: 'impersonate',
      resourceRequest: true,
      apiGroup: c.group,
      resource: c.resource,
      ...(c.subresource !== undefined ? { subresource: c.subresource } : {}),
      name: c.name,
      ...(c.namespace !== undefined ? { namespace: c.namespace } : {}),
    });
    if (!ok) {
      const res = c.subresource ? `${c.resource}/${c.subresource}` : c.resource;
      const qualifiedResource = c.group ? `${c.resource}.${c.group}` : c.resource;
      return {
        failure: {
          kind: 'forbidden',
          resource: c.resource,
          group: c.group,
          name: c.name,
          message: `${qualifiedResource} "${c.name}" is forbidden: User "${requester.name}" cannot impersonate resource "${res}" in API group "${c.group}" ${scopeText(c.namespace)}`,
        },
      };
    }
  }

  let groups: string[] = [...headers.groups];
  if (sa && groups.length === 0) groups = ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`];
  return {
    user: {
      name: headers.user,
      ...(headers.uid !== undefined ? { uid: headers.uid } : {}),
      groups: withAuthenticatedGroup(groups, headers.user),
      ...(Object.keys(headers.extra).length ? { extra: headers.extra } : {}),
    },
  };
}
