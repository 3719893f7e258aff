import { afterEach, describe, expect, it } from 'vitest';
import type { KafkaTransport } from '../../../src/transport/kafka/index.js';
import type { Delivery } from '../../../src/transport/types.js';
import { skipWithout } from '../../support/broker-skip.js';
import {
  committedOffsets,
  createTopic,
  kafkaUnavailableReason,
  uniqueTopic,
} from '../../support/kafka-broker.js';
import { eventually, testTransport, wire } from '../../support/kafka-transport.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipWithout('Kafka', kafkaUnavailableReason))(
  `kafka rebalancing and membership ${kafkaUnavailableReason}`,
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

    it('a third member joins mid-stream: nothing lost, duplicates bounded by what was in flight', async () => {
      const topic = uniqueTopic('rebalance');
      const partitions = 6;
      const total = 3000;
      const concurrency = 4;
      await createTopic(topic, partitions);
      const group = `rebalance-${topic}`;
      const deliveries = new Map<string, number>();
      const perMember = [0, 0, 0];
      let aborted = 0;
      const handler = (member: number) => async (d: Delivery) => {
        await sleep(1);
        if (d.signal.aborted) {
          aborted++;
          return;
        }
        const id = `${d.coordinates.partition}:${d.coordinates.offset}`;
        deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
        perMember[member]!++;
        await d.ack();
      };
      const options = { group, startFrom: 'earliest' as const, concurrency };
      const errors: string[] = [];
      const member = () => {
        const t = make();
        t.events.on('error', (e) => errors.push(e.context));
        return t;
      };
      await member().subscribe(topic, handler(0), options);
      await member().subscribe(topic, handler(1), options);

      const publisher = make();
      let published = 0;
      let joined: Promise<unknown> | undefined;
      while (published < total) {
        const batch = Array.from({ length: 50 }, (_, i) =>
          wire(`m${published + i}`, `k${(published + i) % 60}`),
        );
        await publisher.publishBatch(topic, batch);
        published += batch.length;
        if (!joined && published >= total / 3) joined = member().subscribe(topic, handler(2), options);
        // Paced so the stream is still flowing when the third member's join completes (a heartbeat later).
        await sleep(20);
      }
      await joined;
      await eventually(
        () => deliveries.size >= total,
        60_000,
        `all ${total} messages (got ${deliveries.size})`,
      );
      await sleep(500);
      const duplicates = [...deliveries.values()].reduce((sum, n) => sum + n - 1, 0);
      // Zero loss. A duplicate is a message that was in flight when its partition moved (its handler aborted, or its
      // ack not yet covered by the commit sent just before the rejoin), so at most what the members held at once.
      expect(deliveries.size).toBe(total);
      console.log(`rebalance: ${duplicates} duplicates of ${total}, ${aborted} aborted deliveries`);
      expect(duplicates).toBeLessThanOrEqual(3 * concurrency);
      expect(perMember[2]).toBeGreaterThan(0);
      // No commit was refused: none went out mid-rejoin (which would also restart the rebalance).
      expect(errors).toEqual([]);
      const committed = await committedOffsets(group, topic, partitions);
      expect(committed.reduce((a, b) => a + b, 0n)).toBe(BigInt(total));
    }, 120_000);

    it('a handler running 1.5x the session timeout does not get the member evicted', async () => {
      const topic = uniqueTopic('long-handler');
      await createTopic(topic, 1);
      const sessionTimeoutMs = 3000;
      const t = make({ consumer: { sessionTimeoutMs, heartbeatIntervalMs: 500 } });
      const events: string[] = [];
      t.events.on('consumer.restarted', ({ reason }) => events.push(`restarted: ${reason}`));
      await t.publishBatch(topic, [wire('slow'), wire('next')]);
      const group = `long-${topic}`;
      const seen: Delivery[] = [];
      await t.subscribe(
        topic,
        async (d) => {
          seen.push(d);
          if (d.attempt === 1 && seen.length === 1) await sleep(sessionTimeoutMs * 1.5);
          await d.ack();
        },
        { group, startFrom: 'earliest' },
      );
      await eventually(() => seen.length >= 2, 30_000, 'both messages');
      await sleep(1500);
      expect(seen).toHaveLength(2);
      expect(seen[0]?.signal.aborted).toBe(false);
      expect(seen[0]?.settled).toBe(true);
      expect(events).toEqual([]);
      expect((await committedOffsets(group, topic))[0]).toBe(2n);
    }, 60_000);
  },
);
