/**
 * A circuit breaker with a real half-open state: a fixed number of test calls, a success threshold before
 * closing, and immediate rejection of everyone else (no herd). The decision to open is delegated to a
 * cockatiel `IBreaker` (cockatiel's own `ConsecutiveBreaker`, `SamplingBreaker` and `CountBreaker` work, as do
 * ours), and the state is cockatiel's `CircuitState`.
 *
 * Why not cockatiel's `CircuitBreakerPolicy`: it closes after its half-open sample without a separate success
 * threshold, and callers beyond the sample wait for the verdict instead of being rejected at once.
 *
 * @module
 */
import { CircuitState, ConsecutiveBreaker, EventEmitter, type IBreaker } from 'cockatiel';
import { type ErrorCode, isSwitchboardError, SwitchboardError } from '../errors.js';
import { checkNumber, configError } from './config-error.js';
import { defer } from './defer.js';
import { abortError } from './errors.js';
import type { CircuitStateName } from './events.js';
import { type FailureRateOptions, failureRateBreaker } from './failure-rate-breaker.js';
import { PolicyBase, type PolicyOptions } from './policy-base.js';
import { type ExecutionScope, invokeNext, NEVER_ABORTED, runNext } from './scope.js';

/** Options of {@link circuitBreaker}. */
export interface CircuitBreakerOptions extends PolicyOptions {
  /** When to open, as a cockatiel `IBreaker`; overrides `consecutiveFailures` and `failureRate`. */
  readonly breaker?: IBreaker;
  /** Open after this many failures in a row. Default 5 (seed 004), unless `failureRate` is given. */
  readonly consecutiveFailures?: number;
  /** Open when the failure rate over a sliding window passes a threshold. */
  readonly failureRate?: FailureRateOptions;
  /** Milliseconds the breaker stays open before admitting test calls. Default 30 000 (seed 004). */
  readonly halfOpenAfter?: number;
  /** Test calls admitted while half-open. Default 1. */
  readonly halfOpenMaxRequests?: number;
  /** Successful test calls needed to close; at most `halfOpenMaxRequests`. Default `halfOpenMaxRequests`. */
  readonly successThreshold?: number;
  /**
   * Whether an error counts against the downstream. Default: every error except SWB_ABORTED (the caller
   * gave up; that says nothing about the downstream). In half-open, an error that does not count is a success.
   */
  readonly isFailure?: (error: unknown) => boolean;
}

/** Payload of `onStateChange`. */
export interface StateChangeEvent {
  readonly from: CircuitState;
  readonly to: CircuitState;
}

/** Payload of `onBreak`. */
export interface BreakEvent {
  readonly error: unknown;
  readonly isolated: boolean;
}

/** Payload of `onReject`. */
export interface RejectEvent {
  readonly state: CircuitState;
  readonly code: ErrorCode;
}

/** A handle that keeps a breaker isolated until disposed. */
export interface IsolationHandle {
  /** Ends this isolation; the breaker closes when the last handle is released. Idempotent. */
  dispose(): void;
  /** Same as {@link dispose}. */
  release(): void;
}

const NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * The name of a cockatiel `CircuitState` as events report it.
 *
 * @example
 * ```ts
 * import { circuitBreaker, circuitStateName } from 'switchboard';
 *
 * const breaker = circuitBreaker({ name: 'payments' });
 * breaker.onStateChange(({ from, to }) => {
 *   console.log(`payments: ${circuitStateName(from)} -> ${circuitStateName(to)}`); // e.g. 'payments: closed -> open'
 * });
 * ```
 */
export function circuitStateName(state: CircuitState): CircuitStateName {
  return NAMES[state];
}

interface ClosedOutcome {
  readonly ok: (value: unknown) => unknown;
  readonly fail: (error: unknown) => never;
}

const defaultIsFailure = (error: unknown): boolean => !isSwitchboardError(error, 'SWB_ABORTED');

/**
 * The policy {@link circuitBreaker} returns.
 *
 * @example
 * ```ts
 * import { circuitBreaker } from 'switchboard';
 *
 * const payments = circuitBreaker({ consecutiveFailures: 5, halfOpenAfter: 30_000 });
 * if (payments.stateName === 'open') console.warn('payments failing fast:', payments.lastFailure);
 * const maintenance = payments.isolate(); // every call fails with SWB_CIRCUIT_ISOLATED until released
 * // ... after the maintenance window:
 * maintenance.release();
 * ```
 */
