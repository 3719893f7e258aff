/**
 * The base every Switchboard policy extends: cockatiel's `IPolicy` (so `wrap()` accepts it) plus the
 * {@link Layer} protocol our own `compose()` uses to pass one context inward without a closure per layer.
 *
 * @module
 */
import {
  EventEmitter,
  type IDefaultPolicyContext,
  type IFailureEvent,
  type IPolicy,
  type ISuccessEvent,
} from 'cockatiel';
import type { Deadline } from './deadline.js';
import { type ResilienceEvents, resilienceEvents } from './events.js';
import { type ExecutionScope, type Layer, type PolicyContext, type PolicyFn, rootScope } from './scope.js';

/** Options every policy factory accepts. */
export interface PolicyOptions {
  /** Name reported in events and errors; defaults to the policy kind. */
  readonly name?: string;
  /** Where events go; defaults to the shared {@link resilienceEvents} emitter. */
  readonly events?: ResilienceEvents;
}

/**
 * What `execute()` accepts besides the function: a caller's `AbortSignal`, or a deadline from
 * `createDeadline()` (cheaper: its signal is not created unless someone reads it, and nested timeouts see
 * its deadline and never extend it).
 */
export type ExecuteSignal = AbortSignal | Deadline;

/**
 * A Switchboard policy: cockatiel's `IPolicy` with our context type. `A` is what the policy may resolve with
 * instead of the function's result (a fallback's value); `never` for every other policy.
 */
export interface SwitchboardPolicy<A = never> extends IPolicy<IDefaultPolicyContext & PolicyContext, A> {
  /** Name used in events and errors. */
  readonly name: string;
  execute<T>(fn: PolicyFn<T>, signal?: ExecuteSignal): Promise<T | A>;
}

const now = (): number => performance.now();

/**
 * Shared implementation of `execute()`, the success and failure events and the layer protocol.
 *
 * @example
 * ```ts
 * import { bulkhead, type PolicyBase, retry, timeout } from 'switchboard';
 *
 * // every Switchboard policy has `name`, `execute()` and cockatiel's onSuccess/onFailure events
 * const policies: PolicyBase[] = [retry(), timeout(5_000), bulkhead({ limit: 10 })];
 * for (const policy of policies) {
 *   policy.onFailure(({ duration }) => console.warn(`${policy.name} failed after ${duration} ms`));
 * }
 * ```
 */
export abstract class PolicyBase<A = never> implements SwitchboardPolicy<A>, Layer {
  /** @deprecated cockatiel's type-only marker; never defined at run time. */
  declare readonly _altReturn: A;
  readonly name: string;
  /** The emitter this policy reports to. */
  readonly events: ResilienceEvents;
  private readonly successEmitter = new EventEmitter<ISuccessEvent>();
  private readonly failureEmitter = new EventEmitter<IFailureEvent>();
  /** This policy alone, as a chain. */
  protected readonly self: readonly Layer[] = [this];

  /** Fires when a call made through this policy's `execute()` succeeds (cockatiel's `IPolicy` event). */
  readonly onSuccess = this.successEmitter.addListener;
  /** Fires when a call made through this policy's `execute()` fails (cockatiel's `IPolicy` event). */
  readonly onFailure = this.failureEmitter.addListener;

  constructor(defaultName: string, options: PolicyOptions | undefined) {
    this.name = options?.name ?? defaultName;
    this.events = options?.events ?? resilienceEvents();
  }

  /** Runs `fn` through this policy; `fn` receives `{ signal, attempt }`. */
  execute<T>(fn: PolicyFn<T>, signal?: ExecuteSignal): Promise<T | A> {
    const scope = rootScope(fn as PolicyFn<unknown>, this.self, signal);
    let result: Promise<T | A>;
    try {
      result = this.run(scope, 1) as Promise<T | A>;
    } catch (error) {
      result = Promise.reject(error);
    }
    return this.measured() ? this.measure(result) : result;
  }

  /** Whether anyone listens to `onSuccess` or `onFailure`. */
  protected measured(): boolean {
    return this.successEmitter.size !== 0 || this.failureEmitter.size !== 0;
  }

  /** Layer protocol; see {@link Layer.run}. */
  abstract run(scope: ExecutionScope, index: number): Promise<unknown>;

  /** Reports duration and outcome of one `execute()` to `onSuccess`/`onFailure` listeners. */
  protected async measure<T>(result: Promise<T>): Promise<T> {
    const start = now();
    try {
      const value = await result;
      this.successEmitter.emit({ duration: now() - start });
      return value;
    } catch (error) {
      this.failureEmitter.emit({ duration: now() - start, handled: true, reason: { error } });
      throw error;
    }
  }
}
