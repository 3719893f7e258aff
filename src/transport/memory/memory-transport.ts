/**
 * The in-memory transport: the embedded default, also the reference the conformance suite is written against.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { WireMessage } from '../../envelope/types.js';
import { SwitchboardError } from '../../errors.js';
import { isLocalMessage } from '../local-message.js';
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
  TransportSubscribeOptions,
} from '../types.js';
import { checkTopicName, MemoryBroker } from './broker.js';
import type { MemoryClock } from './clock.js';
import { checkCount, type MemoryBrokerOptions } from './options.js';
import { MemorySubscription, type SubscriptionOwner } from './subscription.js';
import { PendingPublishes } from './topic.js';

/**
 * Options of {@link memoryTransport}.
 *
 * Limits: everything lives in this process's memory. Nothing is persistent (a restart loses every message and
 * every group position), two processes never see each other, and messages are passed by reference, not copied:
 * treat a delivered `WireMessage` as immutable. Within those limits it behaves like a partitioned log broker:
 * consumer groups, per-key order, retention for late groups, nack delays, back-pressure.
 *
 * @example
 * ```ts
 * const options: MemoryTransportOptions = {
 *   partitions: 8,
 *   retention: { maxMessages: 1000, maxAgeMs: 60_000 },
 *   maxBacklog: 5000,
 * };
 * const transport = memoryTransport(options);
 * ```
 */
export interface MemoryTransportOptions extends MemoryBrokerOptions {
  /**
   * A broker to share with other transports. When absent the transport makes its own. When present, the broker
   * settings of these options must be absent (the broker has its own). Closing a transport never closes the
   * broker; once its last open transport closed, the broker cancels pending redelivery timers (those messages
   * become due at once).
   */
  readonly broker?: MemoryBroker | undefined;
}

/**
 * What the in-memory transport promises: consumer groups, per-key order and history for new groups (within
 * retention), its own delayed redelivery; not persistent, not restartable, not exactly-once.
 *
 * @example
 * ```ts
 * if (transport.features.persistent) console.log('messages survive a restart');
 * memoryTransport().features === MEMORY_FEATURES; // true
 * ```
 */
export const MEMORY_FEATURES: TransportFeatures = Object.freeze({
  consumerGroups: true,
  persistent: false,
  guaranteedOrder: true,
  exactlyOnceDelivery: false,
  newSubscriberReceivesOldMessages: true,
  restartable: false,
  nativeDelayedRedelivery: true,
});

const RESOLVED: Promise<void> = Promise.resolve();

const IDLE = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * A {@link Transport} over an in-memory {@link MemoryBroker}.
 *
 * - Partitions: keyed messages go to `murmur2(key) % partitions` (Kafka's default partitioner, so a key maps to
 *   the same partition number as in Kafka); keyless messages rotate round-robin.
 * - Groups: subscribers of one group compete (each message to one subscriber with a free slot, round-robin);
 *   every group gets every message. A named group keeps its position while the broker lives, so a subscriber
 *   that closes and comes back continues where the group was; unsettled messages are redelivered. A
 *   subscription without a group gets a private group that starts at `latest` unless `startFrom` says
 *   otherwise; a new named group starts at `earliest` by default.
 * - Order: `ordered` (the default) keeps one unsettled message per partition per group; unordered
 *   subscriptions use their whole `concurrency` on any partition.
 * - Redelivery: `nack({ delayMs })` redelivers after the delay on the broker clock; `attempt` counts deliveries
 *   of a message to its group, including ones taken back by a closing subscription. `maxDeliveries` is ignored
 *   (no broker-side limit: the bus dead-letters).
 * - Memory: a subscription holds at most `concurrency` unsettled deliveries; retention bounds each partition
 *   (`maxMessages` in all, `maxConsumed` of history every group has read, 1 000 by default); `maxBacklog`
 *   makes `publish` wait while a live group is that far behind on the partition.
 * - Close: publishes made while closing are still accepted (a draining handler may publish); waiting ones are
 *   flushed within the grace period, then rejected with `SWB_TRANSPORT_CLOSED`.
 *
 * @example
 * ```ts
 * const transport = memoryTransport();
 * await transport.subscribe('orders', async (d) => { console.log(d.message.headers); await d.ack(); }, { group: 'billing' });
 * await transport.publish('orders', { key: 'o-1', headers: { 'ce_type': 'order.placed.v1' }, body: new Uint8Array() });
 * await transport.close({ graceMs: 1000 });
 * ```
 */
export class MemoryTransport implements Transport, TopicProvisioning {
  readonly system = 'memory';
  readonly features: TransportFeatures = MEMORY_FEATURES;
  readonly events: EventEmitter<TransportEventMap> = new EventEmitter<TransportEventMap>();
  /** The broker this transport publishes to and subscribes on. */
  readonly broker: MemoryBroker;
  readonly #subscriptions = new Set<MemorySubscription>();
  readonly #waiting = new PendingPublishes();
  readonly #owner: SubscriptionOwner;
  #state = IDLE;
  #closing: Promise<void> | undefined;

  constructor(options: MemoryTransportOptions = {}) {
    const { broker, ...brokerOptions } = options;
    if (broker !== undefined) {
      if (Object.values(brokerOptions).some((v) => v !== undefined)) {
        throw new SwitchboardError(
          'SWB_CONFIG_INVALID',
          'give either a shared broker or broker settings, not both: a shared broker keeps its own settings',
        );
      }
      this.broker = broker;
    } else {
      this.broker = new MemoryBroker(brokerOptions);
    }
    this.broker.attach();
    const clock: MemoryClock = this.broker.options.clock;
    this.#owner = { clock, forget: (subscription) => this.#subscriptions.delete(subscription) };
  }

