import { RemotelerError } from '@remoteler/core';

/** How a request whose answer must be filtered is sent upstream. */
export interface FilteredRequest {
  /** The Accept header for the API server: the client's JSON media ranges only. */
  readonly accept: string;
  /** The query string for the API server (`includeObject` raised to `Metadata` for Tables). */
  readonly query: string;
}

const JSON_RANGE = /^application\/json$/i;
const ANY_RANGE = /^(?:\*\/\*|application\/\*)$/i;

/**
 * Rewrites a list or watch request whose answer the Proxy must filter so that the API server
 * answers in a form it can read: JSON only (protobuf and YAML ranges removed; a `*\/*` or
 * `application/*` range becomes `application/json`), `as=Table` kept, and `includeObject=Metadata`
 * unless the client asked for `Object`, because a Table row is judged by `rows[].object.metadata`
 * and `None` would leave it out (k8s-protocols §2.2). A client that accepts no JSON at all is
 * refused with `RMT_PROXY_FILTER_UNSUPPORTED` (406).
 */
export function negotiateFilteredRequest(accept: string | undefined, query: string): FilteredRequest {
  const ranges: string[] = [];
  // Without an Accept header the API server answers JSON (its default serializer).
  const given = accept === undefined || accept.trim() === '' ? ['application/json'] : accept.split(',');
  for (const part of given) {
    const [type = '', ...params] = part.split(';').map((p) => p.trim());
    if (JSON_RANGE.test(type)) ranges.push([type, ...params.filter((p) => !/^q=/i.test(p))].join(';'));
    else if (ANY_RANGE.test(type)) ranges.push('application/json');
  }
  if (ranges.length === 0)
    throw new RemotelerError(
      'RMT_PROXY_FILTER_UNSUPPORTED',
      `your roles allow only some objects of this collection, so the Proxy filters the answer, which it can do for JSON only; the request accepts only ${JSON.stringify(String(accept).slice(0, 120))}`,
    );
  const unique = [...new Set(ranges)];
  const table = unique.some((range) => /;\s*as=Table(?:;|$)/i.test(range));
  let upstreamQuery = query;
  if (table) {
    const params = new URLSearchParams(query);
    const include = params.get('includeObject');
    if (include !== 'Object' && include !== 'Metadata') {
      params.set('includeObject', 'Metadata');
      upstreamQuery = params.toString();
    }
  }
  return { accept: unique.join(','), query: upstreamQuery };
}
