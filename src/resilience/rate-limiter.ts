/**
 * A token bucket per key (seed 002: 100 requests a minute per IP, 1000 per user). cockatiel has none.
 *
 * Waiting callers reserve their token up front (the bucket may go negative), so they are served in order
 * and each wakes exactly once, when its token has accrued.
 *
 * @module
 */
import { SwitchboardError } from '../errors.js';
import { checkNumber } from './config-error.js';
import { abortError } from './errors.js';
import { PolicyBase, type PolicyOptions } from './policy-base.js';
import { type ExecutionScope, NEVER_ABORTED, type PolicyContext, runNext } from './scope.js';

/** Options of {@link rateLimiter}. */
export interface RateLimiterOptions extends PolicyOptions {
  /** Bucket size: the burst allowed after a quiet period. */
  readonly capacity: number;
  /** Tokens added every `interval`. Default `capacity`. */
  readonly refill?: number;
  /** Milliseconds per `refill`. Default 1000. */
  readonly interval?: number;
  /** Keys kept at most; full buckets (equal to new ones) are dropped first. Default 10 000. */
  readonly maxKeys?: number;
  /**
   * Policy form: `reject` (default) fails at once with SWB_RATE_LIMITED; `wait` waits for a token (up to
   * `maxWait`).
   */
  readonly mode?: 'reject' | 'wait';
  /** Longest wait in `wait` mode before rejecting instead, ms. Default unlimited. */
  readonly maxWait?: number;
  /** Policy form: the key of a call. Default one shared key. */
  readonly key?: string | ((context: PolicyContext) => string);
}

/** Outcome of {@link RateLimiter.tryAcquire}. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** When not allowed: milliseconds until a token is available (0 when allowed). */
  readonly retryAfterMs: number;
  /** Whole tokens left after this decision. */
  readonly remaining: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const DEFAULT_KEY = '';

/**
 * The limiter {@link rateLimiter} returns: per-key `tryAcquire`/`acquire`, and an `IPolicy`.
 *
 * @example
 * ```ts
 * import { rateLimiter } from 'switchboard';
 *
 * // seed 002: 1000 requests a minute per user; wait for a token, but at most 2 s
 * const perUser = rateLimiter({ capacity: 1_000, interval: 60_000, maxWait: 2_000 });
 * await perUser.acquire(user.id, request.signal); // SWB_RATE_LIMITED if the wait would be longer
 * ```
 */
export class RateLimiter extends PolicyBase {
  readonly capacity: number;
  /** Tokens per millisecond. */
  readonly rate: number;
  readonly mode: 'reject' | 'wait';
  private readonly maxKeys: number;
  private readonly maxWait: number;
  private readonly key: string | ((context: PolicyContext) => string);
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: RateLimiterOptions) {
    super('rate-limiter', options);
    this.capacity = checkNumber(options.capacity, 'capacity', { min: 1 });
    const refill = checkNumber(options.refill ?? this.capacity, 'refill', { min: Number.MIN_VALUE });
    const interval = checkNumber(options.interval ?? 1_000, 'interval', { min: Number.MIN_VALUE });
    this.rate = refill / interval;
    this.maxKeys = checkNumber(options.maxKeys ?? 10_000, 'maxKeys', { min: 1, integer: true });
    this.maxWait = checkNumber(options.maxWait ?? Number.POSITIVE_INFINITY, 'maxWait', {
      min: 0,
      infinite: true,
    });
    this.mode = options.mode ?? 'reject';
    this.key = options.key ?? DEFAULT_KEY;
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes a token for `key` if one is there; never waits. */
  tryAcquire(key: string = DEFAULT_KEY): RateLimitDecision {
    const bucket = this.refilled(key, Date.now());
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterMs: 0, remaining: Math.floor(bucket.tokens) };
    }
    return { allowed: false, retryAfterMs: this.waitFor(bucket.tokens), remaining: 0 };
  }

  /**
   * Takes a token for `key`, waiting for it if need be. Rejects with SWB_RATE_LIMITED when the wait would
   * exceed `maxWait`, and with SWB_ABORTED (or the signal's SwitchboardError reason) when `signal` aborts; an
   * aborted wait gives its token back.
   */
  acquire(key: string = DEFAULT_KEY, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(abortError(signal.reason, this.name));
    const bucket = this.refilled(key, Date.now());
    const wait = bucket.tokens >= 1 ? 0 : this.waitFor(bucket.tokens);
    if (wait > this.maxWait) return Promise.reject(this.limited(wait));
    bucket.tokens -= 1;
    if (wait === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        bucket.tokens += 1;
        reject(abortError(signal?.reason, this.name));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async run(scope: ExecutionScope, index: number): Promise<unknown> {
    const key = typeof this.key === 'string' ? this.key : this.key(scope);
    if (this.mode === 'wait') {
      const signal = scope.signal;
      await this.acquire(key, signal === NEVER_ABORTED ? undefined : signal);
    } else {
      const decision = this.tryAcquire(key);
      if (!decision.allowed) throw this.limited(decision.retryAfterMs);
    }
    return runNext(scope, index);
  }

  private limited(retryAfterMs: number): SwitchboardError {
    this.events.emit('ratelimit.reject', { policy: this.name, retryAfterMs });
    return new SwitchboardError('SWB_RATE_LIMITED', `${this.name}: rate limit reached`, {
      retryable: true,
      details: { policy: this.name, retryAfterMs },
    });
  }

  /** Milliseconds until a bucket holding `tokens` reaches one whole token. */
  private waitFor(tokens: number): number {
    return Math.max(1, Math.ceil((1 - tokens) / this.rate));
  }

  private refilled(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      bucket = { tokens: this.capacity, at: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    if (now > bucket.at) {
      const tokens = bucket.tokens + (now - bucket.at) * this.rate;
      bucket.tokens = tokens < this.capacity ? tokens : this.capacity;
      bucket.at = now;
    }
    return bucket;
  }

  /** Drops full buckets (indistinguishable from new ones); if none is full, the oldest key. */
  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.rate >= this.capacity) this.buckets.delete(key);
    }
    if (this.buckets.size < this.maxKeys) return;
    // A bucket in debt has callers waiting on it; dropping it would hand out their tokens twice.
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens >= 0) {
        this.buckets.delete(key);
        return;
      }
    }
  }
}

/**
 * Creates a token-bucket rate limiter, usable per key (`tryAcquire(key)`, `acquire(key, signal)`) or as a
 * policy (rejects with SWB_RATE_LIMITED and `details.retryAfterMs`, or waits in `mode: 'wait'`).
 *
 * @example
 * ```ts
 * import { rateLimiter } from 'switchboard';
 *
 * // seed 002: 100 requests a minute per IP
 * const perIp = rateLimiter({ capacity: 100, refill: 100, interval: 60_000 });
 * const { allowed, retryAfterMs } = perIp.tryAcquire(request.ip);
 * if (!allowed) return reply.status(429).header('retry-after', Math.ceil(retryAfterMs / 1000));
 * ```
 */
export function rateLimiter(options: RateLimiterOptions): RateLimiter {
  return new RateLimiter(options);
}