  connect(): Promise<void> {
    if (this.#state === IDLE) this.#open();
    else if (this.#state === CLOSED) return Promise.reject(closedError());
    return RESOLVED;
  }

  publish(topic: string, message: WireMessage, options?: PublishOptions): Promise<PublishReceipt> {
    if (this.#state !== OPEN) {
      if (this.#state === IDLE) this.#open();
      else if (this.#state === CLOSED) return Promise.reject(closedError());
    }
    try {
      checkTopicName(topic);
      checkMessage(message);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.broker.topic(topic).publish(message, this.#waiting, options?.signal);
  }

  publishBatch(
    topic: string,
    messages: readonly WireMessage[],
    options?: PublishOptions,
  ): Promise<PublishReceipt[]> {
    const receipts: Promise<PublishReceipt>[] = [];
    for (const message of messages) receipts.push(this.publish(topic, message, options));
    return Promise.all(receipts);
  }

  async subscribe(
    topic: string,
    handler: DeliveryHandler,
    options: TransportSubscribeOptions = {},
  ): Promise<Subscription> {
    if (this.#state === IDLE) this.#open();
    else if (this.#state !== OPEN) throw closedError();
    checkTopicName(topic);
    if (typeof handler !== 'function') {
      throw new SwitchboardError('SWB_CONFIG_INVALID', 'handler must be a function', { details: { topic } });
    }
    const concurrency = checkCount('concurrency', options.concurrency ?? 1);
    if (options.signal?.aborted) {
      throw new SwitchboardError('SWB_ABORTED', 'subscribe aborted', { details: { topic } });
    }
    const ordered = options.ordered ?? true;
    const isPrivate = options.group === undefined;
    const name = options.group ?? this.broker.privateGroupName();
    const group = this.broker
      .topic(topic)
      .group(name, isPrivate, options.startFrom ?? (isPrivate ? 'latest' : 'earliest'));
    if (group.live && group.ordered !== ordered) {
      throw new SwitchboardError(
        'SWB_CONFIG_INVALID',
        `group ${name} on ${topic} is ${group.ordered ? 'ordered' : 'unordered'} while it has subscribers`,
        { details: { topic, group: name } },
      );
    }
    group.ordered = ordered;
    const subscription = new MemorySubscription(group, handler, concurrency, this.#owner, options.signal);
    this.#subscriptions.add(subscription);
    group.addMember(subscription);
    return subscription;
  }

  ensureTopic(topic: string, config?: TopicConfig): Promise<void> {
    try {
      this.broker.ensureTopic(topic, config);
      return RESOLVED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#closing === undefined) this.#closing = this.#close(options.graceMs ?? 0);
    return this.#closing;
  }

  health(): Promise<TransportHealth> {
    const up = this.#state === IDLE || this.#state === OPEN;
    const lag: Record<string, number> = {};
    for (const subscription of this.#subscriptions) {
      lag[`${subscription.topic}/${subscription.group}`] = subscription.lag();
    }
    const dropped = this.broker.dropped();
    return Promise.resolve({
      status: up ? 'up' : 'down',
      connected: up,
      lag,
      detail:
        dropped > 0
          ? `in-memory broker; retention dropped ${dropped} messages before an idle group read them`
          : 'in-memory broker',
    });
  }

  #open(): void {
    this.#state = OPEN;
    this.events.emit('connected');
  }

  async #close(graceMs: number): Promise<void> {
    const wasOpen = this.#state === OPEN;
    this.#state = CLOSING;
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close({ graceMs })));
    if (this.#waiting.waiters.size > 0 && graceMs > 0) await this.#flush(graceMs);
    for (const waiter of [...this.#waiting.waiters]) waiter.topic.cancel(waiter, closedError());
    this.broker.detach();
    this.#state = CLOSED;
    if (wasOpen) this.events.emit('disconnected', { reason: 'closed' });
  }

  /** Waits up to `graceMs` for publishes held by back-pressure to be appended. */
  #flush(graceMs: number): Promise<void> {
    const clock = this.broker.options.clock;
    const waiting = this.#waiting;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        waiting.onEmpty = undefined;
        clock.clearTimeout(timer);
        resolve();
      };
      const timer = clock.setTimeout(done, graceMs);
      waiting.onEmpty = done;
    });
  }
}

/**
 * Makes an in-memory transport.
 *
 * @example
 * ```ts
 * import { memoryTransport, ManualClock } from 'switchboard';
 *
 * const transport = memoryTransport({ partitions: 8, retention: { maxMessages: 1000 }, maxBacklog: 5000 });
 * const deterministic = memoryTransport({ clock: new ManualClock() });
 * ```
 */
export function memoryTransport(options?: MemoryTransportOptions): MemoryTransport {
  return new MemoryTransport(options);
}

function closedError(): SwitchboardError {
  return new SwitchboardError('SWB_TRANSPORT_CLOSED', 'the in-memory transport is closed');
}

function checkMessage(message: WireMessage): void {
  if (typeof message === 'object' && message !== null && isLocalMessage(message)) return;
  if (
    typeof message !== 'object' ||
    message === null ||
    !(message.body instanceof Uint8Array) ||
    typeof message.headers !== 'object' ||
    message.headers === null
  ) {
    throw new SwitchboardError('SWB_PUBLISH_FAILED', 'a wire message needs headers and a Uint8Array body');
  }
}
