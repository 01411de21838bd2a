import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROXY_LIMITS,
  resolveProxyLimits,
  UserConcurrencyLimiter,
  UserRateLimiter,
} from '../src/index.js';

describe('limits: defaults', () => {
  it('documents 3 MiB bodies, 256 open exchanges, 50 requests/s with a burst of 100 and 30 min idle sessions', () => {
    expect(resolveProxyLimits(undefined)).toEqual({
      maxRequestBodyBytes: 3 * 1024 * 1024,
      maxConcurrentPerUser: 256,
      requestsPerSecond: 50,
      burst: 100,
      upgradeIdleTimeoutMs: 1_800_000,
    });
    expect(resolveProxyLimits({ burst: undefined })).toEqual(DEFAULT_PROXY_LIMITS);
    expect(Object.isFrozen(resolveProxyLimits({ burst: 5 }))).toBe(true);
  });

  it('takes 0 as "no limit"', () => {
    expect(resolveProxyLimits({ requestsPerSecond: 0, burst: 0, maxConcurrentPerUser: 0 })).toMatchObject({
      requestsPerSecond: 0,
      maxConcurrentPerUser: 0,
    });
  });
});

describe('limits: UserRateLimiter', () => {
  it('allows the burst, then one request per 1/rate seconds, and says when to retry', () => {
    let now = 0;
    const limiter = new UserRateLimiter({ ratePerSecond: 2, burst: 3, now: () => now });
    expect([1, 2, 3].map(() => limiter.take('alice').allowed)).toEqual([true, true, true]);
    expect(limiter.take('alice')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 500;
    expect(limiter.take('alice').allowed).toBe(true);
    expect(limiter.take('alice').allowed).toBe(false);
  });

  it('rounds Retry-After up to whole seconds for slow rates', () => {
    const limiter = new UserRateLimiter({ ratePerSecond: 0.1, burst: 1, now: () => 0 });
    limiter.take('alice');
    expect(limiter.take('alice')).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it('keeps memory bounded by forgetting users whose bucket refilled', () => {
    let now = 0;
    const limiter = new UserRateLimiter({ ratePerSecond: 1, burst: 1, now: () => now, maxTrackedUsers: 2 });
    limiter.take('a');
    limiter.take('b');
    now += 5_000;
    limiter.take('c');
    expect(limiter.size).toBe(1);
  });
});

describe('limits: UserConcurrencyLimiter', () => {
  it('hands out at most max slots per user; giving one back twice frees it once', () => {
    const limiter = new UserConcurrencyLimiter(2);
    const first = limiter.acquire('alice');
    const second = limiter.acquire('alice');
    expect(limiter.acquire('alice')).toBeUndefined();
    expect(limiter.acquire('bob')).toBeDefined();
    first?.();
    first?.();
    expect(limiter.openFor('alice')).toBe(1);
    expect(limiter.acquire('alice')).toBeDefined();
    second?.();
  });
});
