import type { Admin, BaseOptions, Producer } from '@platformatic/kafka';
import type { TopicConfig, TransportSubscribeOptions } from '../types.js';

/**
 * Compression codecs Kafka record batches support.
 *
 * @example
 * ```ts
 * const compression: KafkaCompression = 'zstd';
 * kafkaTransport({ bootstrapBrokers: ['127.0.0.1:9092'], compression });
 * ```
 */
export type KafkaCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/**
 * How records are spread over partitions.
 * - `murmur2` (default): Java's default partitioner and librdkafka's `murmur2_random` for keyed records, so
 *   services in other languages put the same key on the same partition; keyless records round-robin.
 * - a function `(key, partitions) => partition` of your own (keyless records pass `undefined`).
 *
 * @example
 * ```ts
 * const byTenant: KafkaPartitioner = (key, partitions) => (key ? key[0]! % partitions : 0);
 * kafkaTransport({ bootstrapBrokers: ['127.0.0.1:9092'], partitioner: byTenant });
 * ```
 */
export type KafkaPartitioner = 'murmur2' | ((key: Uint8Array | undefined, partitions: number) => number);

/**
 * Consumer group settings of {@link KafkaTransportOptions.consumer}.
 *
 * @example
 * ```ts
 * kafkaTransport({ bootstrapBrokers: ['127.0.0.1:9092'], consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 } });
 * ```
 */
export interface KafkaConsumerSettings {
  /** Session timeout: how long the broker waits for a heartbeat before evicting the member. Default 30 000 ms. */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval; heartbeats run on their own timer, independent of handlers. Default 3000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Rebalance timeout. Default 60 000 ms (at least the session timeout). */
  readonly rebalanceTimeoutMs?: number;
  /** Longest a fetch waits for data. Default 500 ms. */
  readonly maxWaitTimeMs?: number;
  /**
   * Most bytes one fetch returns. Default: the client's (50 MiB). Smaller values cost throughput far beyond what
   * they save (10 MiB measured 3x slower on a backlog here).
   */
  readonly maxBytes?: number;
  /**
   * Partition assignment: `roundrobin` (default; eager: every member stops handing out records when a rebalance
   * starts and gives up what moved at the join) or `cooperative-sticky` (incremental: only moved partitions are
   * revoked). Cooperative rebalancing in `@platformatic/kafka` 2.12 left partitions unassigned until the next
   * rebalance in our tests (a stalled partition, then hundreds of duplicates), so it is opt-in.
   */
  readonly assignor?: 'roundrobin' | 'cooperative-sticky';
}

/**
 * Options of {@link kafkaTransport}.
 *
 * @example
 * ```ts
 * const options: KafkaTransportOptions = {
 *   bootstrapBrokers: ['127.0.0.1:9092'],
 *   lingerMs: 2,
 *   topics: { 'task-events': { partitions: 6, retentionMs: 604_800_000, cleanupPolicy: 'delete' } },
 * };
 * ```
 */
export interface KafkaTransportOptions {
  /** Brokers to bootstrap from (`host:port`). Required unless both `producer` and `admin` are given. */
  readonly bootstrapBrokers?: readonly string[];
  /** Client id sent to the broker. Default `switchboard`. */
  readonly clientId?: string;
  /**
   * Connection and client settings passed to every client the transport creates (TLS, SASL, timeouts,
   * `retries`, `retryDelay`, ...). Defaults: 8 retries with a backoff from 100 ms to 2 s, so a broker restart of a
   * few seconds is ridden out. The client makes an idempotent producer retry without end when `retries` is 0 or 1.
   */
  readonly client?: Partial<Omit<BaseOptions, 'bootstrapBrokers' | 'clientId'>>;
  /**
   * An existing producer to publish with (never closed by the transport). It must use the default Buffer
   * serializers; idempotence and `acks` are whatever it was built with.
   */
  readonly producer?: Producer;
  /** An existing admin client for provisioning and lag (never closed by the transport). */
  readonly admin?: Admin;
  /** Record compression of produced batches. Default `none`. */
  readonly compression?: KafkaCompression;
  /** Partitioner for produced records. Default `murmur2` (Java compatible). */
  readonly partitioner?: KafkaPartitioner;
  /**
   * How long a publish waits for others to share its produce request. `0` (default): publishes made in the same
   * tick share one request, nothing waits for a timer.
   */
  readonly lingerMs?: number;
  /** Most records in one produce request. Default 1000. */
  readonly batchMaxMessages?: number;
  /** Most bytes (bodies, keys, headers) in one produce request. Default 900 000 (under the broker's 1 MB). */
  readonly batchMaxBytes?: number;
  /** Let the broker create unknown topics on first use (with its defaults). Default `true`. */
  readonly autoCreateTopics?: boolean;
  /** Topics provisioned (created when missing) before first use, with these settings. */
  readonly topics?: Readonly<Record<string, TopicConfig>>;
  /** Consumer group settings. */
  readonly consumer?: KafkaConsumerSettings;
  /**
   * Ordering unit when a subscription is ordered: `partition` (default: one delivery per partition at a time) or
   * `key` (one per record key within a partition: more parallelism, same per-key order).
   */
  readonly orderBy?: 'partition' | 'key';
  /** Received but not yet delivered records per subscription before fetching pauses. Default 1000. */
  readonly maxBufferedMessages?: number;
  /** Prefix of the private groups made for subscriptions without a group. Default `switchboard-private`. */
  readonly privateGroupPrefix?: string;
}

