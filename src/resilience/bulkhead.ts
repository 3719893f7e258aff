/**
 * A bulkhead: at most `limit` calls run at once, at most `queue` wait, the rest are rejected at once.
 *
 * Why not cockatiel's `BulkheadPolicy`: a queued call whose signal aborts stays in its queue (holding a queue
 * place) until a slot frees up. Here it leaves the queue the moment its signal aborts.
 *
 * @module
 */
import { EventEmitter } from 'cockatiel';
import { SwitchboardError } from '../errors.js';
import { checkNumber } from './config-error.js';
import { abortError } from './errors.js';
import { PolicyBase, type PolicyOptions } from './policy-base.js';
import { type ExecutionScope, invokeNext, NEVER_ABORTED } from './scope.js';

/** Options of {@link bulkhead}. */
export interface BulkheadOptions extends PolicyOptions {
  /** Calls allowed to run at once. */
  readonly limit: number;
  /** Calls allowed to wait for a slot. Default 0. */
  readonly queue?: number;
}

/** A call waiting for a slot; it is its own abort listener. */
class QueuedCall {
  prev: QueuedCall | undefined = undefined;
  next: QueuedCall | undefined = undefined;
  resolve: (value: unknown) => void = noop;
  reject: (reason: unknown) => void = noop;
  readonly promise: Promise<unknown>;

  constructor(
    readonly owner: BulkheadPolicy,
    readonly scope: ExecutionScope,
    readonly index: number,
    readonly signal: AbortSignal,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  handleEvent(): void {
    this.owner.abandon(this);
  }
}

/**
 * The policy {@link bulkhead} returns.
 *
 * @example
 * ```ts
 * import { bulkhead } from 'switchboard';
 *
 * const db = bulkhead({ limit: 10, queue: 50 });
 * db.onReject(() => metrics.increment('db.bulkhead.rejected'));
 * const load = () => ({ running: db.running, queued: db.queued, freeSlots: db.executionSlots });
 * ```
 */
export class BulkheadPolicy extends PolicyBase {
  readonly limit: number;
  readonly queue: number;
  private active = 0;
  private waiting = 0;
  private head: QueuedCall | undefined = undefined;
  private tail: QueuedCall | undefined = undefined;
  private readonly rejectEmitter = new EventEmitter<void>();

  /** Fires when a call is rejected because every slot and queue place is taken. */
  readonly onReject = this.rejectEmitter.addListener;

  constructor(options: BulkheadOptions) {
    super('bulkhead', options);
    this.limit = checkNumber(options.limit, 'limit', { min: 1, integer: true });
    this.queue = checkNumber(options.queue ?? 0, 'queue', { min: 0, integer: true, infinite: true });
  }

  /** Calls running now. */
  get running(): number {
    return this.active;
  }

  /** Calls waiting now. */
  get queued(): number {
    return this.waiting;
  }

  /** Free slots (cockatiel's `executionSlots`). */
  get executionSlots(): number {
    return this.limit - this.active;
  }

  /** Free queue places (cockatiel's `queueSlots`). */
  get queueSlots(): number {
    return this.queue - this.waiting;
  }

  run(scope: ExecutionScope, index: number): Promise<unknown> {
    if (scope.isAborted()) return Promise.reject(abortError(scope.abortReason(), this.name));
    if (this.active < this.limit) {
      this.active++;
      return this.runHeld(scope, index);
    }
    if (this.waiting < this.queue) return this.enqueue(scope, index);
    this.rejectEmitter.emit();
    this.events.emit('bulkhead.reject', { policy: this.name, limit: this.limit, queue: this.queue });
    return Promise.reject(
      new SwitchboardError(
        'SWB_BULKHEAD_REJECTED',
        `${this.name}: all ${this.limit} slots and queue places taken`,
        {
          retryable: true,
          details: { policy: this.name, limit: this.limit, queue: this.queue },
        },
      ),
    );
  }

  // Made once, so the success path allocates no closure.
  private readonly done = (value: unknown): unknown => {
    this.release();
    return value;
  };
  private readonly failed = (error: unknown): never => {
    this.release();
    throw error;
  };

  private runHeld(scope: ExecutionScope, index: number): Promise<unknown> {
    return invokeNext(scope, index).then(this.done, this.failed);
  }

  private enqueue(scope: ExecutionScope, index: number): Promise<unknown> {
    const call = new QueuedCall(this, scope, index, scope.signal);
    call.prev = this.tail;
    if (this.tail === undefined) this.head = call;
    else this.tail.next = call;
    this.tail = call;
    this.waiting++;
    if (call.signal !== NEVER_ABORTED) call.signal.addEventListener('abort', call);
    return call.promise;
  }

  private unlink(call: QueuedCall): void {
    if (call.prev === undefined) this.head = call.next;
    else call.prev.next = call.next;
    if (call.next === undefined) this.tail = call.prev;
    else call.next.prev = call.prev;
    call.prev = undefined;
    call.next = undefined;
    this.waiting--;
    if (call.signal !== NEVER_ABORTED) call.signal.removeEventListener('abort', call);
  }

  /** A queued call's signal aborted: it leaves the queue now. */
  abandon(call: QueuedCall): void {
    if (call.prev === undefined && this.head !== call) return;
    this.unlink(call);
    call.reject(abortError(call.signal.reason, this.name));
  }

  /** A slot freed up: hand it straight to the first waiting call, so no newcomer can jump the queue. */
  private release(): void {
    const call = this.head;
    if (call === undefined) {
      this.active--;
      return;
    }
    this.unlink(call);
    this.runHeld(call.scope, call.index).then(call.resolve, call.reject);
  }
}

function noop(): void {}

/**
 * Creates a bulkhead. Give each downstream its own, so one slow dependency cannot take every slot.
 *
 * @example
 * ```ts
 * import { bulkhead } from 'switchboard';
 *
 * const tenAtOnce = bulkhead({ limit: 10, queue: 50 });
 * await tenAtOnce.execute(({ signal }) => queryDatabase(signal), requestSignal);
 * ```
 */
export function bulkhead(options: BulkheadOptions): BulkheadPolicy {
  return new BulkheadPolicy(options);
}
