/**
 * Dapr's circuit breaker trip logic as a cockatiel `IBreaker`: gobreaker's counters, cleared every
 * `interval` while closed and on every close, and a trip expression evaluated on each failure.
 *
 * @module
 */
import { CircuitState, type IBreaker } from 'cockatiel';
import { checkNumber } from './config-error.js';
import { compileTrip, type TripCounts, type TripPredicate } from './trip-expression.js';

/** Options of {@link expressionBreaker}. */
export interface ExpressionBreakerOptions {
  /** A trip expression such as `consecutiveFailures > 5`, or a compiled predicate. */
  readonly trip: string | TripPredicate;
  /** Milliseconds after which the closed state's counters clear; 0 never clears them (Dapr's default). */
  readonly interval?: number;
}

/**
 * The breaker {@link expressionBreaker} returns.
 *
 * @example
 * ```ts
 * import { circuitBreaker, expressionBreaker } from 'switchboard';
 *
 * // Dapr's trip expression; the counters clear every 60 s while the breaker is closed
 * const trip = expressionBreaker({ trip: 'consecutiveFailures > 5', interval: 60_000 });
 * const breaker = circuitBreaker({ breaker: trip, halfOpenAfter: 30_000 });
 * console.log(trip.state); // { requests, totalFailures, consecutiveFailures, ... }
 * ```
 */
export class ExpressionBreaker implements IBreaker {
  readonly interval: number;
  private readonly trip: TripPredicate;
  private counts: TripCounts = zero();
  private expiry = 0;

  constructor(options: ExpressionBreakerOptions) {
    this.trip = typeof options.trip === 'function' ? options.trip : compileTrip(options.trip);
    this.interval = checkNumber(options.interval ?? 0, 'interval', { min: 0 });
    this.expiry = this.interval > 0 ? Date.now() + this.interval : 0;
  }

  /** The counters (cockatiel's `IBreaker.state`). */
  get state(): unknown {
    return { ...this.counts };
  }

  set state(value: unknown) {
    if (typeof value === 'object' && value !== null)
      this.counts = { ...zero(), ...(value as Partial<TripCounts>) };
  }

  success(state: CircuitState): void {
    if (state === CircuitState.HalfOpen) {
      this.clear();
      return;
    }
    this.roll();
    const c = this.counts;
    c.requests++;
    c.totalSuccesses++;
    c.consecutiveSuccesses++;
    c.consecutiveFailures = 0;
  }

  failure(state: CircuitState): boolean {
    if (state === CircuitState.HalfOpen) return true;
    this.roll();
    const c = this.counts;
    c.requests++;
    c.totalFailures++;
    c.consecutiveFailures++;
    c.consecutiveSuccesses = 0;
    return this.trip(c);
  }

  private roll(): void {
    if (this.interval > 0 && Date.now() >= this.expiry) this.clear();
  }

  private clear(): void {
    this.counts = zero();
    this.expiry = this.interval > 0 ? Date.now() + this.interval : 0;
  }
}

function zero(): TripCounts {
  return {
    requests: 0,
    totalSuccesses: 0,
    totalFailures: 0,
    consecutiveSuccesses: 0,
    consecutiveFailures: 0,
  };
}

/**
 * Creates an {@link ExpressionBreaker}.
 *
 * @example
 * ```ts
 * import { circuitBreaker, expressionBreaker } from 'switchboard';
 *
 * const breaker = circuitBreaker({ breaker: expressionBreaker({ trip: 'consecutiveFailures > 3', interval: 5_000 }) });
 * ```
 */
export function expressionBreaker(options: ExpressionBreakerOptions): ExpressionBreaker {
  return new ExpressionBreaker(options);
}
