/** What a URL path and method mean to the API server (apiserver `RequestInfoFactory`). */
export interface RequestInfo {
  readonly resourceRequest: boolean;
  readonly path: string;
  readonly verb: string;
  readonly apiPrefix?: 'api' | 'apis';
  readonly group: string;
  readonly version: string;
  readonly namespace?: string;
  readonly resource?: string;
  readonly name?: string;
  readonly subresource?: string;
  /** Path segments after the resource/name/subresource that the server does not understand. */
  readonly extra: readonly string[];
}

// Namespaces have their own subresources under /namespaces/<name>/<sub>.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Parses a request path; `query` decides between list and watch. */
export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const parts = path.split('/').filter((p) => p.length > 0);
  const lower = method.toLowerCase();
  const nonResource: RequestInfo = {
    resourceRequest: false,
    path,
    verb: lower,
    group: '',
    version: '',
    extra: [],
  };
  let rest: string[];
  let group = '';
  let version: string;
  let apiPrefix: 'api' | 'apis';
  if (parts[0] === 'api' && parts.length >= 3) {
    apiPrefix = 'api';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiPrefix = 'apis';
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return nonResource;

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  const isWatch = query.get('watch') === 'true' || query.get('watch') === '1';
  let verb: string;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name ? 'get' : isWatch ? 'watch' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = lower;
  }
  return {
    resourceRequest: true,
    path,
    verb,
    apiPrefix,
    group,
    version,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(resource !== undefined ? { resource } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
    extra,
  };
}