/**
 * Kafka-specific options of `subscribe`, on top of the contract's.
 *
 * @example
 * ```ts
 * await transport.subscribe('orders', handler, { group: 'billing', concurrency: 16, orderBy: 'key' });
 * ```
 */
export interface KafkaSubscribeOptions extends TransportSubscribeOptions {
  /** Overrides the transport's {@link KafkaTransportOptions.orderBy} for this subscription. */
  readonly orderBy?: 'partition' | 'key' | undefined;
}

/** Options with every default applied. @internal */
export interface ResolvedKafkaOptions {
  readonly clientId: string;
  readonly base: BaseOptions;
  readonly compression: KafkaCompression;
  readonly partitioner: KafkaPartitioner;
  readonly lingerMs: number;
  readonly batchMaxMessages: number;
  readonly batchMaxBytes: number;
  readonly autoCreateTopics: boolean;
  readonly topics: Readonly<Record<string, TopicConfig>>;
  readonly consumer: Required<Omit<KafkaConsumerSettings, 'maxBytes'>> &
    Pick<KafkaConsumerSettings, 'maxBytes'>;
  readonly orderBy: 'partition' | 'key';
  readonly maxBufferedMessages: number;
  readonly privateGroupPrefix: string;
}

/** Exponential backoff for the client's retries: 100 ms, 200 ms, ... capped at 2 s. */
function backoff(_client: unknown, _operation: string, attempt: number): number {
  return Math.min(2000, 100 * 2 ** Math.max(0, attempt - 1));
}

/** Applies defaults. @internal */
export function resolveOptions(options: KafkaTransportOptions): ResolvedKafkaOptions {
  const clientId = options.clientId ?? 'switchboard';
  const sessionTimeoutMs = options.consumer?.sessionTimeoutMs ?? 30_000;
  const heartbeatIntervalMs =
    options.consumer?.heartbeatIntervalMs ?? Math.min(3000, Math.floor(sessionTimeoutMs / 3));
  return {
    clientId,
    base: {
      retries: 8,
      retryDelay: backoff,
      ...options.client,
      clientId,
      bootstrapBrokers: [...(options.bootstrapBrokers ?? [])],
    },
    compression: options.compression ?? 'none',
    partitioner: options.partitioner ?? 'murmur2',
    lingerMs: Math.max(0, options.lingerMs ?? 0),
    batchMaxMessages: Math.max(1, options.batchMaxMessages ?? 1000),
    batchMaxBytes: Math.max(1024, options.batchMaxBytes ?? 900_000),
    autoCreateTopics: options.autoCreateTopics ?? true,
    topics: options.topics ?? {},
    consumer: {
      sessionTimeoutMs,
      heartbeatIntervalMs,
      rebalanceTimeoutMs: Math.max(options.consumer?.rebalanceTimeoutMs ?? 60_000, sessionTimeoutMs),
      maxWaitTimeMs: options.consumer?.maxWaitTimeMs ?? 500,
      maxBytes: options.consumer?.maxBytes,
      assignor: options.consumer?.assignor ?? 'roundrobin',
    },
    orderBy: options.orderBy ?? 'partition',
    maxBufferedMessages: Math.max(1, options.maxBufferedMessages ?? 1000),
    privateGroupPrefix: options.privateGroupPrefix ?? 'switchboard-private',
  };
}
