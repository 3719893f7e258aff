/**
 * What the core and JetStream subscriptions share: a local queue, the concurrency limit, per-key ordering, the
 * deliveries handed to the handler and the drain on close. Subclasses only say how messages arrive and how they
 * are acknowledged, given back or redelivered.
 *
 * @module
 */
import type { WireMessage } from '../../envelope/types.js';
import { SwitchboardError } from '../../errors.js';
import type {
  Delivery,
  DeliveryCoordinates,
  DeliveryHandler,
  NackOptions,
  Subscription,
} from '../../transport/types.js';

/** A message received from the broker, waiting in the local queue or handed out. */
export interface Inbound<R> {
  readonly message: WireMessage;
  readonly attempt: number;
  readonly coordinates: DeliveryCoordinates;
  /** The native message (needed to settle it). */
  readonly raw: R;
}

/** Options every subscription kind takes. */
export interface BaseSubscriptionOptions {
  readonly topic: string;
  readonly group: string | undefined;
  readonly handler: DeliveryHandler;
  readonly concurrency: number;
  readonly ordered: boolean;
  /** Reports handler failures and other recovered errors. */
  readonly onError: (error: unknown, context: string) => void;
}

/** A settlement the subclass performs. `nack` returns whether the key stays reserved until a local redelivery. */
interface Settler<R> {
  ack(item: Inbound<R>): void;
  nack(item: Inbound<R>, delayMs: number): boolean;
  working(item: Inbound<R>): void;
}

const DONE: Promise<void> = Promise.resolve();

class LiveDelivery<R> implements Delivery {
  readonly topic: string;
  readonly message: WireMessage;
  readonly attempt: number;
  readonly coordinates: DeliveryCoordinates;
  settled = false;
  // Made on first use of `signal`: most handlers never look at it, and an AbortController per message is a
  // measurable share of the per-message cost on the hot path.
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private aborted = false;

  constructor(
    public item: Inbound<R>,
    topic: string,
    private readonly owner: BaseSubscription<R>,
  ) {
    this.topic = topic;
    this.message = item.message;
    this.attempt = item.attempt;
    this.coordinates = item.coordinates;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Aborts the signal (now, or when it is first read). */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  // Settling never waits on the broker (acks are fire-and-forget on NATS), so one shared resolved promise
  // serves every call instead of a new one per message.
  ack(): Promise<void> {
    this.owner.settle(this, 'ack', 0);
    return DONE;
  }

  nack(options?: NackOptions): Promise<void> {
    this.owner.settle(this, 'nack', Math.max(0, options?.delayMs ?? 0));
    return DONE;
  }

  working(): Promise<void> {
    this.owner.progress(this);
    return DONE;
  }
}

/** The shared part of a NATS subscription. */
export abstract class BaseSubscription<R> implements Subscription {
  readonly topic: string;
  readonly group: string | undefined;
  protected readonly concurrency: number;
  protected readonly ordered: boolean;
  protected readonly onError: (error: unknown, context: string) => void;
  private readonly handler: DeliveryHandler;
  private queue: Inbound<R>[] = [];
  private readonly live = new Set<LiveDelivery<R>>();
  private readonly busyKeys = new Set<string>();
  private isPaused = false;
  /** No new deliveries are handed out (close started). */
  protected closing = false;
  /** Settlements are ignored (close finished its grace period). */
  private sealed = false;
  private closePromise: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];

  protected constructor(options: BaseSubscriptionOptions) {
    this.topic = options.topic;
    this.group = options.group;
    this.handler = options.handler;
    this.concurrency = Math.max(1, Math.floor(options.concurrency));
    this.ordered = options.ordered;
    this.onError = options.onError;
  }

  /** How the subclass acknowledges, gives back and keeps alive its native messages. */
  protected abstract readonly settler: Settler<R>;
  /** Stops receiving from the broker (unsubscribe, stop pulling). */
  protected abstract stopReceiving(): Promise<void>;
  /** Gives a message that will not be handled back to the broker, if the broker can take it. */
  protected abstract giveBack(item: Inbound<R>): void;
  /** Called after close finished; release broker-side resources. */
  protected async afterClose(): Promise<void> {}
  /** Called when room frees up (a delivery settled or resumed), so pull-based subclasses can ask for more. */
  protected onRoom(): void {}

  get paused(): boolean {
    return this.isPaused;
  }

  /** Messages waiting locally. */
  protected get queuedCount(): number {
    return this.queue.length;
  }

  /** Deliveries handed out and not settled. */
  protected get inFlightCount(): number {
    return this.live.size;
  }

  /** Every native message held here, queued or handed out and unsettled. */
  protected heldItems(): Inbound<R>[] {
    return [...this.queue, ...[...this.live].map((d) => d.item)];
  }

