import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** A `metav1.Status` failure body as the API server sends it on HTTP errors (k8s-protocols.md §12). */
export interface FailureStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly code: number;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** Builds a Failure Status whose `code` matches the HTTP status. */
export function failureStatus(
  code: number,
  message: string,
  reason = REASONS[code] ?? 'Unknown',
): FailureStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/**
 * Answers an upgrade request that will not be upgraded, on the raw socket (the HTTP server has handed
 * it over), then closes the connection.
 */
export function writeRawResponse(
  socket: Duplex,
  code: number,
  body: string | Buffer = '',
  headers: ReadonlyArray<readonly [string, string]> = [],
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const lines = [`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Unknown'}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${bytes.length}`, 'Connection: close', '', '');
  if (socket.destroyed) return;
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n')), bytes]));
}

/** Answers with a JSON Status body, as the API server does for rejected exec/attach/portforward requests. */
export function writeStatusResponse(socket: Duplex, status: FailureStatus): void {
  writeRawResponse(socket, status.code, JSON.stringify(status), [['Content-Type', 'application/json']]);
}
