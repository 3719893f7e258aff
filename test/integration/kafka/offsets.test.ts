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
import { eventually, testTransport, text, wire } from '../../support/kafka-transport.js';

const TOTAL = 20;
const K = 7;

describe.skipIf(skipWithout('Kafka', kafkaUnavailableReason))(
  `kafka offsets: a failing k-th message ${kafkaUnavailableReason}`,
  () => {
    const transports: KafkaTransport[] = [];
    const make = () => {
      const t = testTransport();
      transports.push(t);
      return t;
    };
    afterEach(async () => {
      await Promise.all(transports.splice(0).map((t) => t.close()));
    });

    async function seed(): Promise<string> {
      const topic = uniqueTopic('kth');
      await createTopic(topic, 1);
      // One batch: the k-th message sits in the middle of a single fetched record batch.
      await make().publishBatch(
        topic,
        Array.from({ length: TOTAL }, (_, i) => wire(`m${i}`)),
      );
      return topic;
    }

    for (const mode of [
      { name: 'ordered', ordered: true, concurrency: 1 },
      { name: 'unordered, 4 at a time', ordered: false, concurrency: 4 },
    ]) {
      it(`${mode.name}: commits up to k-1, never past k, and redelivers k`, async () => {
        const topic = await seed();
        const group = `kth-${mode.name.replace(/\W+/g, '-')}-${topic}`;
        const t = make();
        let failing = true;
        const handled = new Set<string>();
        const attemptsOfK: number[] = [];
        const sub = await t.subscribe(
          topic,
          async (d: Delivery) => {
            if (text(d) === `m${K}`) {
              attemptsOfK.push(d.attempt);
              if (failing) throw new Error('handler failed on the k-th message');
            }
            handled.add(text(d));
            await d.ack();
          },
          { group, startFrom: 'earliest', ordered: mode.ordered, concurrency: mode.concurrency },
        );
        // k fails over and over: the group's commit stops right before it, even when later messages were handled.
        await eventually(() => attemptsOfK.length >= 3, 20_000, 'k to be redelivered');
        await eventually(() => handled.size >= (mode.ordered ? K : TOTAL - 1), 20_000, 'the other messages');
        await new Promise((r) => setTimeout(r, 300));
        expect((await committedOffsets(group, topic))[0]).toBe(BigInt(K));
        expect(handled.has(`m${K}`)).toBe(false);
        if (mode.ordered) expect(handled.size).toBe(K); // nothing after k passed it
        expect(attemptsOfK.slice(0, 3)).toEqual([1, 2, 3]);

        // A new member of the same group (after this one closed) starts at k: k is redelivered, 0..k-1 are not.
        await sub.close();
        const again: string[] = [];
        await make().subscribe(
          topic,
          async (d) => {
            again.push(text(d));
            await d.ack();
          },
          { group, startFrom: 'earliest', ordered: mode.ordered, concurrency: mode.concurrency },
        );
        await eventually(() => again.length >= TOTAL - K, 20_000, 'the rest after a restart');
        expect(again[0]).toBe(`m${K}`);
        expect(again).not.toContain(`m${K - 1}`);
        await new Promise((r) => setTimeout(r, 300));
        expect((await committedOffsets(group, topic))[0]).toBe(BigInt(TOTAL));
        failing = false;
      });
    }

    it('a brand-new group that fails on k commits 0..k-1 and gets k again', async () => {
      const topic = await seed();
      const group = `kth-new-${topic}`;
      const t = make();
      const seen: { body: string; attempt: number; offset: string | undefined }[] = [];
      await t.subscribe(
        topic,
        async (d) => {
          seen.push({ body: text(d), attempt: d.attempt, offset: d.coordinates.offset });
          if (text(d) === `m${K}` && d.attempt === 1) throw new Error('first attempt at k fails');
          await d.ack();
        },
        { group, startFrom: 'earliest' },
      );
      await eventually(
        () => seen.filter((s) => s.body !== `m${K}`).length === TOTAL - 1,
        20_000,
        'all messages',
      );
      const atK = seen.filter((s) => s.body === `m${K}`);
      expect(atK.map((s) => s.attempt)).toEqual([1, 2]);
      expect(atK.every((s) => s.offset === String(K))).toBe(true);
      expect(seen.map((s) => s.body)).toEqual([
        ...Array.from({ length: K + 1 }, (_, i) => `m${i}`),
        `m${K}`,
        ...Array.from({ length: TOTAL - K - 1 }, (_, i) => `m${K + 1 + i}`),
      ]);
      await new Promise((r) => setTimeout(r, 300));
      expect((await committedOffsets(group, topic))[0]).toBe(BigInt(TOTAL));
    });
  },
);
