import type { Readable } from 'node:stream';
import { responseHeadersForClient } from '../impersonation/upstream-headers.js';
import { cutResponse, type ProxyResponse, responseFinished } from '../listener/http-messages.js';
import type { Http1Client, Http1Control, Http1ResponseHandler } from './http1/http1-client.js';
import { Http1ProtocolError } from './http1/response-parser.js';

/** An ordinary (short) request as the forward step sends it upstream. */
export interface OrdinaryRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  /** The client's body stream, or null when the request has none. */
  readonly body: Readable | null;
}

/** A head the client's response refused to carry, reported like a malformed upstream answer. */
function unrelayable(error: unknown): Http1ProtocolError {
  return new Http1ProtocolError(
    `its head cannot be passed on to the client: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

/**
 * Answers of at most this many bytes (by their `Content-Length`) are collected and written to the
 * client in one piece; anything larger, or of unknown length, is streamed as it arrives.
 */
export const SMALL_ANSWER_BYTES = 64 * 1024;

/**
 * Sends one ordinary request through the cluster's {@link Http1Client} and relays the answer to
 * `res` from the client's callbacks, with no body stream in between: a small answer with a
 * known length is collected and written with its head in one `res.end` (one TLS write), a larger
 * or open-ended one is streamed with backpressure (upstream reading pauses while `res` is full).
 * The upstream request is aborted when the client connection closes first. Hop-by-hop response
 * headers are dropped.
 *
 * Resolves with the upstream status once the answer was handed to the client, or when the client
 * went away (the caller can tell by its own exchange state). Rejects with the upstream error when
 * the request failed: if nothing was written yet (`res.headersSent` is false) the caller still owns
 * the response and answers with a Status; otherwise the connection was already cut here.
 */
export function relayOrdinaryRequest(
  client: Http1Client,
  request: OrdinaryRequest,
  res: ProxyResponse,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let controller: Http1Control | undefined;
    let status = 0;
    let clientHeaders: Record<string, string | string[]> = {};
    let collected: Buffer[] | undefined;
    let upstreamDone = false;
    let clientGone = false;
    let settled = false;

    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      res.off('close', onClientClose);
      if (error === undefined) resolve(status);
      else reject(error);
    };
    const onClientClose = () => {
      if (responseFinished(res)) return settle();
      clientGone = true;
      if (!upstreamDone) controller?.abort(new Error('the client went away'));
      settle();
    };
    const resume = () => controller?.resume();
    res.on('close', onClientClose);

    const handler: Http1ResponseHandler = {
      onResponseStart(_control, statusCode, headers) {
        status = statusCode;
        clientHeaders = responseHeadersForClient(headers);
        const length = headers['content-length'];
        const small =
          request.method !== 'HEAD' &&
          typeof length === 'string' &&
          length.length < 10 &&
          Number(length) <= SMALL_ANSWER_BYTES;
        if (small) collected = [];
        else {
          try {
            res.writeHead(statusCode, clientHeaders);
          } catch (error) {
            // Reported through onResponseError, which ends the request.
            throw unrelayable(error);
          }
        }
      },
      onResponseData(active, chunk) {
        if (collected) {
          collected.push(chunk);
          return;
        }
        // Both response kinds take a Buffer; TypeScript cannot call the union of their overloads.
        if (!(res as { write(chunk: Buffer): boolean }).write(chunk)) {
          active.pause();
          res.once('drain', resume);
        }
      },
      onResponseEnd() {
        upstreamDone = true;
        if (clientGone) return;
        const done = () => settle();
        try {
          if (collected) {
            const body = collected.length === 1 ? (collected[0] as Buffer) : Buffer.concat(collected);
            res.writeHead(status, clientHeaders);
            res.end(body, done);
          } else res.end(done);
        } catch (error) {
          // The client's protocol refused the head (the client cannot get this answer as it is);
          // the request must still end, as a malformed answer does.
          if (res.headersSent) cutResponse(res);
          settle(unrelayable(error));
        }
      },
      onResponseError(_control, error) {
        upstreamDone = true;
        if (clientGone) return settle();
        // Part of the answer may be on the wire: the only honest signal left is the cut connection.
        if (res.headersSent) cutResponse(res);
        settle(error);
      },
    };
    controller = client.request(
      {
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body,
      },
      handler,
    );
  });
}
