/**
 * Fallback: replace a failure with a value (a cached response, a sensible default), seed 004's graceful
 * degradation.
 *
 * @module
 */
import { EventEmitter } from 'cockatiel';
import { PolicyBase, type PolicyOptions } from './policy-base.js';
import { type ExecutionScope, type PolicyContext, runNext } from './scope.js';

/** Computes the fallback value from the failure. */
export type FallbackFn<R> = (error: unknown, context: PolicyContext) => R | PromiseLike<R>;

/** Options of {@link fallback}. */
export interface FallbackOptions extends PolicyOptions {
  /** Which failures fall back; the rest pass through. Default: all. */
  readonly shouldFallback?: (error: unknown) => boolean;
}

/**
 * The policy {@link fallback} returns.
 *
 * @example
 * ```ts
 * import { fallback, isRetryable } from 'switchboard';
 *
 * const prices = fallback(() => lastKnownPrices, { shouldFallback: isRetryable });
 * prices.onFallback((error) => console.warn('serving cached prices', error));
 * const list = await prices.execute(({ signal }) => fetchPrices(signal));
 * ```
 */
export class FallbackPolicy<R> extends PolicyBase<R> {
  private readonly valueOrFn: R | FallbackFn<R>;
  private readonly shouldFallback: (error: unknown) => boolean;
  private readonly fallbackEmitter = new EventEmitter<unknown>();

  /** Fires with the error each time the fallback is used. */
  readonly onFallback = this.fallbackEmitter.addListener;

  constructor(valueOrFn: R | FallbackFn<R>, options: FallbackOptions = {}) {
    super('fallback', options);
    this.valueOrFn = valueOrFn;
    this.shouldFallback = options.shouldFallback ?? always;
  }

  async run(scope: ExecutionScope, index: number): Promise<unknown> {
    try {
      return await runNext(scope, index);
    } catch (error) {
      if (!this.shouldFallback(error)) throw error;
      this.fallbackEmitter.emit(error);
      this.events.emit('fallback', { policy: this.name, error });
      const v = this.valueOrFn;
      return typeof v === 'function' ? await (v as FallbackFn<R>)(error, scope) : v;
    }
  }
}

const always = (): boolean => true;

/**
 * Creates a fallback policy: a value, or a function of the error (to return a function as the value, return
 * it from a function). Put it outermost, so it sees the final failure.
 *
 * @example
 * ```ts
 * import { compose, fallback, retry } from 'switchboard';
 *
 * const prices = compose(fallback((error) => cache.get('prices')), retry({ maxAttempts: 3 }));
 * const list = await prices.execute(() => fetchPrices());
 * ```
 */
export function fallback<R>(valueOrFn: R | FallbackFn<R>, options?: FallbackOptions): FallbackPolicy<R> {
  return new FallbackPolicy(valueOrFn, options);
}
