import { afterEach, describe, expect, it } from 'vitest';
import type { KafkaTransport } from '../../../src/transport/kafka/index.js';
import type { Delivery } from '../../../src/transport/types.js';
import {
  createTopic,
  kafkaBootstrap,
  kafkaUnavailableReason,
  uniqueTopic,
} from '../../support/kafka-broker.js';
import { eventually, testTransport, text, wire } from '../../support/kafka-transport.js';

describe.skipIf(!kafkaBootstrap)(`kafka transport basics ${kafkaUnavailableReason}`, () => {
  const transports: KafkaTransport[] = [];
  const make = (...args: Parameters<typeof testTransport>) => {
    const t = testTransport(...args);
    transports.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });

  it('publishes and consumes with key, headers and body intact', async () => {
    const topic = uniqueTopic();
    const t = make();
    const receipt = await t.publish(topic, wire('hello', 'k1', { ce_id: '1', 'content-type': 'text/plain' }));
    expect(receipt).toMatchObject({ topic, partition: 0, offset: '0' });
    const got: Delivery[] = [];
    const sub = await t.subscribe(
      topic,
      async (d) => {
        got.push(d);
        await d.ack();
      },
      { group: 'g1' },
    );
    await eventually(() => got.length === 1);
    expect(got[0]?.message.key).toBe('k1');
    expect({ ...got[0]?.message.headers }).toEqual({ ce_id: '1', 'content-type': 'text/plain' });
    expect(text(got[0]!)).toBe('hello');
    expect(got[0]?.attempt).toBe(1);
    expect(got[0]?.coordinates).toMatchObject({ partition: 0, offset: '0' });
    await sub.close();
  });
});
