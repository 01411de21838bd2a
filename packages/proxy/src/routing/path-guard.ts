import { RemotelerError } from '@remoteler/core';

/** A request target split into path and query, exactly as received. */
export interface RequestTarget {
  /** The raw path, starting with `/`. */
  readonly path: string;
  /** The raw query without `?`, or `''`. */
  readonly query: string;
}

// Percent-encoded `/`, `\` and `.`, and the same behind one or more levels of `%25` (double
// encoding), in any letter case. An API server or a path-based authorizer further down may decode
// these, so the path the Proxy authorized would not be the path that is served.
const ENCODED_SEPARATOR = /%(?:25)*(?:2f|5c|2e)/i;

// Anything but visible ASCII (RFC 3986 §2: everything else is percent-encoded): controls, NUL,
// blanks and bytes from 0x80 up. Node's HTTP/1.1 parser refuses these itself; over HTTP/2, nghttp2
// lets bytes from 0x80 up through in :path, and not every upstream client refuses them.
const NOT_VISIBLE_ASCII = /[^\x21-\x7e]/;
// The same, percent-encoded (also behind levels of `%25`).
const ENCODED_CONTROL = /%(?:25)*(?:0[0-9a-f]|1[0-9a-f]|7f)/i;

function refuse(reason: string): RemotelerError {
  return new RemotelerError('RMT_PROXY_PATH_INVALID', `the request path was refused: ${reason}`);
}

/**
 * Checks a raw request target (`req.url`) before any routing and splits it. Nothing is normalised
 * or rewritten: a path that would need it is refused with `RMT_PROXY_PATH_INVALID` (400). The
 * whole target must be visible ASCII; beyond that only the path is checked, since query values
 * (label and field selectors) legitimately carry encoded characters.
 */
export function guardRequestTarget(rawTarget: string | undefined): RequestTarget {
  if (!rawTarget?.startsWith('/'))
    throw refuse('only origin-form targets ("/…") are accepted, not absolute URLs or "*"');
  if (NOT_VISIBLE_ASCII.test(rawTarget))
    throw refuse('only visible ASCII characters are allowed (percent-encode anything else)');
  const queryAt = rawTarget.indexOf('?');
  const path = queryAt === -1 ? rawTarget : rawTarget.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rawTarget.slice(queryAt + 1);
  if (path.includes('#') || query.includes('#')) throw refuse('fragments are not sent to a server');
  if (path.includes('\\')) throw refuse('backslashes are not allowed');
  if (path.includes('//')) throw refuse('empty path segments ("//") are not allowed');
  // The percent-encoded checks only matter when something is encoded (most paths are plain).
  if (path.includes('%')) {
    if (ENCODED_SEPARATOR.test(path)) throw refuse('percent-encoded "/", "\\" or "." is not allowed');
    if (ENCODED_CONTROL.test(path)) throw refuse('control characters are not allowed');
  }
  if (path.includes('/.'))
    for (const segment of path.split('/'))
      if (segment === '.' || segment === '..') throw refuse('"." and ".." segments are not allowed');
  return { path, query };
}
