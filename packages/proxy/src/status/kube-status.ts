import { STATUS_CODES, validateHeaderName, validateHeaderValue } from 'node:http';
import type { Duplex } from 'node:stream';
import { RemotelerError } from '@remoteler/core';
import { cutResponse, type ProxyResponse } from '../listener/http-messages.js';

/**
 * A Kubernetes `meta/v1` Status object (k8s-protocols §12). kubectl prints a failure as
 * `Error from server (<reason>): <message>`, so every refusal of the Proxy is sent in this shape.
 */
export interface KubeStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: { readonly causes: readonly { readonly reason: string; readonly message: string }[] };
  readonly code: number;
}

// StatusReason strings of apimachinery `pkg/apis/meta/v1/types.go`, keyed by HTTP status.
const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  429: 'TooManyRequests',
  431: 'BadRequest',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/**
 * The Status for an error. Anything that is not a {@link RemotelerError} becomes `RMT_INTERNAL`
 * without its message, so that no internal detail (paths, addresses, secrets) reaches a client.
 * The Remoteler code is both in the message (what a person reads) and in `details.causes`.
 */
export function kubeStatusFor(error: unknown): KubeStatus {
  const known = RemotelerError.is(error)
    ? error
    : new RemotelerError('RMT_INTERNAL', 'the Proxy failed while handling the request');
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: known.userMessage,
    reason: REASONS[known.status] ?? 'Unknown',
    details: { causes: [{ reason: known.code, message: known.hint }] },
    code: known.status,
  };
}

/** Answers an HTTP request with the Status for `error`, unless a response has already started. */
export function sendStatus(res: ProxyResponse, error: unknown): void {
  const status = kubeStatusFor(error);
  if (res.headersSent) {
    // Part of an upstream answer is already on the wire; the only honest signal left is to cut it.
    cutResponse(res);
    return;
  }
  const body = JSON.stringify(status);
  res.writeHead(status.code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Whether `name: value` can go into a response head as is (a CR/LF would split the response). */
function isValidHeader(name: string, value: string): boolean {
  try {
    validateHeaderName(name);
    // Rejects CR, LF and other control characters in the value.
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Answers an HTTP upgrade request (exec, attach, port-forward) that will not be upgraded: a plain
 * HTTP/1.1 response with the Status body, then the connection is closed. kubectl reads a non-101
 * Status body as the error (k8s-protocols §5.1, §6.1), and falls back from WebSocket to SPDY on it.
 * `headers` (default none) go into the response head too, e.g. `Retry-After` on a 429
 * (RFC 9110 §10.2.3); one whose name or value is not valid HTTP is left out rather than sent.
 */
export function sendStatusOnSocket(
  socket: Duplex,
  error: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const status = kubeStatusFor(error);
  const body = JSON.stringify(status);
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const extra = Object.entries(headers)
    .filter(([name, value]) => isValidHeader(name, value))
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? status.reason}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Cache-Control: no-store\r\n' +
      extra +
      'Connection: close\r\n\r\n' +
      body,
  );
}
