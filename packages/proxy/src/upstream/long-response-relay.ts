import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/** The upstream body stopped before its end, or the client connection closed before the response finished. */
export class PrematureCloseError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
  constructor(which: 'upstream' | 'client') {
    super(`the ${which} side closed before the response ended`);
  }
}

/**
 * Streams an answer from the upstream body to the client response (watches, `logs -f`, and the
 * answers of filtered requests that need no filtering)
 * with backpressure: a `write` that returns false pauses the upstream body until the client drains
 * (for an HTTP/2 upstream stream, pausing withholds its flow-control window, so the API server
 * stops sending). Resolves when the response finished; rejects when the upstream body failed or
 * stopped early, or when the client connection closed first, and then destroys both sides, which
 * resets the upstream stream.
 *
 * What `stream.pipeline(body, res)` does for two streams, with eight listeners sharing one closure
 * scope: pipeline keeps an AbortController, two end-of-stream trackers and about thirty closures
 * per pair, and an open watch holds them for its whole life.
 */
export function relayLongResponse(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      res.off('drain', onDrain);
      if (error === undefined) resolve();
      else {
        body.destroy();
        res.destroy();
        reject(error);
      }
    };
    const onData = (chunk: Buffer) => {
      if (!res.write(chunk)) body.pause();
    };
    const onDrain = () => body.resume();
    // on(), not once(): each once() wraps its listener in a bound function and a state object that
    // a watch would keep for hours; these events come once anyway, and `settle` runs only once.
    body.on('data', onData);
    body.on('end', () => res.end());
    body.on('error', settle);
    body.on('close', () => {
      if (!body.readableEnded) settle(new PrematureCloseError('upstream'));
    });
    res.on('drain', onDrain);
    res.on('finish', settle);
    res.on('error', settle);
    res.on('close', () => {
      if (!res.writableFinished) settle(new PrematureCloseError('client'));
    });
  });
}
