import { randomUUID } from 'node:crypto';
import { Admin, Producer } from '@platformatic/kafka';
import { EventEmitter } from 'eventemitter3';
import type { WireMessage } from '../../envelope/types.js';
import { SwitchboardError } from '../../errors.js';
import { raceAbort } from '../abortable.js';
import type {
  DeliveryHandler,
  PublishOptions,
  PublishReceipt,
  Subscription,
  TopicConfig,
  TopicProvisioning,
  Transport,
  TransportEventMap,
  TransportFeatures,
  TransportHealth,
} from '../types.js';
import { closedError, toKafkaError } from './errors.js';
import {
  type KafkaSubscribeOptions,
  type KafkaTransportOptions,
  type ResolvedKafkaOptions,
  resolveOptions,
} from './options.js';
import { Publisher } from './publisher.js';
import { KafkaSubscription } from './subscription.js';
import { ensureTopic } from './topics.js';

/**
 * What the Kafka transport promises (see the contract in `transport/types.ts`).
 *
 * @example
 * ```ts
 * import { KAFKA_FEATURES } from 'switchboard/kafka';
 *
 * KAFKA_FEATURES.nativeDelayedRedelivery; // false: nack delays are local timers
 * ```
 */
export const KAFKA_FEATURES: TransportFeatures = Object.freeze({
  consumerGroups: true,
  persistent: true,
  guaranteedOrder: true,
  exactlyOnceDelivery: false,
  newSubscriberReceivesOldMessages: true,
  restartable: true,
  // nack({ delayMs }) is a local timer holding the record at the head of its lane (pause and seek from memory).
  nativeDelayedRedelivery: false,
});

/** The settled marker of a topic that is ready for publishing (so the hot path does not await). */
const READY: Promise<void> = Promise.resolve();

function abortError(): SwitchboardError {
  return new SwitchboardError('SWB_ABORTED', 'kafka publish: stopped waiting for the broker (aborted)', {
    retryable: true,
  });
}

function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return raceAbort(promise, signal, abortError);
}

/**
 * The Kafka transport over `@platformatic/kafka`. Create it with {@link kafkaTransport}.
 *
 * Producing: idempotent producer with `acks=all`, records keyed by `WireMessage.key` and partitioned like the Java
 * client (murmur2), headers carried byte for byte, optional compression and batching. Consuming: one consumer group
 * member per subscription, offsets committed only up to the first unhandled record, per-partition (or per-key)
 * order with parallelism across partitions, `nack({ delayMs })` redelivered from memory, commits before rejoining
 * on a rebalance.
 *
 * @example
 * ```ts
 * import { KafkaTransport } from 'switchboard/kafka';
 *
 * const transport = new KafkaTransport({ bootstrapBrokers: ['127.0.0.1:9092'] });
 * console.log(transport.features.consumerGroups); // true
 * ```
 */
export class KafkaTransport implements Transport, TopicProvisioning {
  readonly system = 'kafka';
  readonly features: TransportFeatures = KAFKA_FEATURES;
  readonly events = new EventEmitter<TransportEventMap>();
  readonly #options: ResolvedKafkaOptions;
  readonly #ownProducer: boolean;
  readonly #ownAdmin: boolean;
  #producer: Producer | undefined;
  #admin: Admin | undefined;
  #publisher: Publisher | undefined;
  #connecting: Promise<void> | undefined;
  #connected = false;
  #closed = false;
  #closePromise: Promise<void> | undefined;
  readonly #subscriptions = new Set<KafkaSubscription>();
  /** Topics provisioned (or known to exist) by this transport. */
  readonly #prepared = new Map<string, Promise<void>>();
  /** Publishes started before close: close waits for them, so a publish that was called is flushed. */
  readonly #publishing = new Set<Promise<unknown>>();

  constructor(options: KafkaTransportOptions) {
    this.#options = resolveOptions(options);
    if (this.#options.base.bootstrapBrokers.length === 0 && !(options.producer && options.admin)) {
      throw new SwitchboardError(
        'SWB_CONFIG_INVALID',
        'kafka transport needs bootstrapBrokers or both a producer and an admin client',
      );
    }
    this.#producer = options.producer;
    this.#admin = options.admin;
    this.#ownProducer = options.producer === undefined;
    this.#ownAdmin = options.admin === undefined;
  }

