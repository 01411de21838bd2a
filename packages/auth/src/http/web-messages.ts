import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/**
 * A web API request: HTTP/1.1, or HTTP/2 when a host (the Proxy's web port) negotiated it with the
 * client by ALPN. Both expose method, url, headers, rawHeaders, socket and the body.
 */
export type WebApiRequest = IncomingMessage | Http2ServerRequest;

/** The response to a {@link WebApiRequest}. */
export type WebApiResponse = ServerResponse | Http2ServerResponse;

/**
 * The lines of one header, each separately (never joined): `headersDistinct` over HTTP/1.1, the
 * raw header list over HTTP/2, whose compatibility API has no distinct view.
 */
export function headerLines(request: WebApiRequest, name: string): string[] | undefined {
  if (request.httpVersionMajor !== 2) return (request as IncomingMessage).headersDistinct[name];
  const lines: string[] = [];
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2)
    if ((raw[i] as string).toLowerCase() === name) lines.push(raw[i + 1] as string);
  return lines.length > 0 ? lines : undefined;
}

/**
 * Whether the request carries a body: a `Transfer-Encoding` or non-zero `Content-Length` over
 * HTTP/1.1; over HTTP/2 any DATA after the headers (`Content-Length` is optional there).
 */
export function hasRequestBody(request: WebApiRequest): boolean {
  const declared = request.headers['content-length'];
  if (request.httpVersionMajor === 2)
    return !(request as Http2ServerRequest).stream.endAfterHeaders && declared !== '0';
  return request.headers['transfer-encoding'] !== undefined || (declared !== undefined && declared !== '0');
}
