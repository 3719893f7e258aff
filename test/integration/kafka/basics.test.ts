import { Admin, Producer } from '@platformatic/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors.js';
import { type KafkaTransport, kafkaTransport } from '../../../src/transport/kafka/index.js';
import { type Delivery, hasTopicProvisioning } from '../../../src/transport/types.js';
import { skipWithout } from '../../support/broker-skip.js';
import {
  committedOffsets,
  createTopic,
  kafkaBootstrap,
  kafkaUnavailableReason,
  uniqueTopic,
  withAdmin,
} from '../../support/kafka-broker.js';
import { eventually, testTransport, text, wire } from '../../support/kafka-transport.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipWithout('Kafka', kafkaUnavailableReason))(
  `kafka transport basics ${kafkaUnavailableReason}`,
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

    /** Subscribes and collects every delivery, acking it. */
    async function collect(
      t: KafkaTransport,
      topic: string,
      options: Parameters<KafkaTransport['subscribe']>[2] = {},
    ) {
      const got: Delivery[] = [];
      const sub = await t.subscribe(
        topic,
        async (d) => {
          got.push(d);
          await d.ack();
        },
        { group: `g-${topic}`, startFrom: 'earliest', ...options },
      );
      return { got, sub };
    }

    it('publishes and consumes with key, headers and body intact', async () => {
      const topic = uniqueTopic();
      const t = make();
      expect(t.system).toBe('kafka');
      expect(hasTopicProvisioning(t)).toBe(true);
      const receipt = await t.publish(
        topic,
        wire('hello', 'k1', { ce_id: '1', 'content-type': 'text/plain', x: 'é🚀' }),
      );
      expect(receipt).toMatchObject({ topic, partition: 0, offset: '0' });
      const { got, sub } = await collect(t, topic);
      await eventually(() => got.length === 1);
      expect(got[0]?.message.key).toBe('k1');
      expect({ ...got[0]?.message.headers }).toEqual({ ce_id: '1', 'content-type': 'text/plain', x: 'é🚀' });
      expect(text(got[0]!)).toBe('hello');
      expect(got[0]?.attempt).toBe(1);
      expect(got[0]?.coordinates).toMatchObject({ partition: 0, offset: '0' });
      expect(got[0]?.coordinates.timestamp).toBeGreaterThan(Date.now() - 60_000);
      await got[0]?.working();
      await sub.close();
      await sub.close();
    });

    it('publishBatch: receipts in input order, per-key order kept, chunked by size limits', async () => {
      const topic = uniqueTopic('batch');
      await createTopic(topic, 3);
      const t = make({ batchMaxMessages: 7 });
      const messages = Array.from({ length: 60 }, (_, i) => wire(`m${i}`, `key-${i % 5}`));
      const receipts = await t.publishBatch(topic, messages);
      expect(receipts).toHaveLength(60);
      expect(await t.publishBatch(topic, [])).toEqual([]);
      const { got } = await collect(t, topic, { concurrency: 8 });
      await eventually(() => got.length === 60);
      // Every receipt names where its message landed.
      const where = new Map(got.map((d) => [text(d), `${d.coordinates.partition}:${d.coordinates.offset}`]));
      receipts.forEach((r, i) => {
        expect(where.get(`m${i}`)).toBe(`${r.partition}:${r.offset}`);
      });
      for (let k = 0; k < 5; k++) {
        const bodies = got.filter((d) => d.message.key === `key-${k}`).map(text);
        expect(bodies).toEqual(
          messages.filter((m) => m.key === `key-${k}`).map((m) => new TextDecoder().decode(m.body)),
        );
      }
    });

    it('concurrent publishes share produce requests (linger) and all get receipts', async () => {
      const topic = uniqueTopic('linger');
      const t = make({ lingerMs: 5 });
      const receipts = await Promise.all(
        Array.from({ length: 200 }, (_, i) => t.publish(topic, wire(`m${i}`))),
      );
      expect(new Set(receipts.map((r) => r.offset)).size).toBe(200);
      const offsets = receipts.map((r) => Number(r.offset));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    });

    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      it(`round-trips ${compression}-compressed batches`, async () => {
        const topic = uniqueTopic(`c-${compression}`);
        const t = make({ compression });
        const body = 'compress me '.repeat(200);
        await t.publishBatch(
          topic,
          Array.from({ length: 20 }, (_, i) => wire(`${i}:${body}`, `k${i}`)),
        );
        const { got } = await collect(t, topic);
        await eventually(() => got.length === 20);
        expect(got.map(text)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}:${body}`));
      });
    }

    it('ensureTopic creates with partitions, retention, compression and cleanup policy; idempotent', async () => {
      const topic = uniqueTopic('provision');
      const t = make();
      const config = {
        partitions: 4,
        retentionMs: 3_600_000,
        compression: 'zstd',
        cleanupPolicy: 'compact',
      } as const;
      await t.ensureTopic(topic, config);
      await t.ensureTopic(topic, { partitions: 9 }); // exists: left as it is
      const { partitions, configs } = await withAdmin(async (admin) => {
        const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
        const described = await admin.describeConfigs({
          resources: [{ resourceType: 2, resourceName: topic }],
        });
        return {
          partitions: metadata.topics.get(topic)?.partitionsCount,
          configs: Object.fromEntries((described[0]?.configs ?? []).map((c) => [c.name, c.value])),
        };
      });
      expect(partitions).toBe(4);
      expect(configs).toMatchObject({
        'retention.ms': '3600000',
        'compression.type': 'zstd',
        'cleanup.policy': 'compact',
      });
      await expect(t.ensureTopic(uniqueTopic(), { partitions: 0 })).rejects.toSatisfy((e: unknown) =>
        isSwitchboardError(e, 'SWB_CONFIG_INVALID'),
      );
    });

    it('provisions topics from the transport config on first use', async () => {
      const topic = uniqueTopic('configured');
      const t = make({ topics: { [topic]: { partitions: 3, retentionMs: 60_000 } } });
      await t.publish(topic, wire('x', 'k'));
      const count = await withAdmin(
        async (admin) => (await admin.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount,
      );
      expect(count).toBe(3);
    });

    it('a custom partitioner decides the partition', async () => {
      const topic = uniqueTopic('custom-partitioner');
      await createTopic(topic, 4);
      const t = make({ partitioner: (_key, partitions) => partitions - 1 });
      const receipt = await t.publish(topic, wire('x', 'any'));
      expect(receipt.partition).toBe(3);
    });

    it('orderBy key: different keys of one partition run in parallel, one key stays serial', async () => {
      const topic = uniqueTopic('by-key');
      await createTopic(topic, 1);
      const t = make({ orderBy: 'key' });
      await t.publishBatch(topic, [wire('a1', 'a'), wire('a2', 'a'), wire('b1', 'b')]);
      const started: string[] = [];
      const pending: Delivery[] = [];
      await t.subscribe(
        topic,
        (d) => {
          started.push(text(d));
          pending.push(d);
        },
        { group: `g-${topic}`, startFrom: 'earliest', concurrency: 4 },
      );
      await eventually(() => started.length === 2);
      await sleep(200);
      expect(started).toEqual(['a1', 'b1']);
      await pending.find((d) => text(d) === 'a1')!.ack();
      await eventually(() => started.length === 3);
      expect(started[2]).toBe('a2');
    });

    it('a private group starts at the end: it sees what is published after subscribe resolves', async () => {
      const topic = uniqueTopic('private');
      const t = make();
      await t.publish(topic, wire('before'));
      const got: Delivery[] = [];
      const sub = await t.subscribe(topic, async (d) => {
        got.push(d);
        await d.ack();
      });
      expect(sub.group).toMatch(/^switchboard-private-/);
      await t.publish(topic, wire('after'));
      await eventually(() => got.length === 1);
      await sleep(300);
      expect(got.map(text)).toEqual(['after']);
    });

    it('close drains: waits the grace period, aborts what is left, never commits after close', async () => {
      const topic = uniqueTopic('drain');
      const t = make();
      await t.publishBatch(topic, [wire('m0'), wire('m1')]);
      const group = `g-${topic}`;
      const held: Delivery[] = [];
      const sub = await t.subscribe(
        topic,
        async (d) => {
          held.push(d);
          if (text(d) === 'm0') await d.ack();
        },
        { group, startFrom: 'earliest' },
      );
      await eventually(() => held.length === 2);
      const m1 = held[1]!;
      const started = Date.now();
      await sub.close({ graceMs: 300 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(m1.signal.aborted).toBe(true);
      await m1.ack();
      expect(m1.settled).toBe(false);
      await sleep(300);
      expect((await committedOffsets(group, topic))[0]).toBe(1n);
      // The next member of the group gets m1 again.
      const next = await collect(make(), topic, { group });
      await eventually(() => next.got.length === 1);
      expect(text(next.got[0]!)).toBe('m1');
    });

    it('a subscription closes when its signal aborts', async () => {
      const topic = uniqueTopic('abort');
      const t = make();
      const controller = new AbortController();
      const got: string[] = [];
      await t.subscribe(
        topic,
        async (d) => {
          got.push(text(d));
          await d.ack();
        },
        { group: `g-${topic}`, signal: controller.signal },
      );
      controller.abort();
      await sleep(200);
      await t.publish(topic, wire('late'));
      await sleep(500);
      expect(got).toEqual([]);
      const aborted = new AbortController();
      aborted.abort();
      await expect(t.subscribe(topic, () => {}, { signal: aborted.signal })).rejects.toSatisfy((e: unknown) =>
        isSwitchboardError(e, 'SWB_ABORTED'),
      );
    });

    it('health reports consumer lag per subscription, and down once closed', async () => {
      const topic = uniqueTopic('lag');
      const t = make();
      expect(await t.health()).toMatchObject({ status: 'down', connected: false });
      await t.publishBatch(
        topic,
        Array.from({ length: 10 }, (_, i) => wire(`m${i}`)),
      );
      const group = `g-${topic}`;
      const sub = await t.subscribe(topic, () => {}, { group, startFrom: 'earliest' });
      sub.pause();
      expect(sub.paused).toBe(true);
      const health = await t.health();
      expect(health).toMatchObject({ status: 'up', connected: true });
      expect(health.lag?.[`${topic}/${group}`]).toBe(10);
      await t.close();
      expect(await t.health()).toMatchObject({ status: 'down', connected: false });
    });

    it('publish can stop waiting on an abort signal; a closed transport refuses work', async () => {
      const topic = uniqueTopic('closed');
      const t = make();
      await t.connect();
      await t.connect();
      const controller = new AbortController();
      controller.abort();
      await expect(t.publish(topic, wire('x'), { signal: controller.signal })).rejects.toSatisfy(
        (e: unknown) => isSwitchboardError(e, 'SWB_ABORTED'),
      );
      await t.close();
      await t.close();
      for (const attempt of [
        () => t.publish(topic, wire('x')),
        () => t.publishBatch(topic, [wire('x')]),
        () => t.subscribe(topic, () => {}),
        () => t.ensureTopic(topic),
        () => t.connect(),
      ]) {
        await expect(attempt()).rejects.toSatisfy((e: unknown) =>
          isSwitchboardError(e, 'SWB_TRANSPORT_CLOSED'),
        );
      }
    });

    it('uses clients it is given and leaves them open', async () => {
      const producer = new Producer({
        clientId: 'mine',
        bootstrapBrokers: [kafkaBootstrap],
        idempotent: true,
      });
      const admin = new Admin({ clientId: 'mine-admin', bootstrapBrokers: [kafkaBootstrap] });
      try {
        const t = kafkaTransport({ producer, admin });
        expect(t.producer).toBe(producer);
        const topic = uniqueTopic('own-clients');
        await t.publish(topic, wire('x'));
        await t.close();
        expect(producer.closed).toBe(false);
        await producer.metadata({ topics: [topic] });
      } finally {
        await producer.close();
        await admin.close();
      }
    });

    it('rejects bad configuration and an unreachable broker with typed errors', async () => {
      expect(() => kafkaTransport({})).toThrow(expect.objectContaining({ code: 'SWB_CONFIG_INVALID' }));
      const t = kafkaTransport({
        bootstrapBrokers: ['127.0.0.1:1'],
        client: { retries: 0, connectTimeout: 500 },
      });
      await expect(t.connect()).rejects.toSatisfy(
        (e: unknown) => isSwitchboardError(e, 'SWB_TRANSPORT_UNAVAILABLE') && e.retryable,
      );
      await t.close();
    });
  },
);