  /** The producer in use (created on connect unless one was passed in). */
  get producer(): Producer | undefined {
    return this.#producer;
  }

  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError('connect'));
    if (this.#connected) return Promise.resolve();
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    if (!this.#producer) {
      this.#producer = new Producer({
        ...this.#options.base,
        idempotent: true,
        acks: -1,
        compression: this.#options.compression,
        autocreateTopics: this.#options.autoCreateTopics,
      });
    }
    if (!this.#admin)
      this.#admin = new Admin({ ...this.#options.base, clientId: `${this.#options.clientId}-admin` });
    const producer = this.#producer;
    try {
      // Asked through the admin client: an idempotent producer retries without end (the client's rule for
      // keeping sequence numbers), so its first metadata call would wait forever for a broker that is not there.
      await this.#admin.metadata({ topics: [] });
    } catch (error) {
      throw toKafkaError('SWB_TRANSPORT_UNAVAILABLE', 'connect', error, {}, true);
    }
    this.#publisher ??= new Publisher(producer, this.#options);
    // Clients emit `error` for failures they also report elsewhere; without a listener EventEmitter would throw.
    const onClientError = (error: Error) => this.events.emit('error', { error, context: 'kafka client' });
    producer.on('error', onClientError);
    this.#admin.on('error', onClientError);
    producer.on('client:broker:disconnect', () =>
      this.events.emit('disconnected', { reason: 'broker connection closed' }),
    );
    producer.on('client:broker:connect', () => this.events.emit('connected'));
    this.#connected = true;
    this.events.emit('connected');
  }

  /** Provisions `topic` once: from the configured topic table, or by letting the broker auto-create it. */
  #prepare(topic: string): Promise<void> {
    const known = this.#prepared.get(topic);
    if (known) return known;
    const config = this.#options.topics[topic];
    const prepared = (async () => {
      const admin = this.#admin;
      if (admin && (config || this.#options.autoCreateTopics)) await ensureTopic(admin, topic, config ?? {});
      // A custom partitioner needs the partition count before the first record.
      if (typeof this.#options.partitioner === 'function')
        await this.#producer?.metadata({ topics: [topic] });
    })().then(
      () => {
        this.#prepared.set(topic, READY);
      },
      (error: unknown) => {
        this.#prepared.delete(topic);
        throw error;
      },
    );
    this.#prepared.set(topic, prepared);
    return prepared;
  }

  async ensureTopic(topic: string, config: TopicConfig = {}): Promise<void> {
    if (this.#closed) throw closedError('provision a topic');
    await this.connect();
    await ensureTopic(this.#admin as Admin, topic, config);
    this.#prepared.set(topic, READY);
  }

  publish(topic: string, message: WireMessage, options: PublishOptions = {}): Promise<PublishReceipt> {
    if (this.#closed) return Promise.reject(closedError('publish'));
    const publisher = this.#publisher;
    // Fast path: connected and the topic is ready, so the record joins the open batch in this tick.
    if (publisher && this.#connected && this.#prepared.get(topic) === READY) {
      return withSignal(publisher.publish(topic, message), options.signal);
    }
    return this.#track(
      (async () => {
        await this.#ready(topic);
        return (this.#publisher as Publisher).publish(topic, message);
      })(),
      options.signal,
    );
  }

  publishBatch(
    topic: string,
    messages: readonly WireMessage[],
    options: PublishOptions = {},
  ): Promise<PublishReceipt[]> {
    if (this.#closed) return Promise.reject(closedError('publish'));
    if (messages.length === 0) return Promise.resolve([]);
    return this.#track(
      (async () => {
        await this.#ready(topic);
        return (this.#publisher as Publisher).publishBatch(topic, messages);
      })(),
      options.signal,
    );
  }

  async #ready(topic: string): Promise<void> {
    if (!this.#connected) await this.connect();
    const prepared = this.#prepared.get(topic);
    await (prepared ?? this.#prepare(topic));
  }

  #track<T>(operation: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    this.#publishing.add(operation);
    const forget = () => this.#publishing.delete(operation);
    operation.then(forget, forget);
    return withSignal(operation, signal);
  }

  async subscribe(
    topic: string,
    handler: DeliveryHandler,
    options: KafkaSubscribeOptions = {},
  ): Promise<Subscription> {
    if (this.#closed) throw closedError('subscribe');
    if (options.signal?.aborted) {
      throw new SwitchboardError('SWB_ABORTED', 'kafka subscribe: aborted before it started');
    }
    await this.connect();
    await this.#prepare(topic);
    const isPrivate = options.group === undefined;
    const subscription = new KafkaSubscription(
      {
        topic,
        group: options.group ?? `${this.#options.privateGroupPrefix}-${randomUUID()}`,
        // A private group sees what is published from now on; a named group starts where the topic starts.
        startFrom: options.startFrom ?? (isPrivate ? 'latest' : 'earliest'),
        concurrency: Math.max(1, options.concurrency ?? 1),
        ordered: options.ordered ?? true,
        orderBy: options.orderBy ?? this.#options.orderBy,
      },
      this.#options,
      handler,
      {
        error: (error, context) => this.events.emit('error', { error, context }),
        restarted: (reason) =>
          this.events.emit('consumer.restarted', { topic, group: subscription.group, reason }),
        closed: (s) => this.#subscriptions.delete(s),
      },
    );
    this.#subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      this.#subscriptions.delete(subscription);
      throw error;
    }
    if (this.#closed) {
      await subscription.close();
      throw closedError('subscribe');
    }
    if (options.signal) {
      const signal = options.signal;
      const onAbort = () => void subscription.close();
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    return subscription;
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closePromise ??= this.#close(options);
    return this.#closePromise;
  }

  async #close(options: { graceMs?: number }): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#subscriptions].map((s) => s.close(options)));
    await this.#connecting?.catch(() => {});
    // Publishes called before close are sent (and answered) before the clients go.
    while (this.#publishing.size > 0) await Promise.allSettled([...this.#publishing]);
    await this.#publisher?.flush();
    if (this.#ownProducer) await this.#producer?.close().catch(() => {});
    if (this.#ownAdmin) await this.#admin?.close().catch(() => {});
    this.#connected = false;
    this.events.emit('disconnected', { reason: 'closed' });
  }

  async health(): Promise<TransportHealth> {
    if (this.#closed) return { status: 'down', connected: false, detail: 'closed' };
    if (!this.#connected) return { status: 'down', connected: false, detail: 'not connected' };
    try {
      const admin = this.#admin as Admin;
      await Promise.race([
        admin.metadata({ topics: [], forceUpdate: true }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('metadata timeout')), 5000).unref()),
      ]);
    } catch (error) {
      return {
        status: 'down',
        connected: false,
        detail: toKafkaError('SWB_TRANSPORT_UNAVAILABLE', 'metadata', error).message,
      };
    }
    const lag: Record<string, number> = {};
    let degraded = false;
    await Promise.all(
      [...this.#subscriptions].map(async (s) => {
        try {
          const value = await s.lag();
          if (value !== undefined) lag[`${s.topic}/${s.group}`] = value;
        } catch {
          degraded = true;
        }
      }),
    );
    return {
      status: degraded ? 'degraded' : 'up',
      connected: true,
      lag,
      ...(degraded ? { detail: 'consumer lag unavailable for some subscriptions' } : {}),
    };
  }
}

/**
 * Creates a Kafka transport. Pass broker addresses (and client settings), or clients you already have.
 *
 * @example
 * ```ts
 * import { kafkaTransport } from 'switchboard/kafka';
 *
 * const transport = kafkaTransport({ bootstrapBrokers: ['127.0.0.1:9092'], compression: 'zstd' });
 * await transport.ensureTopic('task-events', { partitions: 6, retentionMs: 7 * 86_400_000 });
 * await transport.publish('task-events', { key: 'task-42', headers: { ce_type: 'task.created.v1' }, body: new Uint8Array() });
 * const sub = await transport.subscribe('task-events', async (delivery) => {
 *   await delivery.ack();
 * }, { group: 'notifier', concurrency: 8 });
 * await sub.close({ graceMs: 5000 });
 * await transport.close();
 * ```
 */
export function kafkaTransport(options: KafkaTransportOptions): KafkaTransport {
  return new KafkaTransport(options);
}
