/**
 * `switchboard/kafka`: the Apache Kafka transport over `@platformatic/kafka` (an optional peer dependency).
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
