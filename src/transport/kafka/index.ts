/**
 * `switchboard/kafka`: the Apache Kafka transport over `@platformatic/kafka` 2.x (an optional peer dependency).
 *
 * Guarantees and choices, in short:
 * - publish: idempotent producer, `acks=all`; the record key is `WireMessage.key`, partitioned like the Java client
 *   and librdkafka's `murmur2_random`; headers travel byte for byte (CloudEvents Kafka binding `ce_*`); publishes
 *   in the same tick share a produce request; `publishBatch` sends size-limited requests all at once.
 * - consume: one group member per subscription; a partition's offset is committed only up to the first record not
 *   yet acknowledged; one delivery per partition at a time (or per key with `orderBy: 'key'`), partitions in
 *   parallel up to `concurrency`; a new named group starts at the earliest offset, a private one at the end.
 * - `nack({ delayMs })` is pause-and-seek served from memory: the record stays at the head of its lane after a
 *   local timer (not a broker feature: `nativeDelayedRedelivery` is false) and the commit point cannot pass it.
 *   `attempt` counts redeliveries in memory, so it restarts at 1 when the partition moves to another member or the
 *   process restarts; the bus's dead-lettering may then see more deliveries than `maxDeliveries` in total.
 * - rebalances commit what was handled before the member rejoins; duplicates are bounded by what was in flight.
 * - heartbeats run on the client's own timer, so a long handler does not get the member evicted.
 *
 * @module
 */

export type {
  KafkaCompression,
  KafkaConsumerSettings,
  KafkaPartitioner,
  KafkaSubscribeOptions,
  KafkaTransportOptions,
} from './options.js';
export { javaCompatiblePartitioner, javaPartition, murmur2 } from './partitioner.js';
export { KAFKA_FEATURES, KafkaTransport, kafkaTransport } from './transport.js';
