/**
 * Retry with exponential, linear or constant backoff and jitter; retries only errors worth retrying.
 *
 * @module
 */
import { EventEmitter } from 'cockatiel';
import { isRetryable, isSwitchboardError, SwitchboardError } from '../errors.js';
import { type BackoffOptions, nextDelay, type ResolvedBackoff, resolveBackoff } from './backoff.js';
import { checkNumber } from './config-error.js';
import type { GiveUpReason } from './events.js';
import { PolicyBase, type PolicyOptions } from './policy-base.js';
import { type ExecutionScope, invokeNext, runNext } from './scope.js';
import { sleep } from './sleep.js';

/** Options of {@link retry}. */
export interface RetryOptions extends PolicyOptions, BackoffOptions {
  /** Total attempts including the first; `Infinity` retries until success or abort. Default 3. */
  readonly maxAttempts?: number;
  /**
   * Whether an error is worth another attempt. Default `isRetryable` from the errors module: a
   * SwitchboardError marked retryable, or a transient network error.
   */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean;
  /**
   * Wait at least `details.retryAfterMs` of the error (an open breaker, a rate limit), capped at `maxDelay`.
   * Default true.
   */
  readonly respectRetryAfter?: boolean;
  /**
   * When attempts run out, reject with SWB_RETRIES_EXHAUSTED (the last error as `cause`, its `retryable`
   * flag copied) instead of the last error itself. Default false: the last error is rethrown unchanged, so its
   * code and `retryable` flag reach the caller (the bus decides on redelivery from them).
   */
  readonly wrapExhausted?: boolean;
  /**
   * Stop retrying once this many milliseconds have passed since the first failure (Dapr's
   * `maxElapsedTime`). Default unlimited.
   */
  readonly maxElapsed?: number;
}

/** Payload of `onRetry`. */
export interface RetryEvent {
  /** The attempt that just failed (1 = the first). */
  readonly attempt: number;
  /** Milliseconds before the next attempt. */
  readonly delay: number;
  readonly error: unknown;
}

/** Payload of `onGiveUp`. */
export interface GiveUpEvent {
  /** Attempts made. */
  readonly attempts: number;
  readonly error: unknown;
  readonly reason: GiveUpReason;
}

/**
 * The policy {@link retry} returns.
 *
 * @example
 * ```ts
 * import { retry } from 'switchboard';
 *
 * const policy = retry({ maxAttempts: 5, initialDelay: 200 });
 * policy.onGiveUp(({ attempts, reason }) => console.warn(`gave up after ${attempts} attempts (${reason})`));
 * await policy.execute(({ attempt }) => sendInvoice(invoice, attempt));
 * ```
 */
export class RetryPolicy extends PolicyBase {
  readonly maxAttempts: number;
  readonly backoff: ResolvedBackoff;
  private readonly shouldRetry: (error: unknown, attempt: number) => boolean;
  private readonly respectRetryAfter: boolean;
  private readonly wrapExhausted: boolean;
  private readonly maxElapsed: number;
  private readonly retryEmitter = new EventEmitter<RetryEvent>();
  private readonly giveUpEmitter = new EventEmitter<GiveUpEvent>();

  /** Fires before each wait between attempts. */
  readonly onRetry = this.retryEmitter.addListener;
  /** Fires when the policy stops and passes a failure on. */
  readonly onGiveUp = this.giveUpEmitter.addListener;

  constructor(options: RetryOptions = {}) {
    super('retry', options);
    this.maxAttempts = checkNumber(options.maxAttempts ?? 3, 'maxAttempts', {
      min: 1,
      integer: true,
      infinite: true,
    });
    this.backoff = resolveBackoff(options);
    this.shouldRetry = options.shouldRetry ?? isRetryable;
    this.respectRetryAfter = options.respectRetryAfter ?? true;
    this.wrapExhausted = options.wrapExhausted ?? false;
    this.maxElapsed = checkNumber(options.maxElapsed ?? Number.POSITIVE_INFINITY, 'maxElapsed', {
      min: 0,
      infinite: true,
    });
  }

  run(scope: ExecutionScope, index: number): Promise<unknown> {
    scope.attempt = 1;
    // The first attempt stays off the async path; only a failure enters the retry loop.
    return invokeNext(scope, index).then(undefined, (error: unknown) => this.retryAfter(scope, index, error));
  }

  private async retryAfter(scope: ExecutionScope, index: number, firstError: unknown): Promise<unknown> {
    let error = firstError;
    let previous = this.backoff.initialDelay;
    let firstFailure = 0;
    for (let attempt = 1; ; attempt++) {
      const stop: GiveUpReason | undefined = scope.isAborted()
        ? 'aborted'
        : attempt >= this.maxAttempts
          ? 'exhausted'
          : this.shouldRetry(error, attempt)
            ? undefined
            : 'not-retryable';
      if (stop !== undefined) throw this.giveUp(error, attempt, stop);
      let delay = nextDelay(this.backoff, attempt, previous);
      previous = delay;
      if (this.respectRetryAfter) delay = this.withRetryAfter(delay, error);
      if (this.maxElapsed !== Number.POSITIVE_INFINITY) {
        const now = Date.now();
        if (attempt === 1) firstFailure = now;
        if (now + delay - firstFailure > this.maxElapsed) throw this.giveUp(error, attempt, 'exhausted');
      }
      this.retryEmitter.emit({ attempt, delay, error });
      this.events.emit('retry', { policy: this.name, attempt, delay, error });
      await sleep(delay, scope);
      scope.attempt = attempt + 1;
      try {
        return await runNext(scope, index);
      } catch (e) {
        error = e;
      }
    }
  }

  private withRetryAfter(delay: number, error: unknown): number {
    if (!isSwitchboardError(error)) return delay;
    const hint = error.details?.retryAfterMs;
    if (typeof hint !== 'number' || !(hint > delay)) return delay;
    return Math.min(hint, this.backoff.maxDelay);
  }

  private giveUp(error: unknown, attempts: number, reason: GiveUpReason): unknown {
    this.giveUpEmitter.emit({ attempts, error, reason });
    this.events.emit('giveup', { policy: this.name, attempts, error, reason });
    if (reason !== 'exhausted' || !this.wrapExhausted) return error;
    return new SwitchboardError('SWB_RETRIES_EXHAUSTED', `${this.name}: gave up after ${attempts} attempts`, {
      retryable: isRetryable(error),
      cause: error,
      details: { policy: this.name, attempts },
    });
  }
}

/**
 * Creates a retry policy. Place it outside the breaker and the timeout (`compose(retry, breaker, timeout)`),
 * so each attempt gets a fresh timeout and an open breaker fails attempts fast.
 *
 * @example
 * ```ts
 * import { retry } from 'switchboard';
 *
 * // seed 004: 3 attempts, 1 s base, 10 s cap, x2, jitter
 * const policy = retry({ maxAttempts: 3, initialDelay: 1_000, maxDelay: 10_000, multiplier: 2, jitter: 'full' });
 * policy.onRetry(({ attempt, delay }) => console.log(`attempt ${attempt} failed, next in ${delay} ms`));
 * await policy.execute(({ attempt, signal }) => callBackend(signal));
 * ```
 */
export function retry(options: RetryOptions = {}): RetryPolicy {
  return new RetryPolicy(options);
}
