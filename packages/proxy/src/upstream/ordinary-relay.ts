import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { responseHeadersForClient } from '../impersonation/upstream-headers.js';

/** An ordinary (short) request as the forward step sends it upstream. */
export interface OrdinaryRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  /** The client's body stream, or null when the request has none. */
  readonly body: Readable | null;
}

/**
 * Answers of at most this many bytes (by their `Content-Length`) are collected and written to the
 * client in one piece; anything larger, or of unknown length, is streamed as it arrives.
 */
export const SMALL_ANSWER_BYTES = 64 * 1024;

/**
 * Sends one ordinary request through `dispatcher` and relays the answer to `res`, with undici's
 * dispatcher handler API instead of a body stream and `stream.pipeline`: a small answer with a
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
  dispatcher: Dispatcher,
  request: OrdinaryRequest,
  res: ServerResponse,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
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
      if (res.writableFinished) return settle();
      clientGone = true;
      if (!upstreamDone) controller?.abort(new Error('the client went away'));
      settle();
    };
    const resume = () => controller?.resume();
    res.on('close', onClientClose);

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (clientGone) started.abort(new Error('the client went away'));
      },
      onResponseStart(_controller, statusCode, headers) {
        status = statusCode;
        clientHeaders = responseHeadersForClient(headers);
        const length = headers['content-length'];
        const small =
          request.method !== 'HEAD' &&
          typeof length === 'string' &&
          /^\d{1,9}$/.test(length) &&
          Number(length) <= SMALL_ANSWER_BYTES;
        if (small) collected = [];
        else res.writeHead(statusCode, clientHeaders);
      },
      onResponseData(active, chunk) {
        if (collected) {
          collected.push(chunk);
          return;
        }
        if (!res.write(chunk)) {
          active.pause();
          res.once('drain', resume);
        }
      },
      onResponseEnd() {
        upstreamDone = true;
        if (clientGone) return;
        const done = () => settle();
        if (collected) {
          const body = collected.length === 1 ? (collected[0] as Buffer) : Buffer.concat(collected);
          res.writeHead(status, clientHeaders);
          res.end(body, done);
        } else res.end(done);
      },
      onResponseError(_controller, error) {
        upstreamDone = true;
        if (clientGone) return settle();
        // Part of the answer may be on the wire: the only honest signal left is the cut connection.
        if (res.headersSent) res.destroy();
        settle(error);
      },
    };
    dispatcher.dispatch(
      {
        method: request.method as Dispatcher.HttpMethod,
        path: request.path,
        headers: request.headers,
        body: request.body,
      },
      handler,
    );
  });
}
