import { RemotelerError } from '@remoteler/core';
import { hasRequestBody, type WebApiRequest } from './web-messages.js';

/**
 * Reads a JSON request body of at most `maxBytes`. A missing body is `{}` (endpoints whose every
 * field is optional); a body that is not `application/json` is refused before it is read, a larger
 * one as soon as the limit is passed (from Content-Length when present, so nothing is buffered).
 */
export async function readJsonBody(request: WebApiRequest, maxBytes: number): Promise<unknown> {
  const declared = request.headers['content-length'];
  if (!hasRequestBody(request)) return {};
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new RemotelerError(
      'RMT_AUTH_UNSUPPORTED_MEDIA_TYPE',
      `the body is ${type || 'untyped'}, not application/json`,
    );
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new RemotelerError('RMT_AUTH_REQUEST_INVALID', 'the body is not valid JSON');
  }
}

function tooLarge(maxBytes: number): RemotelerError {
  return new RemotelerError('RMT_AUTH_BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`, {
    details: { maxBytes },
  });
}
