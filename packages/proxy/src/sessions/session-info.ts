import type { ProxyExchange } from '../pipeline/exchange.js';

/** What an exec/attach/port-forward session is, read from the upgrade request. */
export interface SessionInfo {
  /** A fresh UUID; the same in `session.start`, `session.end` and the recording. */
  readonly sessionId: string;
  readonly kind: 'exec' | 'attach' | 'portforward';
  readonly user: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly pod: string;
  /** Absent when the request named no container (the pod's default one). */
  readonly container?: string;
  /** The `command=` query parameters in order; empty for attach and port-forward. */
  readonly command: readonly string[];
  readonly tty: boolean;
  /** Ports of a port-forward: the `ports=` query (WebSocket) and the `port` headers of SPDY streams. */
  readonly ports: number[];
  /** The negotiated protocol (`v5.channel.k8s.io`, `SPDY/3.1+v4.channel.k8s.io`…). Filled at the 101. */
  protocol: string;
  /** When the session was established. */
  startedAt: Date;
}

const flag = (value: string | null) => value !== null && value !== 'false' && value !== '0';

/**
 * Reads the session's description from an authorized upgrade exchange, or `undefined` for upgrades
 * that are not exec/attach/port-forward (nothing to audit as a session). The exec request carries
 * its command as repeated `command=` parameters and `tty=true` (k8s-protocols §5).
 */
export function describeSession(
  exchange: ProxyExchange,
  sessionId: string,
  at: Date,
): SessionInfo | undefined {
  const attributes = exchange.attributes;
  const kind = attributes?.subresource;
  if (attributes?.resource !== 'pods' || (kind !== 'exec' && kind !== 'attach' && kind !== 'portforward'))
    return undefined;
  const params = new URLSearchParams(exchange.route?.query ?? '');
  const container = params.get('container');
  const ports = params
    .getAll('ports')
    .flatMap((value) => value.split(','))
    .map(Number)
    .filter((port) => Number.isInteger(port) && port > 0 && port < 65_536);
  return {
    sessionId,
    kind,
    user: exchange.identity?.username ?? '',
    cluster: exchange.cluster?.name ?? '',
    namespace: attributes.namespace,
    pod: attributes.name,
    ...(container ? { container } : {}),
    command: kind === 'exec' ? params.getAll('command') : [],
    tty: flag(params.get('tty')),
    ports,
    protocol: '',
    startedAt: at,
  };
}
