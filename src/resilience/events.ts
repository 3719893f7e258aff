/**
 * Typed lifecycle events of every resilience policy, on one eventemitter3 emitter.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';

/** Why a retry policy stopped: out of attempts, an error it does not retry, or the caller aborted. */
export type GiveUpReason = 'exhausted' | 'not-retryable' | 'aborted';

/** Names of circuit breaker states as they appear in events. */
export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';

/**
 * Payloads of every resilience event. Each carries `policy`, the name given to the policy (or its default
 * name), so one emitter can serve many policies.
 */
export interface ResilienceEventMap {
  /** A retry policy is about to wait `delay` ms before attempt `attempt + 1`. */
  retry: [{ policy: string; attempt: number; delay: number; error: unknown }];
  /** A retry policy stopped retrying after `attempts` attempts and passes `error` on. */
  giveup: [{ policy: string; attempts: number; error: unknown; reason: GiveUpReason }];
  /** A circuit breaker opened (`isolated` when held open by hand). */
  break: [{ policy: string; error: unknown; isolated: boolean }];
  /** A circuit breaker moved to half-open and admits test calls. */
  halfopen: [{ policy: string }];
  /** A circuit breaker closed again. */
  reset: [{ policy: string }];
  /** Any circuit breaker state change. */
  statechange: [{ policy: string; from: CircuitStateName; to: CircuitStateName }];
  /** A circuit breaker rejected a call without running it. */
  reject: [{ policy: string; state: CircuitStateName; code: string }];
  /** A timeout policy or deadline expired. */
  timeout: [{ policy: string; timeoutMs: number }];
  /** A bulkhead rejected a call: every slot and queue place was taken. */
  'bulkhead.reject': [{ policy: string; limit: number; queue: number }];
  /** A rate limiter rejected a call. */
  'ratelimit.reject': [{ policy: string; retryAfterMs: number }];
  /** A fallback policy replaced a failure with its fallback value. */
  fallback: [{ policy: string; error: unknown }];
}

/** The emitter type every policy factory accepts as its `events` option. */
export type ResilienceEvents = EventEmitter<ResilienceEventMap>;

/** The name of one resilience event. */
export type ResilienceEventName = keyof ResilienceEventMap;

let shared: ResilienceEvents | undefined;

/**
 * Returns the process-wide emitter every policy reports to unless it was given its own `events` option.
 *
 * @example
 * ```ts
 * import { resilienceEvents } from 'switchboard';
 *
 * resilienceEvents().on('break', ({ policy, error }) => console.warn(`${policy} opened`, error));
 * ```
 */
export function resilienceEvents(): ResilienceEvents {
  shared ??= new EventEmitter<ResilienceEventMap>();
  return shared;
}

/**
 * Creates a fresh emitter, for callers who want one set of policies to report somewhere of their own.
 *
 * @example
 * ```ts
 * const events = createResilienceEvents();
 * const policy = retry({ maxAttempts: 3, events, name: 'backend-api-retry' });
 * events.on('retry', ({ attempt, delay }) => console.log(attempt, delay));
 * ```
 */
export function createResilienceEvents(): ResilienceEvents {
  return new EventEmitter<ResilienceEventMap>();
}
