import { RemotelerError } from '@remoteler/core';

/** Per-user and per-request limits of the Proxy. Every field is optional; defaults below. */
export interface ProxyLimits {
  /**
   * Largest body of a non-streaming request, in bytes. Default 3 MiB (3 145 728), the API server's
   * own request body limit, so nothing the API server would take is refused earlier. `0` disables it.
   */
  readonly maxRequestBodyBytes?: number;
  /** Requests, watches and sessions one user may have open at once. Default 256. `0` disables it. */
  readonly maxConcurrentPerUser?: number;
  /** Sustained requests per second per user (token bucket refill rate). Default 50. `0` disables rate limiting. */
  readonly requestsPerSecond?: number;
  /** Requests a user may send at once above the sustained rate (bucket size). Default 100. */
  readonly burst?: number;
  /**
   * An exec/attach/port-forward session that relays no byte either way for this long is ended, in ms.
   * Default 1 800 000 (30 minutes). `0` disables it.
   */
  readonly upgradeIdleTimeoutMs?: number;
}

/** {@link ProxyLimits} with every default applied; `0` means "no limit". */
export type ResolvedProxyLimits = Required<ProxyLimits>;

/** The defaults of {@link ProxyLimits}. */
export const DEFAULT_PROXY_LIMITS: ResolvedProxyLimits = Object.freeze({
  maxRequestBodyBytes: 3 * 1024 * 1024,
  maxConcurrentPerUser: 256,
  requestsPerSecond: 50,
  burst: 100,
  upgradeIdleTimeoutMs: 30 * 60 * 1000,
});

/**
 * Applies defaults and validates once (at `createProxy`): each limit must be a non-negative finite
 * integer (`requestsPerSecond` may be fractional), and `burst` at least 1 when rate limiting is on.
 * Throws `RMT_CONFIG_INVALID` listing every problem.
 */
export function resolveProxyLimits(limits: ProxyLimits | undefined): ResolvedProxyLimits {
  if (limits !== undefined && (typeof limits !== 'object' || limits === null))
    throw new RemotelerError('RMT_CONFIG_INVALID', 'invalid proxy options: limits must be an object');
  const resolved = { ...DEFAULT_PROXY_LIMITS, ...stripUndefined(limits ?? {}) };
  const problems: string[] = [];
  for (const key of Object.keys(DEFAULT_PROXY_LIMITS) as (keyof ResolvedProxyLimits)[]) {
    const value = resolved[key];
    const integer = key !== 'requestsPerSecond';
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < 0 ||
      (integer && !Number.isInteger(value))
    )
      problems.push(`limits.${key} must be a non-negative ${integer ? 'integer' : 'number'}`);
  }
  if (resolved.requestsPerSecond > 0 && resolved.burst < 1)
    problems.push('limits.burst must be at least 1 when limits.requestsPerSecond is set');
  if (resolved.upgradeIdleTimeoutMs > 2_147_483_647)
    problems.push('limits.upgradeIdleTimeoutMs must be at most 2147483647 (about 24.8 days)');
  const unknown = Object.keys(limits ?? {}).filter((key) => !Object.hasOwn(DEFAULT_PROXY_LIMITS, key));
  for (const key of unknown) problems.push(`limits.${key} is not a known limit`);
  if (problems.length > 0)
    throw new RemotelerError('RMT_CONFIG_INVALID', `invalid proxy options: ${problems.join('; ')}`, {
      details: { problems },
    });
  return Object.freeze(resolved);
}

function stripUndefined(limits: ProxyLimits): ProxyLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
}
