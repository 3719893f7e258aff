/**
 * The context every policy hands inward: a lazily created abort signal, the attempt number and, for a timeout,
 * a place in the shared deadline queue. One object per call per timeout layer; nothing else is allocated on
 * the success path.
 *
 * @module
 */
import { type DeadlineEntry, type DeadlineList, deadlineQueue } from './deadline-queue.js';
import { abortError } from './errors.js';

/** What a function run through a policy receives. */
export interface PolicyContext {
  /**
   * Aborted when the call should stop: a timeout expired, an outer deadline passed, or the caller's signal
   * aborted. Created on first read, so a callee that never looks at it costs nothing.
   */
  readonly signal: AbortSignal;
  /** 1 on the first attempt, 2 on the first retry, and so on (cockatiel counts from 0). */
  readonly attempt: number;
}

/** The function a policy runs. */
export type PolicyFn<T> = (context: PolicyContext) => PromiseLike<T> | T;

/** A layer of a policy chain: our own policies implement it so a composed chain passes one context inward. */
export interface Layer {
  /** Runs the rest of the chain (`scope.layers[index]` onward, then `scope.fn`) under this layer. */
  run(scope: ExecutionScope, index: number): Promise<unknown>;
}

/** Told when a scope's own deadline passes. */
export interface ExpiryHandler {
  onExpired(scope: ExecutionScope): void;
}

const neverAborted: AbortSignal = new AbortController().signal;

/** A signal that never aborts, shared so a context without a deadline allocates nothing. */
export const NEVER_ABORTED: AbortSignal = neverAborted;

/**
 * The execution context. Its own deadline, when it has one, sits in the {@link deadlineQueue}; its signal
 * follows its parent (an outer scope or the caller's signal) and its own deadline.
 *
 * @example
 * ```ts
 * import { retry } from 'switchboard';
 *
 * // Through retry (or compose) your function receives the call's ExecutionScope, typed as PolicyContext:
 * // `attempt` counts from 1, and `signal` is only created when first read.
 * await retry({ maxAttempts: 3 }).execute(({ signal, attempt }) =>
 *   fetch(`${baseUrl}/orders?attempt=${attempt}`, { signal }),
 * );
 * ```
 */
export class ExecutionScope implements PolicyContext, DeadlineEntry {
  attempt = 1;
  deadline = Number.POSITIVE_INFINITY;
  prevEntry: DeadlineEntry | undefined = undefined;
  nextEntry: DeadlineEntry | undefined = undefined;
  list: DeadlineList | undefined = undefined;
  /** The function at the end of the chain. */
  fn: PolicyFn<unknown> = noop;
  /** The chain of layers this scope runs through. */
  layers: readonly Layer[] = EMPTY;
  /** The enclosing scope, when there is one. */
  up: ExecutionScope | undefined = undefined;
  /** The caller's signal, for a root scope. */
  external: AbortSignal | undefined = undefined;
  /** Whether this scope has a deadline of its own (and so a signal of its own). */
  own = false;
  expired = false;
  reason: unknown = undefined;
  ctrl: AbortController | undefined = undefined;
  handler: ExpiryHandler | undefined = undefined;
  /** Rejects an aggressive timeout's promise at expiry. */
  reject: ((reason: unknown) => void) | undefined = undefined;
  private listening: AbortSignal | undefined = undefined;

  get signal(): AbortSignal {
    if (this.ctrl !== undefined) return this.ctrl.signal;
    if (!this.own) return this.up !== undefined ? this.up.signal : (this.external ?? neverAborted);
    const ctrl = new AbortController();
    this.ctrl = ctrl;
    if (this.expired) {
      ctrl.abort(this.reason);
    } else {
      const parent = this.parentSignal();
      if (parent.aborted) ctrl.abort(parent.reason);
      else if (parent !== neverAborted) this.listen(parent);
    }
    return ctrl.signal;
  }

  /** Whether this scope or any enclosing one has been aborted, without creating a signal. */
  isAborted(): boolean {
    if (this.expired) return true;
    if (this.ctrl !== undefined) return this.ctrl.signal.aborted;
    if (this.up !== undefined) return this.up.isAborted();
    return this.external?.aborted === true;
  }

  /** The reason this scope counts as aborted, if {@link isAborted}. */
  abortReason(): unknown {
    if (this.expired) return this.reason;
    if (this.ctrl?.signal.aborted === true) return this.ctrl.signal.reason;
    if (this.up !== undefined) return this.up.abortReason();
    return this.external?.reason;
  }

  /** The signal of the enclosing scope or of the caller. */
  parentSignal(): AbortSignal {
    return this.up !== undefined ? this.up.signal : (this.external ?? neverAborted);
  }

  /** Subscribes to `signal` without a closure: this object is the listener. */
  listen(signal: AbortSignal): void {
    if (this.listening !== undefined) return;
    this.listening = signal;
    signal.addEventListener('abort', this);
  }

  /** EventListener protocol: the parent signal aborted. */
  handleEvent(): void {
    const parent = this.listening;
    this.unlisten();
    if (parent === undefined) return;
    if (this.ctrl !== undefined && !this.ctrl.signal.aborted) this.ctrl.abort(parent.reason);
    this.reject?.(abortError(parent.reason));
  }

  private unlisten(): void {
    if (this.listening === undefined) return;
    this.listening.removeEventListener('abort', this);
    this.listening = undefined;
  }

  /** Called by the deadline queue. */
  expire(): void {
    if (this.expired) return;
    this.expired = true;
    this.handler?.onExpired(this);
  }

  /** Leaves the deadline queue and drops the parent listener; idempotent. */
  dispose(): void {
    if (this.list !== undefined) deadlineQueue.remove(this);
    if (this.listening !== undefined) this.unlisten();
    this.reject = undefined;
  }
}

const EMPTY: readonly Layer[] = [];

function noop(): undefined {
  return undefined;
}

/** Creates the root scope of one `execute()` call. */
export function rootScope(
  fn: PolicyFn<unknown>,
  layers: readonly Layer[],
  parent: AbortSignal | object | undefined,
): ExecutionScope {
  const scope = new ExecutionScope();
  scope.fn = fn;
  scope.layers = layers;
  if (parent instanceof ExecutionScope) {
    scope.up = parent;
    scope.deadline = parent.deadline;
  } else {
    scope.external = parent as AbortSignal | undefined;
  }
  return scope;
}

/** Creates a scope with a deadline of its own inside `parent`, sharing its chain and attempt. */
export function childScope(parent: ExecutionScope, deadline: number, handler: ExpiryHandler): ExecutionScope {
  const scope = new ExecutionScope();
  scope.fn = parent.fn;
  scope.layers = parent.layers;
  scope.attempt = parent.attempt;
  scope.up = parent;
  scope.own = true;
  scope.deadline = deadline;
  scope.handler = handler;
  return scope;
}

/**
 * Runs the rest of the chain and always returns a native promise (a synchronous throw becomes a rejection).
 * Layers chain `.then()` on it with handlers made once per policy where they can: on the success path that
 * is about half the cost of an `async` frame per layer.
 */
export function invokeNext(scope: ExecutionScope, index: number): Promise<unknown> {
  try {
    const result = runNext(scope, index);
    return result instanceof Promise ? result : Promise.resolve(result);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Runs the rest of the chain after layer `index - 1`. */
export function runNext(scope: ExecutionScope, index: number): unknown {
  const layers = scope.layers;
  if (index === layers.length) return scope.fn(scope);
  return layers[index]!.run(scope, index + 1);
}
