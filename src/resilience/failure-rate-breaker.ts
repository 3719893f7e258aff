/**
 * Trip logic for a circuit breaker: the failure rate over a sliding window, once enough calls were seen.
 *
 * @module
 */
import { CircuitState, type IBreaker } from 'cockatiel';
import { checkNumber } from './config-error.js';

/** Options of {@link failureRateBreaker}. */
export interface FailureRateOptions {
  /** Open when failures / calls in the window reach this, in (0, 1]. */
  readonly threshold: number;
  /** Window length, ms. Default 60 000. */
  readonly window?: number;
  /** Calls the window must hold before the rate counts. Default 10. */
  readonly minimumThroughput?: number;
  /** Buckets the window slides by. Default 10. */
  readonly buckets?: number;
}

/**
 * A cockatiel `IBreaker` that opens on the failure rate over a sliding window of `buckets` buckets. Unlike
 * cockatiel's `SamplingBreaker`, the minimum is a number of calls in the window, not a rate per second.
 *
 * @example
 * ```ts
 * import { circuitBreaker, failureRateBreaker } from 'switchboard';
 *
 * // open when half the calls of the last 10 s failed, once at least 20 calls were seen
 * const rate = failureRateBreaker({ threshold: 0.5, window: 10_000, minimumThroughput: 20 });
 * const breaker = circuitBreaker({ breaker: rate, halfOpenAfter: 30_000 });
 * ```
 */
export class FailureRateBreaker implements IBreaker {
  readonly threshold: number;
  readonly window: number;
  readonly minimumThroughput: number;
  private readonly bucketMs: number;
  private readonly successes: number[];
  private readonly failures: number[];
  private lastBucket = 0;
  private totalSuccesses = 0;
  private totalFailures = 0;

  constructor(options: FailureRateOptions) {
    this.threshold = checkNumber(options.threshold, 'failureRate.threshold', {
      min: Number.MIN_VALUE,
      max: 1,
    });
    this.window = checkNumber(options.window ?? 60_000, 'failureRate.window', { min: 1 });
    this.minimumThroughput = checkNumber(options.minimumThroughput ?? 10, 'failureRate.minimumThroughput', {
      min: 1,
      integer: true,
    });
    const buckets = checkNumber(options.buckets ?? 10, 'failureRate.buckets', { min: 1, integer: true });
    this.bucketMs = this.window / buckets;
    this.successes = new Array<number>(buckets).fill(0);
    this.failures = new Array<number>(buckets).fill(0);
    this.lastBucket = Math.floor(Date.now() / this.bucketMs);
  }

  /** Serialisable counters (cockatiel's `IBreaker.state`). */
  get state(): unknown {
    return { successes: [...this.successes], failures: [...this.failures], lastBucket: this.lastBucket };
  }

  set state(value: unknown) {
    const v = value as { successes?: number[]; failures?: number[]; lastBucket?: number } | undefined;
    if (!v?.successes || !v.failures || v.successes.length !== this.successes.length) return;
    this.successes.splice(0, this.successes.length, ...v.successes);
    this.failures.splice(0, this.failures.length, ...(v.failures as number[]));
    this.lastBucket = v.lastBucket ?? this.lastBucket;
    this.totalSuccesses = this.successes.reduce((a, b) => a + b, 0);
    this.totalFailures = this.failures.reduce((a, b) => a + b, 0);
  }

  success(state: CircuitState): void {
    if (state === CircuitState.HalfOpen) {
      this.clear();
      return;
    }
    const i = this.slide();
    this.successes[i]!++;
    this.totalSuccesses++;
  }

  failure(state: CircuitState): boolean {
    if (state === CircuitState.HalfOpen) return true;
    const i = this.slide();
    this.failures[i]!++;
    this.totalFailures++;
    const total = this.totalFailures + this.totalSuccesses;
    return total >= this.minimumThroughput && this.totalFailures / total >= this.threshold;
  }

  /** Moves the window to now, emptying the buckets that fell out of it; returns the current bucket index. */
  private slide(): number {
    const bucket = Math.floor(Date.now() / this.bucketMs);
    const n = this.successes.length;
    if (bucket !== this.lastBucket) {
      const steps = Math.min(n, bucket - this.lastBucket);
      for (let k = 1; k <= steps; k++) {
        const j = (((this.lastBucket + k) % n) + n) % n;
        this.totalSuccesses -= this.successes[j]!;
        this.totalFailures -= this.failures[j]!;
        this.successes[j] = 0;
        this.failures[j] = 0;
      }
      this.lastBucket = bucket;
    }
    return ((bucket % n) + n) % n;
  }

  private clear(): void {
    this.successes.fill(0);
    this.failures.fill(0);
    this.totalSuccesses = 0;
    this.totalFailures = 0;
  }
}

/**
 * Creates a {@link FailureRateBreaker} for `circuitBreaker({ breaker })` (or cockatiel's own breaker).
 *
 * @example
 * ```ts
 * import { circuitBreaker, failureRateBreaker } from 'switchboard';
 *
 * // open when half the calls of the last 10 s failed, once at least 20 calls were seen
 * const breaker = circuitBreaker({
 *   breaker: failureRateBreaker({ threshold: 0.5, window: 10_000, minimumThroughput: 20 }),
 * });
 * // the same, through circuitBreaker's shorthand
 * const same = circuitBreaker({ failureRate: { threshold: 0.5, window: 10_000, minimumThroughput: 20 } });
 * ```
 */
export function failureRateBreaker(options: FailureRateOptions): FailureRateBreaker {
  return new FailureRateBreaker(options);
}
