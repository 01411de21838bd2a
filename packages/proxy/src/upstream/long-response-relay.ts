import type { Readable } from 'node:stream';
import { cutResponse, type ProxyResponse, responseFinished } from '../listener/http-messages.js';

/** The upstream body stopped before its end, or the client connection closed before the response finished. */
export class PrematureCloseError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
  constructor(which: 'upstream' | 'client') {
    super(`the ${which} side closed before the response ended`);
  }
}

/**
 * Streams an answer from the upstream body to the client response (watches, `logs -f`, and the
 * answers of filtered requests that need no filtering) with `body.pipe(res)`: backpressure both
 * ways (for an HTTP/2 upstream stream, pausing withholds its flow-control window, so the API server
 * stops sending), and the response's `pipe` event names the source, which a host may use to stop
 * relaying at an event boundary and end the response cleanly (the reference server's shutdown
 * drain does). Resolves when the response finished, and lets go of an upstream body that has not
 * ended by then; rejects when the upstream body failed or stopped early, or when the client
 * connection closed first, and then destroys both sides, which resets the upstream stream.
 *
 * Not `stream.pipeline(body, res)`: it keeps an AbortController, two end-of-stream trackers and
 * about thirty closures per pair, and an open watch holds them for its whole life.
 */
export function relayLongResponse(body: Readable, res: ProxyResponse): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      if (error === undefined) {
        if (!body.readableEnded) body.destroy();
        resolve();
      } else {
        body.destroy();
        cutResponse(res);
        reject(error);
      }
    };
    // on(), not once(): each once() wraps its listener in a bound function and a state object that
    // a watch would keep for hours; these events come once anyway, and `settle` runs only once.
    body.on('error', settle);
    body.on('close', () => {
      if (!body.readableEnded) settle(new PrematureCloseError('upstream'));
    });
    // node:http2 also emits 'finish' for a stream the client reset; 'close' reports that one.
    res.on('finish', () => {
      if (responseFinished(res)) settle(undefined);
    });
    res.on('error', settle);
    res.on('close', () => {
      if (!responseFinished(res)) settle(new PrematureCloseError('client'));
    });
    body.pipe(res);
  });
}
