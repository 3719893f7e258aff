import { afterEach, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors.js';
import type { KafkaTransport } from '../../../src/transport/kafka/index.js';
import { skipWithout } from '../../support/broker-skip.js';
import { kafkaUnavailableReason, startKafka, stopKafka, uniqueTopic } from '../../support/kafka-broker.js';
import { eventually, testTransport, text, wire } from '../../support/kafka-transport.js';

describe.skipIf(skipWithout('Kafka', kafkaUnavailableReason))(
  `kafka recovery ${kafkaUnavailableReason}`,
  () => {
    const transports: KafkaTransport[] = [];
    const make = (...args: Parameters<typeof testTransport>) => {
      const t = testTransport(...args);
      transports.push(t);
      return t;
    };
    afterEach(async () => {
      await Promise.all(transports.splice(0).map((t) => t.close()));
    });

    it('replaces a consumer whose client gave up, and goes on from the last commit', async () => {
      const topic = uniqueTopic('restart');
      const t = make();
      const restarts: string[] = [];
      t.events.on('consumer.restarted', ({ reason, topic: where }) => restarts.push(`${where}: ${reason}`));
      await t.publish(topic, wire('m0'));
      const got: string[] = [];
      const sub = await t.subscribe(
        topic,
        async (d) => {
          got.push(text(d));
          await d.ack();
        },
        { group: `g-${topic}`, startFrom: 'earliest' },
      );
      await eventually(() => got.length === 1);
      await new Promise((r) => setTimeout(r, 300)); // let the commit of m0 land
      // What the client does after exhausting its retries: its stream closes under the subscription.
      const consumer = (sub as unknown as { consumer: { close(force: boolean): Promise<void> } }).consumer;
      await consumer.close(true);
      await eventually(() => restarts.length === 1, 10_000, 'a consumer restart');
      expect(restarts[0]).toContain(topic);
      await t.publish(topic, wire('m1'));
      await eventually(() => got.includes('m1'), 20_000, 'm1 after the restart');
      expect(got).toEqual(['m0', 'm1']);
    }, 60_000);

    it('rides out a broker outage: health goes down and up, publishes wait, deliveries resume', async () => {
      const topic = uniqueTopic('outage');
      // A longer retry budget than the default (8 retries, about 9 s): restarting the broker's JVM on a loaded
      // 2-core machine can take longer than that, and what this test checks is that the transport rides the
      // outage out within its budget, not the size of the default budget.
      const t = make({ client: { retries: 30 } });
      const got: string[] = [];
      await t.publish(topic, wire('before'));
      await t.subscribe(
        topic,
        async (d) => {
          got.push(text(d));
          await d.ack();
        },
        { group: `g-${topic}`, startFrom: 'earliest' },
      );
      await eventually(() => got.length === 1);
      expect((await t.health()).status).toBe('up');
      await stopKafka();
      try {
        const health = await t.health();
        expect(health).toMatchObject({ status: 'down', connected: false });
        expect(health.detail).toMatch(/kafka metadata failed/);
        // Published while the broker is down: the idempotent producer retries until it is back.
        const during = t.publish(topic, wire('during'));
        await new Promise((r) => setTimeout(r, 500));
        await startKafka();
        await during;
      } finally {
        await startKafka(); // a no-op when it runs; brings the broker back if an assertion failed above
      }
      await eventually(() => got.includes('during'), 30_000, 'the message published during the outage');
      expect((await t.health()).status).toBe('up');
    }, 120_000);

    it('publish honours a signal: resolves when left alone, rejects with SWB_ABORTED when aborted while waiting', async () => {
      const topic = uniqueTopic('signal');
      const t = make({ lingerMs: 300 });
      await t.publish(topic, wire('warm-up'));
      const kept = new AbortController();
      const receipt = await t.publish(topic, wire('kept'), { signal: kept.signal });
      expect(receipt.topic).toBe(topic);
      const controller = new AbortController();
      const pending = t.publish(topic, wire('given up'), { signal: controller.signal });
      controller.abort();
      await expect(pending).rejects.toSatisfy(
        (e: unknown) => isSwitchboardError(e, 'SWB_ABORTED') && e.retryable,
      );
      const batch = t.publishBatch(topic, [wire('b')], { signal: controller.signal });
      await expect(batch).rejects.toSatisfy((e: unknown) => isSwitchboardError(e, 'SWB_ABORTED'));
    });
  },
);
