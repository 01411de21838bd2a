import { RemotelerError } from '@remoteler/core';

/** What a client asked for with `kubectl --as` / `--as-group` (k8s-protocols §10.1). */
export interface RequestedPrincipals {
  readonly user?: string;
  /** Empty when the client named no group. */
  readonly groups: readonly string[];
}

/** The user and groups the Proxy impersonates upstream for one request. */
export interface ImpersonatedPrincipals {
  readonly user: string;
  readonly groups: readonly string[];
}

const PLAIN_ASCII = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function forbidden(message: string): RemotelerError {
  return new RemotelerError('RMT_PROXY_IMPERSONATION_HEADER_FORBIDDEN', message);
}

// Node hands header values over as latin1 views of the raw bytes; Go clients send UTF-8.
function headerText(value: string): string {
  return Buffer.from(value, 'latin1').toString('utf8');
}

/**
 * Reads the client's impersonation request from `req.headersDistinct` (Node joins repeated headers
 * into one string in `req.headers`, which would hide a second `Impersonate-User`). Names arrive
 * lower-cased whatever case the client used. Refused (403): `Impersonate-Uid`, any
 * `Impersonate-Extra-*`, any other unknown `Impersonate-*`, and more than one `Impersonate-User`.
 */
export function readRequestedPrincipals(
  headers: Readonly<Record<string, readonly string[] | undefined>>,
): RequestedPrincipals {
  let user: string | undefined;
  let groups: string[] = [];
  for (const [name, values] of Object.entries(headers)) {
    if (!name.startsWith('impersonate-') || values === undefined) continue;
    if (name === 'impersonate-user') {
      if (values.length !== 1) throw forbidden('more than one Impersonate-User header was sent');
      user = headerText(values[0] ?? '');
    } else if (name === 'impersonate-group') {
      groups = values.map(headerText);
    } else if (name === 'impersonate-uid') {
      throw forbidden('Impersonate-Uid (kubectl --as-uid) is not allowed through Remoteler');
    } else if (name.startsWith('impersonate-extra-')) {
      throw forbidden('Impersonate-Extra-* (kubeconfig as-user-extra) is not allowed through Remoteler');
    } else {
      throw forbidden(`the header ${name} is not allowed`);
    }
  }
  return user === undefined ? { groups } : { user, groups };
}

/**
 * Encodes a principal for an HTTP header: the UTF-8 bytes, handed to the HTTP client as a latin1
 * string so that they reach the wire unchanged (Go's net/http on the API server reads header bytes
 * as UTF-8). Refused with `RMT_PROXY_PRINCIPAL_INVALID`: empty names, control characters (CR/LF
 * would split headers), leading or trailing blanks (HTTP trims them), and lone surrogates (no UTF-8
 * form).
 */
export function encodePrincipal(name: string): string {
  // Printable ASCII without blanks at either end (almost every principal) is its own encoding.
  if (PLAIN_ASCII.test(name)) return name;
  const bad =
    name === '' ||
    name.trim() !== name ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
    /[\u0000-\u001f\u007f-\u009f]/.test(name) ||
    LONE_SURROGATE.test(name);
  if (bad)
    throw new RemotelerError(
      'RMT_PROXY_PRINCIPAL_INVALID',
      `the Kubernetes principal ${JSON.stringify(name)} cannot be sent as a header`,
    );
  return Buffer.from(name, 'utf8').toString('latin1');
}