  /** Whether a message is already held here (a broker redelivery of something still in hand). */
  protected findHeld(match: (item: Inbound<R>) => boolean): Inbound<R> | undefined {
    for (const item of this.queue) if (match(item)) return item;
    for (const d of this.live) if (match(d.item)) return d.item;
    return undefined;
  }

  /** Replaces a held item (a newer delivery of the same message) so settlements go to the newest one. */
  protected replaceHeld(old: Inbound<R>, next: Inbound<R>): void {
    const index = this.queue.indexOf(old);
    if (index !== -1) {
      this.queue[index] = next;
      return;
    }
    for (const d of this.live) {
      if (d.item === old) {
        d.item = next;
        return;
      }
    }
  }

  /** Queues a received message; gives it straight back when the subscription is closing. */
  protected accept(item: Inbound<R>, front = false): void {
    if (this.closing) {
      this.giveBack(item);
      return;
    }
    if (
      this.queue.length === 0 &&
      !this.isPaused &&
      this.live.size < this.concurrency &&
      !(this.ordered && this.isBusy(item.message.key))
    ) {
      this.hand(item); // the common case: room to spare, nothing waiting
      return;
    }
    if (front) this.queue.unshift(item);
    else this.queue.push(item);
    this.pump();
  }

  /** Releases a key reserved by a nack that keeps it (local redelivery). */
  protected releaseKey(key: string | undefined): void {
    if (key !== undefined) this.busyKeys.delete(key);
  }

  pause(): void {
    this.isPaused = true;
  }

  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.pump();
    this.onRoom();
  }

  /** Hands queued messages to the handler while there is room. */
  protected pump(): void {
    while (!this.isPaused && !this.closing && this.live.size < this.concurrency && this.queue.length > 0) {
      const index = this.ordered ? this.queue.findIndex((i) => !this.isBusy(i.message.key)) : 0;
      if (index === -1) return;
      const item = index === 0 ? this.queue.shift() : this.queue.splice(index, 1)[0];
      if (item !== undefined) this.hand(item);
    }
  }

  private isBusy(key: string | undefined): boolean {
    return key !== undefined && this.busyKeys.has(key);
  }

  private hand(item: Inbound<R>): void {
    const delivery = new LiveDelivery(item, this.topic, this);
    this.live.add(delivery);
    if (this.ordered && item.message.key !== undefined) this.busyKeys.add(item.message.key);
    let result: void | Promise<void>;
    try {
      result = this.handler(delivery);
    } catch (error) {
      this.handlerFailed(delivery, error);
      return;
    }
    if (result !== undefined && result !== DONE && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(undefined, (error: unknown) => this.handlerFailed(delivery, error));
    }
  }

  private handlerFailed(delivery: LiveDelivery<R>, error: unknown): void {
    this.onError(error, `handler of ${this.topic}`);
    if (!delivery.settled) this.settle(delivery, 'nack', 0);
  }

  /** Applies an ack or nack once; later calls and calls after close are ignored. */
  settle(delivery: LiveDelivery<R>, how: 'ack' | 'nack', delayMs: number): void {
    if (delivery.settled || this.sealed || !this.live.has(delivery)) return;
    delivery.settled = true;
    this.live.delete(delivery);
    let keepKey = false;
    try {
      if (how === 'ack') this.settler.ack(delivery.item);
      else keepKey = this.settler.nack(delivery.item, delayMs);
    } catch (error) {
      this.onError(error, `${how} on ${this.topic}`);
    }
    if (this.ordered && !keepKey) this.releaseKey(delivery.item.message.key);
    this.afterSettle();
  }

  /** Forwards `working()` of an unsettled delivery. */
  progress(delivery: LiveDelivery<R>): void {
    if (delivery.settled || this.sealed) return;
    try {
      this.settler.working(delivery.item);
    } catch (error) {
      this.onError(error, `working on ${this.topic}`);
    }
  }

  private afterSettle(): void {
    if (this.live.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
    this.pump();
    if (!this.closing) this.onRoom();
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    this.closePromise ??= this.drain(Math.max(0, options.graceMs ?? 0));
    return this.closePromise;
  }

  private async drain(graceMs: number): Promise<void> {
    this.closing = true;
    try {
      await this.stopReceiving();
    } catch (error) {
      this.onError(error, `stopping ${this.topic}`);
    }
    const queued = this.queue;
    this.queue = [];
    for (const item of queued) this.giveBack(item);
    if (this.live.size > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.sealed = true;
    for (const delivery of this.live) {
      delivery.abort(new SwitchboardError('SWB_ABORTED', 'subscription closed'));
      this.giveBack(delivery.item);
    }
    this.live.clear();
    try {
      await this.afterClose();
    } catch (error) {
      this.onError(error, `closing ${this.topic}`);
    }
  }
}
