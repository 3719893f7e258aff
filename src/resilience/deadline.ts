/**
 * A deadline for one unit of work (a message, a request) on the shared deadline queue, with a signal made
 * only when read.
 *
 * @module
 */
import { SwitchboardError } from '../errors.js';
import { deadlineQueue } from './deadline-queue.js';
import { timeoutError } from './errors.js';
import { ExecutionScope, type ExpiryHandler } from './scope.js';

/** A deadline made by {@link createDeadline}. Pass it to a policy's `execute()` in place of a signal. */
export interface Deadline {
  /** Aborted at the deadline (reason: SWB_TIMEOUT) or when the parent aborts. Created on first read. */
  readonly signal: AbortSignal;
  /** Absolute deadline in `Date.now()` milliseconds. */
  readonly deadline: number;
  /** Whether the deadline has passed. */
  readonly expired: boolean;
  /** Milliseconds left, never below 0. */
  remaining(): number;
  /** Takes the deadline off the queue and detaches from the parent. Call it when the work is done. */
  dispose(): void;
}

class DeadlineScope extends ExecutionScope implements ExpiryHandler, Deadline {
  timeoutMs = 0;
  name = 'deadline';

  remaining(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  onExpired(scope: ExecutionScope): void {
    const error = timeoutError(this.name, this.timeoutMs);
    scope.reason = error;
    scope.ctrl?.abort(error);
  }
}

/**
 * Creates a deadline `ms` from now, never later than `parent`'s when `parent` is a deadline, and aborted with
 * `parent` when that is a signal. No timer and no abort controller are created per deadline.
 *
 * @example
 * ```ts
 * import { createDeadline } from 'switchboard';
 *
 * const deadline = createDeadline(5_000, subscriptionSignal);
 * try {
 *   await policy.execute((ctx) => handler(envelope, ctx), deadline);
 * } finally {
 *   deadline.dispose();
 * }
 * ```
 */
export function createDeadline(ms: number, parent?: AbortSignal | Deadline, name = 'deadline'): Deadline {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', 'createDeadline: ms must be a finite number >= 0', {
      details: { path: 'ms', problem: 'must be a finite number >= 0' },
    });
  }
  const scope = new DeadlineScope();
  scope.timeoutMs = ms;
  scope.name = name;
  scope.own = true;
  scope.handler = scope;
  let deadline = Date.now() + ms;
  if (parent instanceof ExecutionScope) {
    scope.up = parent;
    if (parent.deadline < deadline) deadline = parent.deadline;
  } else {
    scope.external = parent as AbortSignal | undefined;
  }
  scope.deadline = deadline;
  deadlineQueue.add(scope, deadlineQueue.listFor(ms));
  return scope;
}