export class CircuitBreakerPolicy extends PolicyBase {
  readonly halfOpenAfter: number;
  readonly halfOpenMaxRequests: number;
  readonly successThreshold: number;
  /** The trip logic. */
  readonly breaker: IBreaker;
  private readonly isFailure: (error: unknown) => boolean;
  private current: CircuitState = CircuitState.Closed;
  // Bumped on every transition, so a call that started in an earlier state cannot move the current one.
  private generation = 0;
  private openUntil = 0;
  private probes = 0;
  private successes = 0;
  private isolations = 0;
  private failure: unknown = undefined;
  private closedOutcome: ClosedOutcome = this.outcomeFor(0);
  private readonly breakEmitter = new EventEmitter<BreakEvent>();
  private readonly resetEmitter = new EventEmitter<void>();
  private readonly halfOpenEmitter = new EventEmitter<void>();
  private readonly stateChangeEmitter = new EventEmitter<StateChangeEvent>();
  private readonly rejectEmitter = new EventEmitter<RejectEvent>();

  /** Fires when the breaker opens (or is isolated). */
  readonly onBreak = this.breakEmitter.addListener;
  /** Fires when the breaker closes. */
  readonly onReset = this.resetEmitter.addListener;
  /** Fires when the breaker starts admitting test calls. */
  readonly onHalfOpen = this.halfOpenEmitter.addListener;
  /** Fires on every state change. */
  readonly onStateChange = this.stateChangeEmitter.addListener;
  /** Fires when a call is rejected without running. */
  readonly onReject = this.rejectEmitter.addListener;

  constructor(options: CircuitBreakerOptions = {}) {
    super('circuit-breaker', options);
    this.halfOpenAfter = checkNumber(options.halfOpenAfter ?? 30_000, 'halfOpenAfter', { min: 0 });
    this.halfOpenMaxRequests = checkNumber(options.halfOpenMaxRequests ?? 1, 'halfOpenMaxRequests', {
      min: 1,
      integer: true,
    });
    this.successThreshold = checkNumber(
      options.successThreshold ?? this.halfOpenMaxRequests,
      'successThreshold',
      {
        min: 1,
        integer: true,
      },
    );
    if (this.successThreshold > this.halfOpenMaxRequests) {
      throw configError(
        'successThreshold',
        'must not exceed halfOpenMaxRequests (the breaker could never close)',
      );
    }
    this.isFailure = options.isFailure ?? defaultIsFailure;
    if (options.breaker !== undefined) this.breaker = options.breaker;
    else if (options.failureRate !== undefined) this.breaker = failureRateBreaker(options.failureRate);
    else {
      const threshold = checkNumber(options.consecutiveFailures ?? 5, 'consecutiveFailures', {
        min: 1,
        integer: true,
      });
      this.breaker = new ConsecutiveBreaker(threshold);
    }
  }

  /** The current state; an open breaker whose wait is over reports (and becomes) half-open. */
  get state(): CircuitState {
    if (this.current === CircuitState.Open && Date.now() >= this.openUntil) this.toHalfOpen();
    return this.current;
  }

  /** The current state by name. */
  get stateName(): CircuitStateName {
    return NAMES[this.state];
  }

  /** The error that last counted as a failure. */
  get lastFailure(): unknown {
    return this.failure;
  }

  run(scope: ExecutionScope, index: number): Promise<unknown> {
    switch (this.current) {
      case CircuitState.Closed:
        return this.runClosed(scope, index);
      case CircuitState.Open:
        if (Date.now() < this.openUntil) return this.rejectCall('SWB_CIRCUIT_OPEN');
        this.toHalfOpen();
        return this.runHalfOpen(scope, index);
      case CircuitState.HalfOpen:
        return this.runHalfOpen(scope, index);
      default:
        return this.rejectCall('SWB_CIRCUIT_ISOLATED');
    }
  }

  private runClosed(scope: ExecutionScope, index: number): Promise<unknown> {
    const outcome = this.closedOutcome;
    return invokeNext(scope, index).then(outcome.ok, outcome.fail);
  }

  /**
   * Outcome handlers bound to one closed period (made when the breaker closes, not per call), so a call that
   * started before the breaker opened cannot move a later state.
   */
  private outcomeFor(generation: number): ClosedOutcome {
    return {
      ok: (value) => {
        if (generation === this.generation) this.breaker.success(CircuitState.Closed);
        return value;
      },
      fail: (error) => {
        if (generation === this.generation && this.isFailure(error)) {
          this.failure = error;
          if (this.breaker.failure(CircuitState.Closed)) this.open(error);
        }
        throw error;
      },
    };
  }

  private runHalfOpen(scope: ExecutionScope, index: number): Promise<unknown> {
    if (this.probes >= this.halfOpenMaxRequests) return this.rejectCall('SWB_CIRCUIT_HALF_OPEN_REJECTED');
    this.probes++;
    return this.probe(scope, index, this.generation);
  }

