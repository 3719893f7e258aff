/**
 * The seed's rate limits: 100 requests a minute per IP unauthenticated, 1000 a minute per user, with the
 * `X-RateLimit-*` headers on every answer and a 429 with `retry_after` when a bucket is empty. Built on the
 * library's token-bucket `rateLimiter`.
 *
 * @module
 */
import { type RateLimiter, rateLimiter } from '../../../src/index.js';
import { ApiError } from './errors.js';

/** Limits per window. */
export interface RateLimits {
  /** Unauthenticated requests per IP per window. Seed: 100. */
  readonly perIp?: number;
  /** Authenticated requests per user per window. Seed: 1000. */
  readonly perUser?: number;
  /** The window, ms. Seed: 60 000. */
  readonly windowMs?: number;
}

/** Decides and reports limits for the API. */
export interface ApiRateLimiter {
  /**
   * Takes a token for `key` from the IP or user bucket. Returns the `X-RateLimit-*` headers; throws a 429
   * `ApiError` (with `retry_after` and the headers) when the bucket is empty.
   */
  take(kind: 'ip' | 'user', key: string): Record<string, string>;
}

function headers(limiter: RateLimiter, remaining: number, now: number): Record<string, string> {
  // Reset: when the bucket would be full again at the refill rate.
  const fullInMs = (limiter.capacity - remaining) / limiter.rate;
  return {
    'X-RateLimit-Limit': String(limiter.capacity),
    'X-RateLimit-Remaining': String(Math.max(0, remaining)),
    'X-RateLimit-Reset': String(Math.ceil((now + fullInMs) / 1000)),
  };
}

/**
 * Creates the API's limiter.
 *
 * @example
 * ```ts
 * const limits = apiRateLimiter({ perIp: 100, perUser: 1000 });
 * const rateHeaders = limits.take('user', claims.sub);
 * ```
 */
export function apiRateLimiter(options: RateLimits = {}): ApiRateLimiter {
  const windowMs = options.windowMs ?? 60_000;
  const perIp = options.perIp ?? 100;
  const perUser = options.perUser ?? 1000;
  const buckets = {
    ip: rateLimiter({ capacity: perIp, refill: perIp, interval: windowMs }),
    user: rateLimiter({ capacity: perUser, refill: perUser, interval: windowMs }),
  };
  return {
    take(kind, key) {
      const limiter = buckets[kind];
      const decision = limiter.tryAcquire(key);
      const now = Date.now();
      const rateHeaders = headers(limiter, decision.remaining, now);
      if (decision.allowed) return rateHeaders;
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      throw new ApiError(
        'RATE_LIMIT_EXCEEDED',
        `Rate limit exceeded. Retry after ${seconds} seconds.`,
        {},
        { extra: { retry_after: seconds }, headers: { ...rateHeaders, 'Retry-After': String(seconds) } },
      );
    },
  };
}
