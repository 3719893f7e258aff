import { describe, expect, it } from 'vitest';
import { skipWithout } from '../../support/broker-skip.js';
import {
  createTopic,
  kafkaBootstrap,
  kafkaUnavailableReason,
  restartKafka,
  uniqueTopic,
  withAdmin,
} from '../../support/kafka-broker.js';

describe.skipIf(skipWithout('Kafka', kafkaUnavailableReason))(
  `kafka broker harness ${kafkaUnavailableReason}`,
  () => {
    it('runs a KRaft broker on 127.0.0.1 that answers admin calls', async () => {
      expect(kafkaBootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
      const topic = uniqueTopic();
      await createTopic(topic, 3);
      const metadata = await withAdmin((admin) => admin.metadata({ topics: [topic] }));
      expect(metadata.topics.get(topic)?.partitionsCount).toBe(3);
    });

    it('restarts on the same port and keeps its data', async () => {
      const topic = uniqueTopic();
      await createTopic(topic, 2);
      await restartKafka();
      const metadata = await withAdmin((admin) => admin.metadata({ topics: [topic], forceUpdate: true }));
      expect(metadata.topics.get(topic)?.partitionsCount).toBe(2);
    }, 120_000);
  },
);
