import type { SecureContext } from 'node:tls';
import { Pool } from 'undici';
import type { ProxyCluster } from '../routing/cluster.js';
import { Http2StreamingClient, poolRequester, type StreamingRequester } from './h2-streaming-client.js';
import { Http1Client } from './http1/http1-client.js';
import {
  type ResolvedUpstream,
  type ResolveUpstreamOptions,
  resolveUpstream,
  upstreamSecureContext,
} from './resolve-upstream.js';

/** The dispatchers of one cluster. */
export interface ClusterDispatchers {
  readonly upstream: ResolvedUpstream;
  /**
   * The TLS context every connection to this API server uses (its CA, the Proxy's client
   * certificate), made once: building one per connection parses the PEM material each time.
   */
  readonly secureContext: SecureContext;
  /**
   * Ordinary requests relayed to a client (the bulk of kubectl's traffic): the Proxy's own
   * keep-alive HTTP/1.1 client, about half undici's cost per request.
   */
  readonly ordinary: Http1Client;
  /**
   * Keep-alive undici pool for requests whose answer the Proxy reads or rewrites itself (access
   * reviews, filtered lists, the startup impersonation check).
   */
  readonly regular: Pool;
  /**
   * For watches and `follow` logs: HTTP/2 when the API server offers it (many streams share a
   * connection), else HTTP/1.1 with no body or headers timeout and no connection cap.
   */
  readonly streaming: StreamingRequester;
}

/** Options for {@link UpstreamPool}. */
export interface UpstreamPoolOptions extends ResolveUpstreamOptions {
  /** Idle keep-alive time of upstream connections, in ms. Default 30 000. */
  readonly keepAliveTimeoutMs?: number;
  /** Carry watches and `logs -f` over HTTP/2 where the API server offers it. Default true. */
  readonly http2Streaming?: boolean;
}

interface Entry {
  readonly cluster: ProxyCluster;
  readonly dispatchers: Promise<ClusterDispatchers>;
}

/**
 * One set of undici pools per cluster, created on first use and closed when the cluster is removed
 * or replaced (a replaced cluster object means new credentials: new connections).
 */
export class UpstreamPool {
  readonly #options: UpstreamPoolOptions;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(options: UpstreamPoolOptions = {}) {
    this.#options = options;
  }

  /** The dispatchers for `cluster`; rejects with the resolution error (bad kubeconfig, missing token file…). */
  dispatchersFor(cluster: ProxyCluster): Promise<ClusterDispatchers> {
    const existing = this.#entries.get(cluster.name);
    if (existing && existing.cluster === cluster) return existing.dispatchers;
    if (existing) this.release(cluster.name);
    const dispatchers = this.#create(cluster);
    const entry: Entry = { cluster, dispatchers };
    this.#entries.set(cluster.name, entry);
    // A failed resolution is not cached: the next request tries again (the file may be fixed by then).
    dispatchers.catch(() => {
      if (this.#entries.get(cluster.name) === entry) this.#entries.delete(cluster.name);
    });
    return dispatchers;
  }

  /** Closes a cluster's pools after their in-flight requests end. */
  release(name: string): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    this.#entries.delete(name);
    void entry.dispatchers.then(
      (d) => Promise.all([d.ordinary.close(), d.regular.close(), d.streaming.close()]),
      () => undefined,
    );
  }

  /** Destroys every pool (open streams are cut). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(
      entries.map((entry) =>
        entry.dispatchers.then(
          (d) => Promise.all([d.ordinary.destroy(), d.regular.destroy(), d.streaming.destroy()]),
          () => undefined,
        ),
      ),
    );
  }

  async #create(cluster: ProxyCluster): Promise<ClusterDispatchers> {
    const upstream = await resolveUpstream(cluster.upstream, this.#options);
    if (this.#closed) throw new Error('upstream pool closed');
    const { servername } = upstream.tls;
    const secureContext = upstreamSecureContext(upstream.tls);
    const connect = {
      secureContext,
      ...(servername !== undefined && { servername }),
      rejectUnauthorized: true,
    };
    // HTTP/2 upstream stays off: undici 7's HTTP/2 client joins repeated request headers into one
    // field ("a, b"; only `cookie` is kept apart), and the API server reads every Impersonate-Group
    // field line as one group name (k8s-protocols §10.1), so two groups would become one bogus
    // group. HTTP/1.1 sends one line per value. Watches then need one connection each.
    // Long-running requests go over node:http2 instead (Http2StreamingClient), which sends one
    // field per value.
    const allowH2 = false;
    const keepAliveTimeout = this.#options.keepAliveTimeoutMs ?? 30_000;
    const http1Streaming = poolRequester(
      new Pool(upstream.origin, {
        connect,
        allowH2,
        keepAliveTimeout,
        bodyTimeout: 0,
        headersTimeout: 0,
      }),
    );
    return {
      upstream,
      secureContext,
      ordinary: new Http1Client({
        origin: upstream.origin,
        secureContext,
        ...(servername !== undefined && { servername }),
        keepAliveTimeoutMs: keepAliveTimeout,
      }),
      regular: new Pool(upstream.origin, { connect, allowH2, keepAliveTimeout }),
      streaming:
        this.#options.http2Streaming === false
          ? http1Streaming
          : new Http2StreamingClient({
              origin: upstream.origin,
              tls: upstream.tls,
              secureContext,
              fallback: http1Streaming,
              idleTimeoutMs: keepAliveTimeout,
            }),
    };
  }
}
