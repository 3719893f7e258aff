/**
 * A live in-memory subscription: one member of a consumer group.
 *
 * @module
 */
import type { DeliveryHandler, Subscription } from '../types.js';
import type { MemoryClock } from './clock.js';
import type { ConsumerGroup } from './consumer-group.js';
import type { MemoryDelivery } from './delivery.js';

/** What a subscription needs from the transport that made it. */
export interface SubscriptionOwner {
  readonly clock: MemoryClock;
  /** Called once the subscription has fully closed. */
  forget(subscription: MemorySubscription): void;
}

/**
 * A {@link Subscription} of the in-memory transport. It keeps its unsettled deliveries in an intrusive list so
 * close can take them back without a per-message allocation.
 */
export class MemorySubscription implements Subscription {
  readonly topic: string;
  readonly group: string;
  readonly concurrency: number;
  /** Unsettled deliveries. */
  inFlight = 0;
  /** Takes new deliveries: neither paused nor closing. */
  accepting = true;
  readonly #consumerGroup: ConsumerGroup;
  readonly #handler: DeliveryHandler;
  readonly #owner: SubscriptionOwner;
  #paused = false;
  #closing: Promise<void> | undefined;
  #first: MemoryDelivery | undefined;
  #onDrained: (() => void) | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  constructor(
    group: ConsumerGroup,
    handler: DeliveryHandler,
    concurrency: number,
    owner: SubscriptionOwner,
    signal: AbortSignal | undefined,
  ) {
    this.topic = group.topic.name;
    this.group = group.name;
    this.#consumerGroup = group;
    this.#handler = handler;
    this.concurrency = concurrency;
    this.#owner = owner;
    if (signal !== undefined) {
      this.#signal = signal;
      this.#onAbort = () => void this.close();
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Whether {@link close} was called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  pause(): void {
    this.#paused = true;
    this.accepting = false;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#closing !== undefined) return;
    this.accepting = true;
    this.#consumerGroup.schedule();
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#closing === undefined) {
      this.accepting = false;
      if (this.#onAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onAbort);
      this.#closing = this.#drain(options.graceMs ?? 0);
    }
    return this.#closing;
  }

  /** Messages its group has not been handed yet, plus redeliveries waiting (for `health().lag`). */
  lag(): number {
    return this.#consumerGroup.lag();
  }

  /** Runs the handler on a delivery the group picked for this subscription. */
  dispatch(delivery: MemoryDelivery): void {
    this.inFlight++;
    const first = this.#first;
    delivery.next = first;
    if (first !== undefined) first.prev = delivery;
    this.#first = delivery;
    let result: void | Promise<void>;
    try {
      result = this.#handler(delivery);
    } catch {
      delivery.fail();
      return;
    }
    if (result !== undefined && typeof result.then === 'function') {
      result.then(undefined, () => delivery.fail());
    }
  }

  /** A delivery of this subscription was settled: free its slot. */
  release(delivery: MemoryDelivery): void {
    const { prev, next } = delivery;
    if (prev !== undefined) prev.next = next;
    else this.#first = next;
    if (next !== undefined) next.prev = prev;
    delivery.prev = undefined;
    delivery.next = undefined;
    this.inFlight--;
    if (this.inFlight === 0) this.#onDrained?.();
  }

  async #drain(graceMs: number): Promise<void> {
    if (this.inFlight > 0 && graceMs > 0) {
      const clock = this.#owner.clock;
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(resolve, graceMs);
        this.#onDrained = () => {
          clock.clearTimeout(timer);
          resolve();
        };
      });
      this.#onDrained = undefined;
    }
    let delivery = this.#first;
    this.#first = undefined;
    this.inFlight = 0;
    while (delivery !== undefined) {
      const next = delivery.next;
      delivery.prev = undefined;
      delivery.next = undefined;
      delivery.revoke();
      delivery = next;
    }
    this.#consumerGroup.removeMember(this);
    this.#owner.forget(this);
  }
}
