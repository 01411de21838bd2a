import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';

/**
 * A request the Proxy received: over HTTP/1.1 (`IncomingMessage`) or over HTTP/2, which kubectl
 * negotiates by ALPN for everything but exec, attach and port-forward (`Http2ServerRequest`, the
 * node:http2 compatibility API). Both expose method, url, headers, rawHeaders, socket and the body.
 */
export type ProxyRequest = IncomingMessage | Http2ServerRequest;

/** The response to a {@link ProxyRequest}. */
export type ProxyResponse = ServerResponse | Http2ServerResponse;

/** Whether the request arrived on an HTTP/2 stream. */
export function isHttp2Request(req: ProxyRequest): req is Http2ServerRequest {
  return req.httpVersionMajor === 2;
}

/**
 * The request's header lines by lower-case name, each line separately: Node's `headersDistinct`
 * for HTTP/1.1, and the same built from the raw header list for HTTP/2 (whose compatibility API
 * has no such view and joins repeated lines), pseudo-headers left out. Security decisions read
 * this, never the joined `headers`.
 */
export function headersDistinctOf(req: ProxyRequest): Record<string, string[]> {
  if (!isHttp2Request(req)) return req.headersDistinct as Record<string, string[]>;
  const distinct: Record<string, string[]> = Object.create(null);
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name.startsWith(':')) continue;
    const value = raw[i + 1] as string;
    const values = distinct[name];
    if (values) values.push(value);
    else distinct[name] = [value];
  }
  return distinct;
}

/**
 * Ends a response that cannot be completed so that the client sees it incomplete: over HTTP/1.1 the
 * connection is dropped; over HTTP/2 only the exchange's stream is reset, with INTERNAL_ERROR as Go's
 * net/http does for an aborted handler, and the client's other streams on that connection go on. (A
 * plain `destroy()` resets with NO_ERROR, and node:http2 clients read NO_ERROR and CANCEL resets as
 * a normal end of the response.)
 */
export function cutResponse(res: ProxyResponse): void {
  if ('stream' in res) res.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  else res.destroy();
}

/**
 * Whether the response went out in full, as opposed to being cut short by either side. Not
 * `writableFinished` alone: node:http2 ends the writable side of a stream the client reset
 * (RST_STREAM), so there a response the client abandoned looks finished; such a stream is marked
 * `aborted`.
 */
export function responseFinished(res: ProxyResponse): boolean {
  return res.writableFinished && !('stream' in res && res.stream.aborted);
}

/**
 * The size of an HTTP/2 header list as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 §6.5.2):
 * each field's name and value octets plus 32. node:http2 advertises the limit but does not enforce
 * it on what it receives, so the Proxy does.
 */
export function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    size += Buffer.byteLength(rawHeaders[i] as string) + Buffer.byteLength(rawHeaders[i + 1] as string) + 32;
  return size;
}

/**
 * Whether the request carries a body: over HTTP/1.1 a `Transfer-Encoding` or a non-zero
 * `Content-Length`; over HTTP/2 any DATA after the headers (`Content-Length` is optional there).
 */
export function requestHasBody(req: ProxyRequest): boolean {
  const length = req.headers['content-length'];
  if (isHttp2Request(req)) return !req.stream.endAfterHeaders && length !== '0';
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
