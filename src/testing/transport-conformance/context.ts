/**
 * What a conformance scenario works with: its transports, unique names, scaled counts and waits, and cleanup
 * of everything it opened.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { WireMessage } from '../../envelope/types.js';
import {
  type DeliveryHandler,
  hasTopicProvisioning,
  type PublishReceipt,
  type Subscription,
  type Transport,
  type TransportFeatures,
  type TransportSubscribeOptions,
} from '../../transport/types.js';
import type { ResolvedConformanceOptions } from './options.js';
import { ReceivedLog, testMessage } from './test-messages.js';
import { sleep, waitFor } from './wait-for.js';

/** The context handed to each scenario. Everything opened through it is closed by {@link dispose}. */
export class ConformanceContext {
  /** The transport's features with the suite options' overrides applied. */
  readonly features: TransportFeatures;
  /** The first transport made for this scenario. */
  readonly transport: Transport;
  /** A random token unique to this scenario run; part of every id, topic and group name. */
  readonly run: string;
  readonly #options: ResolvedConformanceOptions;
  readonly #transports: Transport[];
  readonly #subscriptions: Subscription[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(options: ResolvedConformanceOptions, transport: Transport) {
    this.#options = options;
    this.transport = transport;
    this.#transports = [transport];
    this.features = { ...transport.features, ...options.features };
    this.run = randomUUID().slice(0, 8);
  }

  /** Makes the first transport and the context around it. */
  static async open(options: ResolvedConformanceOptions): Promise<ConformanceContext> {
    return new ConformanceContext(options, await options.create());
  }

  /** The `restart` option, when given. */
  get restart(): (() => Promise<void>) | undefined {
    return this.#options.restart;
  }

  /** Another transport on the same broker, closed with the context. */
  async another(): Promise<Transport> {
    const transport = await this.#options.create();
    this.#transports.push(transport);
    return transport;
  }

  /** A topic name unique to this run. Lower-case letters, digits and dashes: valid on every broker. */
  topic(label: string): string {
    return `conformance-${label}-${this.run}`;
  }

  /** A consumer group name unique to this run. */
  group(label: string): string {
    return `conformance-${label}-${this.run}`;
  }

  /** Creates `topic` with `partitions` through the `provisionTopic` option or the transport's `ensureTopic`. */
  async provision(topic: string, partitions = 1): Promise<string> {
    if (this.#options.provisionTopic !== undefined) await this.#options.provisionTopic(topic, partitions);
    else if (hasTopicProvisioning(this.transport)) await this.transport.ensureTopic(topic, { partitions });
    return topic;
  }

  /** Subscribes and remembers the subscription so it is closed at the end. */
  async subscribe(
    topic: string,
    handler: DeliveryHandler,
    options?: TransportSubscribeOptions,
    transport: Transport = this.transport,
  ): Promise<Subscription> {
    const subscription = await transport.subscribe(topic, handler, options);
    this.#subscriptions.push(subscription);
    return subscription;
  }

  /** Test message `seq` of this run. */
  message(seq: number, options?: Parameters<typeof testMessage>[2]): WireMessage {
    return testMessage(this.run, seq, options);
  }

  /** A fresh received-log that knows whether duplicates are allowed. */
  received(): ReceivedLog {
    return new ReceivedLog(this.features.exactlyOnceDelivery);
  }

  /** Publishes messages in order, in pipelined batches of `batchSize`. */
  async publishAll(
    topic: string,
    messages: readonly WireMessage[],
    transport: Transport = this.transport,
    batchSize = 100,
  ): Promise<PublishReceipt[]> {
    const receipts: PublishReceipt[] = [];
    for (let i = 0; i < messages.length; i += batchSize) {
      receipts.push(...(await transport.publishBatch(topic, messages.slice(i, i + batchSize))));
    }
    return receipts;
  }

  /**
   * Runs `subscribe` and `publish` in the order the transport supports: publish first when it keeps messages
   * for new groups (so the scenario also covers buffering), else subscribe first.
   */
  async subscribeAndPublish(
    subscribe: () => Promise<unknown>,
    publish: () => Promise<unknown>,
  ): Promise<void> {
    if (this.features.newSubscriberReceivesOldMessages) {
      await publish();
      await subscribe();
    } else {
      await subscribe();
      await publish();
    }
  }

  /** `n` scaled by `messageCountScale`, at least 1. */
  count(n: number): number {
    return Math.max(1, Math.round(n * this.#options.messageCountScale));
  }

  /** `ms` scaled by `timeoutScale`. */
  ms(ms: number): number {
    return Math.round(ms * this.#options.timeoutScale);
  }

  /** {@link waitFor} with the timeout scaled. */
  waitFor(predicate: () => boolean, timeoutMs: number, progress: string | (() => string)): Promise<void> {
    return waitFor(predicate, this.ms(timeoutMs), progress);
  }

  /** Waits a scaled quiet window, for checks that something does NOT happen. */
  quiet(ms: number): Promise<void> {
    return sleep(this.ms(ms));
  }

  /** A timer cleared at {@link dispose} if it has not fired. */
  later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  /** Closes every subscription and transport, even when the scenario failed; errors here are swallowed. */
  async dispose(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled(this.#subscriptions.map((subscription) => subscription.close()));
    await Promise.allSettled(this.#transports.map((transport) => transport.close()));
  }
}
