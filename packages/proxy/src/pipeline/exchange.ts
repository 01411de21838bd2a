import type { Duplex, Readable } from 'node:stream';
import type { AccessChecker, Identity, KubeRequestAttributes } from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import type { ImpersonatedPrincipals } from '../impersonation/impersonation.js';
import type { ProxyRequest, ProxyResponse } from '../listener/http-messages.js';
import type { ProxyCluster } from '../routing/cluster.js';
import type { RouteTarget } from '../routing/route-request.js';
import type { RelayObserver } from '../sessions/relay-observer.js';

/**
 * One client request travelling through the pipeline. Each security step fills in what it
 * established; later steps read it. `upstreamHeaders` is frozen once built, so a host step running
 * after `impersonate` cannot add or change what goes upstream.
 */
export interface ProxyExchange {
  /** `request` for ordinary HTTP, `upgrade` for exec/attach/port-forward handshakes. */
  readonly kind: 'request' | 'upgrade';
  /** The request, over HTTP/1.1 or HTTP/2 (upgrades: HTTP/1.1 only). */
  readonly req: ProxyRequest;
  /** The response, for `request` exchanges. */
  readonly res: ProxyResponse | undefined;
  /**
   * The client's transport: for `upgrade` exchanges the raw socket to answer on; for HTTP/2
   * requests the exchange's own stream, so that cutting it leaves the connection's other streams.
   */
  readonly socket: Duplex;
  /** Bytes the client sent after the upgrade request head (`upgrade` only). */
  readonly head: Buffer | undefined;
  /** When the request arrived; the instant certificate validity is judged at. */
  readonly receivedAt: Date;
  /** The client's IP address, captured on arrival (the socket may be gone when the exchange ends). */
  readonly clientAddress: string | undefined;
  /**
   * Aborted when the client goes away before the exchange ends. Made on first use: reading
   * {@link aborted} is cheaper when a step only needs to know.
   */
  readonly signal: AbortSignal;
  /** Whether the client went away before the exchange ended. */
  readonly aborted: boolean;
  identity?: Identity;
  route?: RouteTarget;
  cluster?: ProxyCluster;
  /** The policy decisions for this identity, built from the current role definitions. */
  checker?: AccessChecker;
  /** The request as the policy engine understood it (verb, resource, namespace, name…). */
  attributes?: KubeRequestAttributes;
  principals?: ImpersonatedPrincipals;
  upstreamHeaders?: Readonly<Record<string, string | readonly string[]>>;
  /** The HTTP status the client got (set by the forwarder or by a refusal). */
  status?: number;
  /** The refusal or failure, when there was one. */
  error?: RemotelerError;
  /** The request body to forward instead of `req` (the body cap's counting stream); `req` when absent. */
  requestBody?: Readable;
  /**
   * Headers for the refusal of an `upgrade` exchange (e.g. `Retry-After`), which has no response
   * object to set them on; a `request` exchange sets them on `res` instead.
   */
  refusalHeaders?: Record<string, string>;
  /** Session audit/recording observer handed to the upgrade relay (`upgrade` only). */
  relayObserver?: RelayObserver;
}

/** Reads a field a previous security step must have set; a missing one is a pipeline bug. */
export function established<
  K extends 'identity' | 'route' | 'cluster' | 'checker' | 'attributes' | 'principals' | 'upstreamHeaders',
>(exchange: ProxyExchange, field: K): NonNullable<ProxyExchange[K]> {
  const value = exchange[field];
  if (value === undefined)
    throw new RemotelerError('RMT_INTERNAL', `pipeline step ran before "${field}" was established`);
  return value as NonNullable<ProxyExchange[K]>;
}

/**
 * The Proxy's own {@link ProxyExchange}: a class, so that every exchange has one shape and its
 * accessors live on the prototype (an object literal with getters costs more per request). The
 * AbortController behind `signal` is made only when a step reads it; most requests never do.
 */
export class PipelineExchange implements ProxyExchange {
  identity?: Identity;
  route?: RouteTarget;
  cluster?: ProxyCluster;
  checker?: AccessChecker;
  attributes?: KubeRequestAttributes;
  principals?: ImpersonatedPrincipals;
  upstreamHeaders?: Readonly<Record<string, string | readonly string[]>>;
  status?: number;
  error?: RemotelerError;
  requestBody?: Readable;
  refusalHeaders?: Record<string, string>;
  relayObserver?: RelayObserver;
  #controller: AbortController | undefined;
  #aborted = false;

  constructor(
    readonly kind: 'request' | 'upgrade',
    readonly req: ProxyRequest,
    readonly res: ProxyResponse | undefined,
    readonly socket: Duplex,
    readonly head: Buffer | undefined,
    readonly receivedAt: Date,
    readonly clientAddress: string | undefined,
  ) {}

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#aborted && !this.#controller.signal.aborted) this.#controller.abort();
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** The client went away before the exchange ended. */
  abort(): void {
    this.#aborted = true;
    this.#controller?.abort();
  }
}
