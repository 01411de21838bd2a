import { randomUUID } from 'node:crypto';

// What an incoming `X-Request-Id` may look like to be reused: short, printable, no separators that
// could forge log fields or headers.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** A fresh request id (a random UUID). */
export function createRequestId(): string {
  return randomUUID();
}

/**
 * The request id to log under: the caller's `X-Request-Id` when it is 8-128 characters of
 * `[A-Za-z0-9._:-]` (so a load balancer's id correlates), otherwise a fresh one.
 */
export function requestIdFrom(header: string | readonly string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && ACCEPTABLE_ID.test(value) ? value : createRequestId();
}
