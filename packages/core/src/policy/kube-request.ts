import { RemotelerError } from '../errors/index.js';
import { VERB_SUBRESOURCES } from '../roles/kinds.js';

/**
 * What a Kubernetes API request is about: the attributes of the API server's RequestInfo
 * (k8s.io/apiserver `pkg/endpoints/request/requestinfo.go`), with one Remoteler change: `exec`,
 * `attach`, `portforward` and `log` come from the subresource, never from the HTTP method.
 */
export interface KubeRequestAttributes {
  /** False for discovery and other non-resource paths (`/api`, `/apis/apps`, `/version`, `/openapi/v3`). */
  readonly isResourceRequest: boolean;
  /**
   * Resource requests: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
   * `deletecollection`, `exec`, `attach`, `portforward`, `log`, `proxy`, or `''` for an unknown
   * method. Non-resource requests: the lowercase HTTP method (`get`, `head`, `post`…).
   */
  readonly verb: string;
  /** The request path as given (without the `/k8s/<cluster>` prefix). */
  readonly path: string;
  /** `api` (core group), `apis` (named groups), or `''` for non-resource requests. */
  readonly apiPrefix: string;
  /** API group; `''` for the core group. */
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** Plural resource name (`pods`, `deployments`, `crontabs`). */
  readonly resource: string;
  /** `exec`, `log`, `status`, `scale`…, or `''`. */
  readonly subresource: string;
  /**
   * The namespace, or `''` for cluster-scoped resources and for lists across all namespaces. For
   * the namespace object itself (`/api/v1/namespaces/x`) it is the namespace's own name.
   */
  readonly namespace: string;
  /**
   * The object name, or `''` for collections. As in RequestInfo, a list or watch with the field
   * selector `metadata.name=<n>` (kubectl wait, informers) carries that name.
   */
  readonly name: string;
}

// RequestInfoFactory defaults (k8s.io/apiserver pkg/server/config.go): APIPrefixes {api, apis},
// GrouplessAPIPrefixes {api}.
const API_PREFIXES = new Set(['api', 'apis']);
// Path segments that set the verb themselves: /api/v1/watch/... (legacy watch) and /api/v1/proxy/...
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
// For `proxy`, everything after the name belongs to the proxied path, not a subresource.
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(['proxy']);
// /api/v1/namespaces/{name}/status and /finalize are subresources of the namespace object.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const METHOD_VERBS: Readonly<Record<string, string>> = Object.freeze({
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
});

function splitPath(pathname: string): string[] {
  const trimmed = pathname.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

// RequestInfo reads `watch` with the query parameter codec; a value it cannot parse still counts
// as a watch unless it is false/0 (requestinfo.go, "if watch is set, let's report it").
function isWatch(searchParams: URLSearchParams): boolean {
  const value = searchParams.get('watch');
  if (value === null) return false;
  const lower = value.toLowerCase();
  return !(lower === 'false' || lower === '0' || lower === 'f');
}

// fields.Selector.RequiresExactMatch("metadata.name"): a `metadata.name=x` or `==x` term. Escaped
// selectors (backslashes) are left alone: the name then stays empty and the request is a plain list.
function nameFromFieldSelector(searchParams: URLSearchParams): string {
  const selector = searchParams.get('fieldSelector');
  if (!selector || selector.includes('\\')) return '';
  for (const term of selector.split(',')) {
    const match = /^\s*metadata\.name\s*(==|=)\s*(.*?)\s*$/.exec(term);
    if (match) {
      const name = match[2]!;
      // path.IsValidPathSegmentName: not . or .., no / or %.
      if (name !== '' && name !== '.' && name !== '..' && !/[/%]/.test(name)) return name;
      return '';
    }
  }
  return '';
}

function nonResource(method: string, pathname: string): KubeRequestAttributes {
  return {
    isResourceRequest: false,
    verb: method.toLowerCase(),
    path: pathname,
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
  };
}

/**
 * Resolves a Kubernetes API request into {@link KubeRequestAttributes}, as the API server's
 * RequestInfo does: core (`/api/v1/…`) and named groups (`/apis/<group>/<version>/…`), namespaced
 * and cluster-scoped resources, subresources, collections (GET without a name is `list`, or `watch`
 * with `watch=true`; DELETE without a name is `deletecollection`), the legacy `/watch/` prefix, and
 * non-resource paths. `exec`/`attach`/`portforward`/`log` subresources set the verb whatever the
 * method: WebSocket exec is a GET, SPDY exec a POST, and both must be decided as `exec`.
 *
 * @param method HTTP method, any case.
 * @param pathname URL path without the query and without the `/k8s/<cluster>` prefix; it must
 *   already be normalized (the Proxy refuses dot segments and encoded slashes before routing).
 * @throws RemotelerError `RMT_POLICY_REQUEST_UNPARSABLE` for a special-verb path with nothing after it.
 */
export function parseKubeRequest(
  method: string,
  pathname: string,
  searchParams: URLSearchParams = new URLSearchParams(),
): KubeRequestAttributes {
  const upper = method.toUpperCase();
  let parts = splitPath(pathname);
  if (parts.length < 3 || !API_PREFIXES.has(parts[0]!)) return nonResource(upper, pathname);
  const apiPrefix = parts[0]!;
  parts = parts.slice(1);
  let apiGroup = '';
  if (apiPrefix !== 'api') {
    if (parts.length < 3) return nonResource(upper, pathname);
    apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  const apiVersion = parts[0]!;
  parts = parts.slice(1);

  let verb: string;
  if (SPECIAL_VERBS.has(parts[0]!)) {
    if (parts.length < 2) {
      throw new RemotelerError(
        'RMT_POLICY_REQUEST_UNPARSABLE',
        `unable to determine kind and namespace from ${pathname}: nothing follows /${parts[0]}/`,
      );
    }
    verb = parts[0]!;
    parts = parts.slice(1);
  } else {
    verb = METHOD_VERBS[upper] ?? '';
  }

  let namespace = '';
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      namespace = parts[1]!;
      // /namespaces/{ns}/{resource}/…: the rest is relative to the resource, unless it is a
      // subresource of the namespace object itself.
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  }

  let resource = '';
  let name = '';
  let subresource = '';
  if (parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(verb)) subresource = parts[2]!;
  if (parts.length >= 2) name = parts[1]!;
  if (parts.length >= 1) resource = parts[0]!;

  if (name === '' && verb === 'get') {
    verb = isWatch(searchParams) ? 'watch' : 'list';
    name = nameFromFieldSelector(searchParams);
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  // Remoteler: sessions are authorized by what they do, not by how the client dialled.
  if (VERB_SUBRESOURCES.has(subresource) && verb !== 'proxy') verb = subresource;

  return {
    isResourceRequest: true,
    verb,
    path: pathname,
    apiPrefix,
    apiGroup,
    apiVersion,
    resource,
    subresource,
    namespace,
    name,
  };
}
