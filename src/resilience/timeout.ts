/**
 * A timeout that costs no timer per call: deadlines go into the shared deadline queue, and the abort
 * controller exists only once the callee reads `context.signal`.
 *
 * @module
 */
import { SwitchboardError } from '../errors.js';
import { type DeadlineList, deadlineQueue } from './deadline-queue.js';
import { defer } from './defer.js';
import { abortError, timeoutError } from './errors.js';
import { PolicyBase, type PolicyOptions } from './policy-base.js';
import { childScope, type ExecutionScope, type ExpiryHandler, invokeNext } from './scope.js';

/**
 * `cooperative`: at the deadline the signal aborts; the call's own rejection after that becomes SWB_TIMEOUT,
 * and a value it still returns is kept (the work was done). `aggressive`: the returned promise rejects with
 * SWB_TIMEOUT at the deadline even if the callee ignores the signal (its work is left running).
 */
export type TimeoutStrategy = 'cooperative' | 'aggressive';

/** Options of {@link timeout}. */
export interface TimeoutOptions extends PolicyOptions {
  /** Milliseconds each call may take. */
  readonly duration: number;
  /** Default `cooperative`. */
  readonly strategy?: TimeoutStrategy;
}

/**
 * The policy {@link timeout} returns.
 *
 * @example
 * ```ts
 * import { timeout } from 'switchboard';
 *
 * // aggressive: reject with SWB_TIMEOUT at 2 s even though legacyLookup ignores the signal
 * const hardLimit = timeout({ duration: 2_000, strategy: 'aggressive' });
 * const price = await hardLimit.execute(() => legacyLookup(sku));
 * ```
 */
export class TimeoutPolicy extends PolicyBase implements ExpiryHandler {
  readonly duration: number;
  readonly strategy: TimeoutStrategy;
  private readonly aggressive: boolean;
  private readonly list: DeadlineList;

  constructor(options: TimeoutOptions) {
    super('timeout', options);
    if (!Number.isFinite(options.duration) || options.duration < 0) {
      throw new SwitchboardError('SWB_CONFIG_INVALID', 'timeout: duration must be a finite number >= 0', {
        details: { path: 'duration', problem: 'must be a finite number >= 0' },
      });
    }
    this.duration = options.duration;
    this.strategy = options.strategy ?? 'cooperative';
    this.aggressive = this.strategy === 'aggressive';
    this.list = deadlineQueue.pinnedList(this.duration);
  }

  run(scope: ExecutionScope, index: number): Promise<unknown> {
    const own = Date.now() + this.duration;
    // An outer deadline that comes first wins: nested timeouts never extend it. An aggressive timeout inside
    // a cooperative one still needs its own entry so it can reject at the shared deadline.
    if (own >= scope.deadline && (!this.aggressive || scope.reject !== undefined))
      return invokeNext(scope, index);
    const child = childScope(scope, own < scope.deadline ? own : scope.deadline, this);
    deadlineQueue.add(child, this.list);
    const alone = scope.layers === this.self;
    return (this.aggressive ? this.race(child, index, alone) : start(child, index, alone)).then(
      (value) => {
        child.dispose();
        return value;
      },
      (error: unknown) => {
        child.dispose();
        if (child.expired) throw child.reason === error ? error : timeoutWithCause(child.reason, error);
        throw error;
      },
    );
  }

  private race(child: ExecutionScope, index: number, alone: boolean): Promise<unknown> {
    const { promise, resolve, reject } = defer<unknown>();
    child.reject = reject;
    const parent = child.parentSignal();
    if (parent.aborted) reject(abortError(parent.reason));
    else {
      // Reading the parent signal is the price of aggressive mode: it must hear an outer abort at once.
      child.listen(parent);
      start(child, index, alone).then(resolve, reject);
    }
    return promise;
  }

  /** Deadline queue callback. */
  onExpired(scope: ExecutionScope): void {
    const error = timeoutError(this.name, this.duration);
    scope.reason = error;
    scope.ctrl?.abort(error);
    this.events.emit('timeout', { policy: this.name, timeoutMs: this.duration });
    scope.reject?.(error);
  }
}

function timeoutWithCause(timeout: unknown, cause: unknown): unknown {
  if (!(timeout instanceof SwitchboardError)) return timeout;
  return new SwitchboardError('SWB_TIMEOUT', timeout.message, {
    retryable: true,
    cause,
    ...(timeout.details === undefined ? {} : { details: timeout.details }),
  });
}

const SIGNAL: PropertyDescriptor = {
  get(this: SpreadableContext): AbortSignal {
    return this.scope.signal;
  },
  enumerable: true,
  configurable: true,
};

/** A context whose `signal` is an own (so spreadable) and still lazy getter. */
class SpreadableContext {
  readonly attempt: number;
  declare readonly signal: AbortSignal;
  constructor(readonly scope: ExecutionScope) {
    this.attempt = scope.attempt;
    // Defined on a small fresh object this is cheap; on the scope itself it would cost several times more.
    Object.defineProperty(this, 'signal', SIGNAL);
  }
}

/**
 * Runs the rest of the chain under `child`. A timeout run on its own (the only way cockatiel's `wrap()` can
 * call it) hands its callee a context with an own, still lazy, `signal` getter: `wrap()` merges contexts with
 * object spread, which copies own properties only, and would otherwise pass the outer signal inward.
 */
function start(child: ExecutionScope, index: number, alone: boolean): Promise<unknown> {
  if (!alone) return invokeNext(child, index);
  try {
    const result = child.fn(new SpreadableContext(child));
    return result instanceof Promise ? result : Promise.resolve(result);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Creates a timeout policy.
 *
 * Cheap on the hot path: no timer and no abort controller per call (see the module note). Nested timeouts
 * never extend an outer deadline, and a signal passed to `execute()` aborts the inner work.
 *
 * @example
 * ```ts
 * import { timeout } from 'switchboard';
 *
 * const fiveSeconds = timeout({ duration: 5_000 });
 * const body = await fiveSeconds.execute(({ signal }) => fetch(url, { signal }).then((r) => r.text()));
 * ```
 */
export function timeout(options: TimeoutOptions | number): TimeoutPolicy {
  return new TimeoutPolicy(typeof options === 'number' ? { duration: options } : options);
}