  private async probe(scope: ExecutionScope, index: number, generation: number): Promise<unknown> {
    // A test call that hangs would hold the half-open state forever; when its caller gives up (an outer
    // timeout, an abort), the probe counts as failed at once and the breaker opens again.
    const signal = scope.signal;
    const { promise, resolve, reject } = defer<unknown>();
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      reject(abortError(signal.reason, this.name));
    };
    if (signal.aborted) onAbort();
    else {
      if (signal !== NEVER_ABORTED) signal.addEventListener('abort', onAbort, { once: true });
      try {
        Promise.resolve(runNext(scope, index)).then(resolve, reject);
      } catch (error) {
        reject(error);
      }
    }
    try {
      const value = await promise;
      this.probeSucceeded(generation);
      return value;
    } catch (error) {
      if (aborted || this.isFailure(error)) this.probeFailed(generation, error);
      else this.probeSucceeded(generation);
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private probeSucceeded(generation: number): void {
    if (generation !== this.generation) return;
    if (++this.successes >= this.successThreshold) this.close();
  }

  private probeFailed(generation: number, error: unknown): void {
    if (generation !== this.generation) return;
    this.failure = error;
    this.breaker.failure(CircuitState.HalfOpen);
    this.open(error);
  }

  private rejectCall(code: ErrorCode): Promise<never> {
    const state = this.current;
    const details: Record<string, unknown> = { policy: this.name, state: NAMES[state] };
    if (code === 'SWB_CIRCUIT_OPEN') details.retryAfterMs = Math.max(0, this.openUntil - Date.now());
    const message =
      code === 'SWB_CIRCUIT_OPEN'
        ? `${this.name}: circuit open`
        : code === 'SWB_CIRCUIT_ISOLATED'
          ? `${this.name}: circuit isolated`
          : `${this.name}: circuit half-open, test calls in progress`;
    this.rejectEmitter.emit({ state, code });
    this.events.emit('reject', { policy: this.name, state: NAMES[state], code });
    return Promise.reject(new SwitchboardError(code, message, { retryable: true, details }));
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    this.current = to;
    this.generation++;
    if (to === CircuitState.Closed) this.closedOutcome = this.outcomeFor(this.generation);
    this.stateChangeEmitter.emit({ from, to });
    this.events.emit('statechange', { policy: this.name, from: NAMES[from], to: NAMES[to] });
  }

  private open(error: unknown): void {
    this.openUntil = Date.now() + this.halfOpenAfter;
    this.transition(CircuitState.Open);
    this.breakEmitter.emit({ error, isolated: false });
    this.events.emit('break', { policy: this.name, error, isolated: false });
  }

  private toHalfOpen(): void {
    this.probes = 0;
    this.successes = 0;
    this.transition(CircuitState.HalfOpen);
    this.halfOpenEmitter.emit();
    this.events.emit('halfopen', { policy: this.name });
  }

  private close(): void {
    this.breaker.success(CircuitState.HalfOpen);
    this.transition(CircuitState.Closed);
    this.resetEmitter.emit();
    this.events.emit('reset', { policy: this.name });
  }

  /**
   * Holds the breaker open by hand (every call rejected with SWB_CIRCUIT_ISOLATED) until every handle
   * returned is released.
   */
  isolate(): IsolationHandle {
    if (this.current !== CircuitState.Isolated) {
      this.transition(CircuitState.Isolated);
      this.breakEmitter.emit({ error: undefined, isolated: true });
      this.events.emit('break', { policy: this.name, error: undefined, isolated: true });
    }
    this.isolations++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (--this.isolations === 0 && this.current === CircuitState.Isolated) this.close();
    };
    return { dispose: release, release };
  }

  /** Closes the breaker at once, dropping isolation and the trip counters. */
  reset(): void {
    this.isolations = 0;
    if (this.current !== CircuitState.Closed) this.close();
    else this.breaker.success(CircuitState.HalfOpen);
  }
}

/**
 * Creates a circuit breaker. Share one instance across the calls to one downstream; in a chain put it inside
 * retry and outside the timeout (`compose(retry, breaker, timeout)`), so timeouts count as failures and an
 * open breaker fails retries fast.
 *
 * @example
 * ```ts
 * import { circuitBreaker, circuitStateName } from 'switchboard';
 *
 * // seed 004: open after 5 failures, wait 30 s, admit 3 test calls, close after 2 successes
 * const breaker = circuitBreaker({
 *   consecutiveFailures: 5,
 *   halfOpenAfter: 30_000,
 *   halfOpenMaxRequests: 3,
 *   successThreshold: 2,
 * });
 * breaker.onStateChange(({ to }) => console.log('breaker', circuitStateName(to)));
 * await breaker.execute(() => callPayments());
 * ```
 */
export function circuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreakerPolicy {
  return new CircuitBreakerPolicy(options);
}
