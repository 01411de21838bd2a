import { parse as parseYaml } from 'yaml';
import type { AnyRequest } from '../server/dual-protocol-server.js';
import { failure, StatusError, statusErrors } from './status.js';

/** The base media type of a Content-Type header (parameters after `;` dropped, lower-cased). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Reads a request body, refusing more than `limit` bytes with 413 as the API server does. */
export async function readBody(req: AnyRequest, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new StatusError(
        failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`),
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Decodes a JSON (or, for apply patches, YAML) body; malformed input is a 400 BadRequest. */
export function decodeBody(body: Buffer, type: string): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw statusErrors.badRequest('the request body is empty; an object is required');
  if (type === 'application/apply-patch+yaml' || type === 'application/yaml') {
    // JSON is YAML, and kubectl sends JSON under the yaml type for server-side apply (§4.2).
    try {
      return parseYaml(text);
    } catch (error) {
      throw statusErrors.badRequest(`error converting YAML to JSON: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    // apimachinery's json serializer wording: the GVK sniff fails first on malformed JSON.
    throw statusErrors.badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
}
