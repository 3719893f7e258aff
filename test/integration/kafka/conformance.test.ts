import { describe, it } from 'vitest';
import { runTransportConformance } from '../../../src/testing/index.js';
import { skipWithout } from '../../support/broker-skip.js';
import {
  createTopic,
  kafkaBootstrap,
  kafkaUnavailableReason,
  restartKafka,
} from '../../support/kafka-broker.js';
import { testTransport } from '../../support/kafka-transport.js';

if (kafkaBootstrap) {
  runTransportConformance({
    name: 'kafka transport conformance',
    create: () => testTransport(),
    // The transport's own flags, unchanged: consumer groups, persistent, ordered per key, at-least-once, new groups
    // read from the earliest offset, and the harness restarts the broker (same ports, same data).
    restart: restartKafka,
    provisionTopic: (topic, partitions) => createTopic(topic, partitions),
    // A real broker on a shared 2-core machine: group joins and rebalances take seconds, not milliseconds.
    timeoutScale: 3,
  });
} else {
  describe('kafka transport conformance', () => {
    it.skipIf(skipWithout('Kafka', kafkaUnavailableReason || 'no broker address'))(
      `needs a Kafka broker: ${kafkaUnavailableReason}`,
      () => {},
    );
  });
}
