import type { WireMessage } from '../../src/envelope/types.js';
import type { MemoryTransport } from '../../src/transport/memory/index.js';
import type {
  Delivery,
  DeliveryHandler,
  NackOptions,
  PublishOptions,
  PublishReceipt,
  Subscription,
  Transport,
  TransportSubscribeOptions,
} from '../../src/transport/types.js';

/** Ways to break a transport, each one a contract violation a conformance scenario should catch. */
export interface Faults {
  outgoing?(message: WireMessage, index: number): WireMessage | undefined;
  alsoPublishTo?(topic: string): string[];
  subscribeOptions?(options: TransportSubscribeOptions): TransportSubscribeOptions;
  handler?(handler: DeliveryHandler): DeliveryHandler;
  delivery?: {
    ignoreNackDelay?: boolean;
    neverAbort?: boolean;
    attemptAlwaysOne?: boolean;
    settledOnceAckCalled?: boolean;
    /** An ack after close reaches the "broker": the message is never delivered again. */
    lateAckTakesEffect?: boolean;
  };
  ignorePause?: boolean;
  publishAfterClose?: boolean;
}

class FaultyDelivery implements Delivery {
  #acked = false;
  constructor(
    private readonly inner: Delivery,
    private readonly faults: NonNullable<Faults['delivery']>,
    private readonly swallowed: Set<string>,
  ) {}
  get topic(): string {
    return this.inner.topic;
  }
  get message(): WireMessage {
    return this.inner.message;
  }
  get attempt(): number {
    return this.faults.attemptAlwaysOne ? 1 : this.inner.attempt;
  }
  get coordinates(): Delivery['coordinates'] {
    return this.inner.coordinates;
  }
  get signal(): AbortSignal {
    return this.faults.neverAbort ? new AbortController().signal : this.inner.signal;
  }
  get settled(): boolean {
    return (this.faults.settledOnceAckCalled && this.#acked) || this.inner.settled;
  }
  async ack(): Promise<void> {
    this.#acked = true;
    await this.inner.ack();
    if (this.faults.lateAckTakesEffect && !this.inner.settled) {
      this.swallowed.add(this.inner.message.headers['x-conformance-id']!);
    }
  }
  nack(options?: NackOptions): Promise<void> {
    return this.inner.nack(this.faults.ignoreNackDelay ? {} : options);
  }
  working(): Promise<void> {
    return this.inner.working();
  }
}

/** A memory transport with injected faults. */
export class FaultyTransport implements Transport {
  readonly system = 'faulty';
  #published = 0;
  #closed = false;
  readonly #swallowed = new Set<string>();
  constructor(
    private readonly inner: MemoryTransport,
    private readonly faults: Faults,
  ) {}
  get features(): Transport['features'] {
    return this.inner.features;
  }
  get events(): Transport['events'] {
    return this.inner.events;
  }
  ensureTopic(topic: string, config?: { partitions?: number }): Promise<void> {
    return this.inner.ensureTopic(topic, config);
  }
  connect(): Promise<void> {
    return this.inner.connect();
  }
  async publish(topic: string, message: WireMessage, options?: PublishOptions): Promise<PublishReceipt> {
    if (this.#closed && this.faults.publishAfterClose) return { topic };
    const out = this.faults.outgoing ? this.faults.outgoing(message, this.#published++) : message;
    for (const other of this.faults.alsoPublishTo?.(topic) ?? []) await this.inner.publish(other, message);
    if (out === undefined) return { topic };
    return this.inner.publish(topic, out, options);
  }
  publishBatch(
    topic: string,
    messages: readonly WireMessage[],
    options?: PublishOptions,
  ): Promise<PublishReceipt[]> {
    return Promise.all(messages.map((m) => this.publish(topic, m, options)));
  }
  async subscribe(
    topic: string,
    handler: DeliveryHandler,
    options: TransportSubscribeOptions = {},
  ): Promise<Subscription> {
    const wrapped = this.faults.handler ? this.faults.handler(handler) : handler;
    const deliveryFaults = this.faults.delivery;
    const swallowed = this.#swallowed;
    const final: DeliveryHandler = deliveryFaults
      ? (d) => {
          if (swallowed.has(d.message.headers['x-conformance-id']!)) return d.ack();
          return wrapped(new FaultyDelivery(d, deliveryFaults, swallowed));
        }
      : wrapped;
    const inner = await this.inner.subscribe(
      topic,
      final,
      this.faults.subscribeOptions ? this.faults.subscribeOptions(options) : options,
    );
    if (!this.faults.ignorePause) return inner;
    return {
      topic: inner.topic,
      group: inner.group,
      paused: false,
      pause() {},
      resume() {},
      close: (o) => inner.close(o),
    };
  }
  async close(options?: { graceMs?: number }): Promise<void> {
    this.#closed = true;
    await this.inner.close(options);
  }
  health(): ReturnType<Transport['health']> {
    return this.inner.health();
  }
}
