import { RemotelerError } from '@remoteler/core';
import type { ImpersonationHeaders } from '../auth/impersonation.js';
import type { UserInfo } from '../auth/user-info.js';
import type { AnyRequest } from './dual-protocol-server.js';

/** One request as the simulator saw it, for assertions on who the API server saw. */
export interface RecordedRequest {
  readonly method: string;
  /** URL path without the query. */
  readonly path: string;
  /** Query parameters; repeated keys keep every value. */
  readonly query: Readonly<Record<string, readonly string[]>>;
  /** `h2` or `http/1.1`. */
  readonly protocol: 'h2' | 'http/1.1';
  /** The identity authorization saw: the impersonated one when impersonating. Undefined for anonymous. */
  readonly user: UserInfo | undefined;
  /** The authenticated caller (client certificate or token), before impersonation. */
  readonly authenticatedUser: UserInfo | undefined;
  /** The Impersonate-* headers, decoded; undefined when none were sent. */
  readonly impersonation: ImpersonationHeaders | undefined;
  /** The verb the request was authorized as (get, list, watch, create, …), for resource requests. */
  readonly verb?: string;
  /** HTTP status of the answer (101 for an accepted upgrade). */
  readonly status: number;
  /** True when the request asked for a protocol upgrade (exec, attach, port-forward). */
  readonly upgrade: boolean;
  readonly userAgent?: string;
  /** Request headers (HTTP/2 pseudo-headers included); Authorization and Cookie values masked. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Options for {@link KubeApiSimulator.waitForRequest}. */
export interface WaitForRequestOptions {
  /** Default 10 000 ms. */
  readonly timeoutMs?: number;
}

type Waiter = { predicate: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void };

/**
 * The simulator's record of requests, bounded (oldest dropped first, so that a long-running
 * `remoteler-kube-sim` does not grow without end), with waiting for a matching request.
 */
export class RequestLog {
  private readonly recorded: RecordedRequest[] = [];
  private readonly waiters = new Set<Waiter>();

  /** @param max - entries kept. */
  constructor(private readonly max: number) {}

  /** Oldest first. */
  get entries(): readonly RecordedRequest[] {
    return this.recorded;
  }

  clear(): void {
    this.recorded.length = 0;
  }

  add(entry: RecordedRequest): void {
    this.recorded.push(entry);
    if (this.recorded.length > this.max) this.recorded.splice(0, this.recorded.length - this.max);
    for (const w of [...this.waiters]) if (w.predicate(entry)) w.resolve(entry);
  }

  /** The first entry (already recorded or future) that matches; `RMT_TESTKIT_WAIT_TIMEOUT` after `timeoutMs`. */
  waitFor(
    predicate: (r: RecordedRequest) => boolean,
    options: WaitForRequestOptions = {},
  ): Promise<RecordedRequest> {
    const found = this.recorded.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { predicate, resolve: (r) => finish(() => resolve(r)) };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new RemotelerError('RMT_TESTKIT_WAIT_TIMEOUT', 'no matching request reached the simulator'),
            ),
          ),
        options.timeoutMs ?? 10_000,
      );
      timer.unref();
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        fn();
      };
      this.waiters.add(waiter);
    });
  }
}

/**
 * Request headers for the record, with credentials masked: tests assert on identities
 * (`authenticatedUser`), and recorded requests may end up in test output.
 */
export function redactHeaders(headers: AnyRequest['headers']): Record<string, string | string[] | undefined> {
  const copy: Record<string, string | string[] | undefined> = { ...headers };
  const auth = copy.authorization;
  if (typeof auth === 'string') copy.authorization = `${auth.split(' ')[0]} <redacted>`;
  if (copy['proxy-authorization'] !== undefined) copy['proxy-authorization'] = '<redacted>';
  if (copy.cookie !== undefined) copy.cookie = '<redacted>';
  return copy;
}
