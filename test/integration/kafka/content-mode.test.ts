import { describe, it } from 'vitest';
import { skipWithout } from '../../support/broker-skip.js';
import { createTopic, kafkaUnavailableReason, uniqueTopic } from '../../support/kafka-broker.js';
import { testTransport } from '../../support/kafka-transport.js';
import { structuredModeOverBroker } from '../shared/content-mode-scenario.js';

describe.skipIf(skipWithout('Kafka', kafkaUnavailableReason))(
  `bus contentMode structured over Kafka ${kafkaUnavailableReason}`,
  () => {
    it('carries structured events with one header, read by a binary-mode consumer; bad ones dead-lettered', async () => {
      const topic = uniqueTopic('structured');
      await createTopic(topic, 2);
      await createTopic(`${topic}.dlq`);
      await structuredModeOverBroker(() => testTransport(), topic, `${topic}.dlq`);
    }, 90_000);
  },
);
