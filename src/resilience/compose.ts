/**
 * Composition of policies, outermost first.
 *
 * cockatiel's `wrap()` builds a merged context object and a closure per layer per call; with four layers that
 * is most of the cost of a fast call. `compose()` keeps `wrap()`'s contract (outermost first, the context
 * handed inward carries `signal` and `attempt`, the result is an `IPolicy` that `wrap()` accepts in turn) but
 * passes one context through all of our own layers. cockatiel policies (or any `IPolicy`) can be mixed in;
 * they run through their own `execute()`.
 *
 * @module
 */
import type { IPolicy } from 'cockatiel';
import { type ExecuteSignal, PolicyBase, type PolicyOptions, type SwitchboardPolicy } from './policy-base.js';
import {
  ExecutionScope,
  type Layer,
  type PolicyContext,
  type PolicyFn,
  rootScope,
  runNext,
} from './scope.js';

// biome-ignore lint/suspicious/noExplicitAny: any IPolicy, whatever its context and alternative return types
type AnyPolicy = IPolicy<any, any>;

/**
 * Continues `outer`'s chain under a context an inner policy created: its signal, attempt and (when it is one
 * of ours) its deadline.
 */
function continuation(outer: ExecutionScope, context: Partial<PolicyContext> | undefined): ExecutionScope {
  if (context === outer || context === undefined) return outer;
  const scope = new ExecutionScope();
  scope.fn = outer.fn;
  scope.layers = outer.layers;
  if (context instanceof ExecutionScope) {
    scope.up = context;
    scope.deadline = context.deadline;
    scope.attempt = context.attempt;
    return scope;
  }
  scope.up = outer;
  scope.deadline = outer.deadline;
  scope.attempt = outer.attempt;
  if (context.signal !== undefined && context.signal !== outer.signal) {
    scope.up = undefined;
    scope.external = context.signal;
  }
  // cockatiel's retry counts attempts from 0.
  if (typeof context.attempt === 'number') scope.attempt = context.attempt + 1;
  return scope;
}

/** Runs a policy that is not ours as one layer of a chain. */
class ForeignLayer implements Layer {
  constructor(readonly policy: AnyPolicy) {}

  run(scope: ExecutionScope, index: number): Promise<unknown> {
    return this.policy.execute(
      (context: Partial<PolicyContext>) => runNext(continuation(scope, context), index),
      scope.signal,
    );
  }
}

/**
 * The policy {@link compose} returns.
 *
 * @example
 * ```ts
 * import { bulkhead, compose, retry, timeout } from 'switchboard';
 *
 * const perAttempt = compose(retry({ maxAttempts: 3 }), timeout(2_000));
 * const guarded = compose(bulkhead({ limit: 10 }), perAttempt); // nested compositions are flattened
 * console.log(guarded.wrapped.length, guarded.layers.length); // 2 3
 * const response = await guarded.execute(({ signal }) => fetch(url, { signal }));
 * ```
 */
export class ComposedPolicy<A = never> extends PolicyBase<A> {
  /** The policies given to {@link compose}, outermost first (cockatiel's `IMergedPolicy.wrapped`). */
  readonly wrapped: readonly AnyPolicy[];
  /** The flattened chain. */
  readonly layers: readonly Layer[];

  constructor(policies: readonly AnyPolicy[], options?: PolicyOptions) {
    super('composed', options);
    this.wrapped = policies;
    const layers: Layer[] = [];
    for (const policy of policies) {
      if (policy instanceof ComposedPolicy) layers.push(...policy.layers);
      else if (policy instanceof PolicyBase) layers.push(policy);
      else layers.push(new ForeignLayer(policy));
    }
    this.layers = layers;
  }

  override execute<T>(fn: PolicyFn<T>, signal?: ExecuteSignal): Promise<T | A> {
    return this.start(fn, signal);
  }

  private start<T>(fn: PolicyFn<T>, parent: ExecuteSignal | ExecutionScope | undefined): Promise<T | A> {
    const scope = rootScope(fn as PolicyFn<unknown>, this.layers, parent);
    let result: Promise<T | A>;
    try {
      result = Promise.resolve(runNext(scope, 0) as T | A | Promise<T | A>);
    } catch (error) {
      result = Promise.reject(error);
    }
    return this.measured() ? this.measure(result) : result;
  }

  /** As a layer of another chain (when not flattened into it): runs this chain, then the rest of that one. */
  run(scope: ExecutionScope, index: number): Promise<unknown> {
    return this.start((context) => runNext(continuation(scope, context), index), scope);
  }
}

/**
 * Composes policies, outermost first: `compose(a, b, c).execute(fn)` runs `a(b(c(fn)))`, like cockatiel's
 * `wrap()`, and accepts cockatiel policies too.
 *
 * The order that works for calls to a downstream:
 * `compose(bulkhead, retry, circuitBreaker, timeout)`:
 * - timeout innermost, so every attempt gets its own deadline and a slow attempt is retried;
 * - the breaker inside retry and outside the timeout, so timeouts count as failures and an open breaker makes
 *   the remaining attempts fail fast (retry waits `retryAfterMs` of SWB_CIRCUIT_OPEN, capped at its max delay);
 * - the bulkhead outermost (or one per downstream), so a call waiting out its backoff keeps its slot and the
 *   downstream never sees more than the limit; put it inside retry instead to free the slot between attempts;
 * - fallback, when wanted, outside everything, so it sees the final failure.
 *
 * @example
 * ```ts
 * import { bulkhead, circuitBreaker, compose, retry, timeout } from 'switchboard';
 *
 * const policy = compose(
 *   bulkhead({ limit: 10, queue: 100 }),
 *   retry({ maxAttempts: 3, initialDelay: 1_000, maxDelay: 10_000 }),
 *   circuitBreaker({ consecutiveFailures: 5, halfOpenAfter: 30_000 }),
 *   timeout({ duration: 5_000 }),
 * );
 * const user = await policy.execute(({ signal, attempt }) => fetchUser(id, { signal }));
 * ```
 */
export function compose<P extends AnyPolicy[]>(
  ...policies: P
): SwitchboardPolicy<AltReturnOf<P[number]>> & ComposedPolicy<AltReturnOf<P[number]>> {
  return new ComposedPolicy<AltReturnOf<P[number]>>(policies);
}

/** What a policy may resolve with instead of the function's result (cockatiel's `_altReturn` marker). */
type AltReturnOf<P> = P extends { readonly _altReturn: infer A } ? A : never;
