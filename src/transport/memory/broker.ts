/**
 * The in-memory broker: the topics and consumer groups one or more in-memory transports share.
 *
 * @module
 */
import { SwitchboardError } from '../../errors.js';
import type { TopicConfig } from '../types.js';
import {
  checkCount,
  type MemoryBrokerOptions,
  type ResolvedBrokerOptions,
  resolveBrokerOptions,
} from './options.js';
import { MemoryTopic } from './topic.js';

/**
 * Topics, their partitions and consumer groups, in this process's memory. One broker can serve several
 * {@link MemoryTransport}s (say, one per simulated service in a test), which then see each other's messages as
 * services on one real broker would; closing one transport leaves the broker and the others running.
 *
 * @example
 * ```ts
 * const broker = memoryBroker({ partitions: 8 });
 * const orders = memoryTransport({ broker });
 * const billing = memoryTransport({ broker });
 * ```
 */
export class MemoryBroker {
  /** Settings with defaults applied. */
  readonly options: ResolvedBrokerOptions;
  readonly #topics = new Map<string, MemoryTopic>();
  #privateGroups = 0;
  #attached = 0;

  constructor(options: MemoryBrokerOptions = {}) {
    this.options = resolveBrokerOptions(options);
  }

  /** Names of the topics that exist. */
  get topicNames(): string[] {
    return [...this.#topics.keys()];
  }

  /** The topic called `name`, created with the default partitions when missing. */
  topic(name: string): MemoryTopic {
    let topic = this.#topics.get(name);
    if (topic === undefined) {
      topic = new MemoryTopic(
        name,
        { partitions: this.options.partitions, maxAgeMs: this.options.maxAgeMs },
        this.options,
      );
      this.#topics.set(name, topic);
    }
    return topic;
  }

  /**
   * Creates `name` with `config.partitions` and `config.retentionMs` (other settings are ignored) when it does
   * not exist yet; an existing topic is left as it is.
   */
  ensureTopic(name: string, config: TopicConfig = {}): void {
    checkTopicName(name);
    if (this.#topics.has(name)) return;
    const partitions = checkCount('partitions', config.partitions ?? this.options.partitions);
    const maxAgeMs =
      config.retentionMs === undefined
        ? this.options.maxAgeMs
        : checkCount('retentionMs', config.retentionMs);
    this.#topics.set(name, new MemoryTopic(name, { partitions, maxAgeMs }, this.options));
  }

  /** A group name no other subscription of this broker uses. */
  privateGroupName(): string {
    this.#privateGroups++;
    return `memory-private-${this.#privateGroups}`;
  }

  /** Messages dropped by retention before a group without live subscribers read them, over all groups. */
  dropped(): number {
    let total = 0;
    for (const topic of this.#topics.values()) for (const group of topic.groups) total += group.dropped;
    return total;
  }

  /** A transport starts using this broker. */
  attach(): void {
    this.#attached++;
  }

  /**
   * A transport closed. When none is left open, pending redelivery timers are cancelled (their messages stay,
   * due at once) so no timer outlives the transports; the broker itself stays usable.
   */
  detach(): void {
    this.#attached--;
    if (this.#attached > 0) return;
    for (const topic of this.#topics.values()) for (const group of topic.groups) group.settleTimers();
  }
}

/**
 * Makes an in-memory broker to share between {@link memoryTransport}s.
 *
 * @example
 * ```ts
 * const broker = memoryBroker({ retention: { maxMessages: 1000 } });
 * const a = memoryTransport({ broker });
 * ```
 */
export function memoryBroker(options?: MemoryBrokerOptions): MemoryBroker {
  return new MemoryBroker(options);
}

/** Throws `SWB_CONFIG_INVALID` for an empty or non-string topic name. */
export function checkTopicName(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', 'topic must be a non-empty string');
  }
}
