/**
 * Resilience policies for Switchboard: retry, circuit breaker, bulkhead, timeout, fallback and rate limit,
 * composable with each other and with cockatiel's own policies, plus Dapr-style declarative configuration and
 * typed events.
 *
 * @module
 */

// cockatiel's circuit state enum, which our breaker reports.
export { CircuitState } from 'cockatiel';
export type { BackoffKind, BackoffOptions, JitterKind, ResolvedBackoff } from './backoff.js';
export { backoffFactory, baseDelay, nextDelay, resolveBackoff } from './backoff.js';
export type { BulkheadOptions } from './bulkhead.js';
export { BulkheadPolicy, bulkhead } from './bulkhead.js';
export type {
  BreakEvent,
  CircuitBreakerOptions,
  IsolationHandle,
  RejectEvent,
  StateChangeEvent,
} from './circuit-breaker.js';
export { CircuitBreakerPolicy, circuitBreaker, circuitStateName } from './circuit-breaker.js';
export { ComposedPolicy, compose } from './compose.js';
export type {
  Direction,
  LoadResiliencyOptions,
  ResiliencyConfig,
  ResiliencyTarget,
  TargetPolicies,
} from './config.js';
export { loadResiliencyConfig } from './config.js';
export type { Deadline } from './deadline.js';
export { createDeadline } from './deadline.js';
export { parseDuration } from './duration.js';
export type {
  CircuitStateName,
  GiveUpReason,
  ResilienceEventMap,
  ResilienceEventName,
  ResilienceEvents,
} from './events.js';
export { createResilienceEvents, resilienceEvents } from './events.js';
export type { ExpressionBreakerOptions } from './expression-breaker.js';
export { ExpressionBreaker, expressionBreaker } from './expression-breaker.js';
export type { FailureRateOptions } from './failure-rate-breaker.js';
export { FailureRateBreaker, failureRateBreaker } from './failure-rate-breaker.js';
export type { FallbackFn, FallbackOptions } from './fallback.js';
export { FallbackPolicy, fallback } from './fallback.js';
export type { ExecuteSignal, PolicyBase, PolicyOptions, SwitchboardPolicy } from './policy-base.js';
export type { RateLimitDecision, RateLimiterOptions } from './rate-limiter.js';
export { RateLimiter, rateLimiter } from './rate-limiter.js';
export type { GiveUpEvent, RetryEvent, RetryOptions } from './retry.js';
export { RetryPolicy, retry } from './retry.js';
export type { ExecutionScope, ExpiryHandler, Layer, PolicyContext, PolicyFn } from './scope.js';
export type { TimeoutOptions, TimeoutStrategy } from './timeout.js';
export { TimeoutPolicy, timeout } from './timeout.js';
export type { TripCounts, TripPredicate } from './trip-expression.js';
export { compileTrip } from './trip-expression.js';
