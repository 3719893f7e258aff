/**
 * A Transport wrapper that delivers every delivery twice: the original (settled with the broker) and a twin
 * carrying the same message. A nacked twin comes back after its delay, as a broker redelivery would, until it is
 * acknowledged. Twins arrive in three ways, by turns: before the original, alongside it, and after it settled,
 * so both the `in-progress` and the `duplicate` answers of the idempotency store are exercised.
 *
 * @module
 */
import type { WireMessage } from '../../../src/envelope/types.js';
import type {
  Delivery,
  DeliveryCoordinates,
  DeliveryHandler,
  NackOptions,
  PublishOptions,
  PublishReceipt,
  Subscription,
  Transport,
  TransportSubscribeOptions,
} from '../../../src/transport/types.js';

/** What the wrapper counted. */
export interface DuplicationStats {
  /** Deliveries the inner transport made (redeliveries included). */
  originals: number;
  /** Twin deliveries made (their redeliveries included). */
  twins: number;
  /** Originals acknowledged (first ack only). */
  originalAcks: number;
  /** Twins acknowledged. */
  twinAcks: number;
  /** Twins nacked (and so delivered again). */
  twinNacks: number;
}

class TwinDelivery implements Delivery {
  settled = false;
  constructor(
    readonly topic: string,
    readonly message: WireMessage,
    readonly attempt: number,
    readonly coordinates: DeliveryCoordinates,
    readonly signal: AbortSignal,
    private readonly onAck: () => void,
    private readonly onNack: (delayMs: number) => void,
  ) {}

  async ack(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    this.onAck();
  }

  async nack(options: NackOptions = {}): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    this.onNack(options.delayMs ?? 0);
  }

  async working(): Promise<void> {}
}

/** The wrapper: a {@link Transport} whose subscriptions see every delivery twice. */
export class DuplicatingTransport implements Transport {
  readonly stats: DuplicationStats = { originals: 0, twins: 0, originalAcks: 0, twinAcks: 0, twinNacks: 0 };
  readonly #pending = new Set<Promise<unknown>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #turn = 0;
  #closed = false;

  constructor(readonly inner: Transport) {}

  get system(): string {
    return this.inner.system;
  }
  get features(): Transport['features'] {
    return this.inner.features;
  }
  get events(): Transport['events'] {
    return this.inner.events;
  }
  connect(): Promise<void> {
    return this.inner.connect();
  }
  publish(topic: string, message: WireMessage, options?: PublishOptions): Promise<PublishReceipt> {
    return this.inner.publish(topic, message, options);
  }
  publishBatch(topic: string, messages: readonly WireMessage[], options?: PublishOptions) {
    return this.inner.publishBatch(topic, messages, options);
  }
  health() {
    return this.inner.health();
  }

  subscribe(
    topic: string,
    handler: DeliveryHandler,
    options?: TransportSubscribeOptions,
  ): Promise<Subscription> {
    return this.inner.subscribe(topic, (delivery) => this.#deliver(delivery, handler), options);
  }

  async close(options?: { graceMs?: number }): Promise<void> {
    await this.inner.close(options);
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#pending]);
  }

  #deliver(delivery: Delivery, handler: DeliveryHandler): Promise<void> {
    this.stats.originals++;
    const stats = this.stats;
    const original: Delivery = {
      topic: delivery.topic,
      message: delivery.message,
      attempt: delivery.attempt,
      coordinates: delivery.coordinates,
      signal: delivery.signal,
      get settled() {
        return delivery.settled;
      },
      ack: () => {
        if (!delivery.settled) stats.originalAcks++;
        return delivery.ack();
      },
      nack: (o) => delivery.nack(o),
      working: () => delivery.working(),
    };
    const turn = this.#turn++ % 3;
    if (turn === 0) {
      // The twin first, then the original a turn of the event loop later, while the twin holds the key: the
      // original loses and goes back to the broker.
      this.#twin(delivery, handler, 1, true);
      return new Promise<void>((resolve) => setImmediate(resolve)).then(() => handler(original));
    }
    if (turn === 1) {
      const run = Promise.resolve(handler(original));
      this.#twin(delivery, handler, 1);
      return run;
    }
    // After the original has been handled and settled.
    return Promise.resolve(handler(original)).finally(() => this.#twin(delivery, handler, 1));
  }

  #twin(delivery: Delivery, handler: DeliveryHandler, attempt: number, now = false): void {
    if (this.#closed) return;
    this.stats.twins++;
    const twin = new TwinDelivery(
      delivery.topic,
      delivery.message,
      attempt,
      delivery.coordinates,
      new AbortController().signal,
      () => {
        this.stats.twinAcks++;
      },
      (delayMs) => {
        this.stats.twinNacks++;
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#twin(delivery, handler, attempt + 1);
        }, delayMs);
        this.#timers.add(timer);
      },
    );
    const started = now ? Promise.resolve(handler(twin)) : Promise.resolve().then(() => handler(twin));
    const run = started.catch(() => twin.nack()).finally(() => this.#pending.delete(run));
    this.#pending.add(run);
  }
}
