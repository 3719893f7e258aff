import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors.js';
import { type NatsTransport, natsTransport } from '../../../src/transport/nats/index.js';
import type { Delivery } from '../../../src/transport/types.js';
import {
  bytes,
  deleteStreams,
  describeNats,
  rawConnection,
  text,
  uniqueName,
  uniqueStreamPrefix,
  until,
} from '../../support/nats-helpers.js';

describeNats('NATS JetStream mode', () => {
  const streamPrefix = uniqueStreamPrefix();
  let transport: NatsTransport;
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await rawConnection();
    transport = natsTransport({
      connection: nc,
      streamPrefix,
      ackWaitMs: 1000,
      idleHeartbeatMs: 500,
      pullExpiresMs: 5000,
    });
    await transport.connect();
  });

  afterAll(async () => {
    await transport?.close();
    await nc?.close();
    await deleteStreams(streamPrefix);
  });

  it('declares honest features', () => {
    expect(transport.features).toMatchObject({
      persistent: true,
      nativeDelayedRedelivery: true,
      exactlyOnceDelivery: false,
    });
  });

  it('provisions a stream per topic from its config, idempotently', async () => {
    const topic = `${uniqueName()}.events`;
    await transport.ensureTopic(topic, {
      retentionMs: 60_000,
      cleanupPolicy: 'compact',
      extra: {
        storage: 'memory',
        duplicateWindowMs: 30_000,
        replicas: 1,
        retention: 'limits',
        maxMsgs: 1000,
      },
    });
    await transport.ensureTopic(topic);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(`${streamPrefix}${topic.replace('.', '_')}`);
    expect(info.config.subjects).toEqual([`${topic}.*`]);
    expect(info.config.storage).toBe('memory');
    expect(info.config.max_age).toBe(60_000 * 1_000_000);
    expect(info.config.duplicate_window).toBe(30_000 * 1_000_000);
    expect(info.config.max_msgs_per_subject).toBe(1);
    expect(info.config.max_msgs).toBe(1000);
    await expect(transport.ensureTopic(uniqueName(), { extra: { storage: 'tape' } })).rejects.toMatchObject({
      code: 'SWB_CONFIG_INVALID',
    });
  });

  it('stores messages and delivers them to a group from the earliest, with coordinates', async () => {
    const topic = uniqueName();
    const receipts = await transport.publishBatch(
      topic,
      Array.from({ length: 50 }, (_, i) => ({
        key: `k${i % 5}`,
        headers: { 'ce-id': String(i) },
        body: bytes(String(i)),
      })),
    );
    expect(receipts.map((r) => r.sequence)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const got: Delivery[] = [];
    const sub = await transport.subscribe(
      topic,
      async (d) => {
        got.push(d);
        await d.ack();
      },
      { group: 'readers', concurrency: 8 },
    );
    await until(() => got.length === 50, 10_000, '50 deliveries');
    const first = got.find((d) => d.message.headers['ce-id'] === '0');
    expect(first?.message.key).toBe('k0');
    expect(first?.coordinates).toMatchObject({ sequence: 1, subject: `${topic}.k0` });
    expect(first?.coordinates.stream).toMatch(new RegExp(`^${streamPrefix}`));
    expect(first?.attempt).toBe(1);
    for (let k = 0; k < 5; k++) {
      const order = got.filter((d) => d.message.key === `k${k}`).map((d) => Number(text(d.message.body)));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    const health = await transport.health();
    expect(health.status).toBe('up');
    expect(health.lag?.[`${topic}/readers`]).toBe(0);
    await sub.close();
  });

  it('stores the same message id inside the duplicate window once', async () => {
    const topic = uniqueName();
    const first = await transport.publish(topic, { headers: {}, body: bytes('a') }, { messageId: 'id-1' });
    const again = await transport.publish(topic, { headers: {}, body: bytes('a') }, { messageId: 'id-1' });
    const other = await transport.publish(topic, { headers: {}, body: bytes('b') }, { messageId: 'id-2' });
    expect(first.duplicate).toBeUndefined();
    expect(again).toMatchObject({ duplicate: true, sequence: first.sequence });
    expect(other.sequence).toBe((first.sequence ?? 0) + 1);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(`${streamPrefix}${topic}`);
    expect(info.state.messages).toBe(2);
  });

  it('redelivers a nak with delay no earlier than the delay, counting attempts', async () => {
    const topic = uniqueName();
    const times: number[] = [];
    const attempts: number[] = [];
    const sub = await transport.subscribe(
      topic,
      async (d) => {
        times.push(Date.now());
        attempts.push(d.attempt);
        if (d.attempt === 1) await d.nack({ delayMs: 700 });
        else await d.ack();
      },
      { group: 'g' },
    );
    await transport.publish(topic, { headers: {}, body: bytes('x') });
    await until(() => attempts.length === 2, 10_000, 'redelivery');
    expect(attempts).toEqual([1, 2]);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(700);
    await sub.close();
  });

  it('does not redeliver a message whose handler runs for 3 x ack_wait', async () => {
    const topic = uniqueName();
    const deliveries: number[] = [];
    const sub = await transport.subscribe(
      topic,
      async (d) => {
        deliveries.push(d.attempt);
        await new Promise((resolve) => setTimeout(resolve, 3000));
        await d.ack();
      },
      { group: 'slow', concurrency: 2 },
    );
    await transport.publish(topic, { headers: {}, body: bytes('long') });
    await until(() => deliveries.length === 1, 5000, 'first delivery');
    await new Promise((resolve) => setTimeout(resolve, 3600));
    expect(deliveries).toEqual([1]);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.consumers.info(`${streamPrefix}${topic}`, 'slow');
    expect(info.num_redelivered).toBe(0);
    expect(info.num_ack_pending).toBe(0);
    await sub.close();
  }, 20_000);

  it('sets max_deliver above maxDeliveries so the last attempt reaches the handler', async () => {
    const topic = uniqueName();
    const attempts: number[] = [];
    const sub = await transport.subscribe(
      topic,
      async (d) => {
        attempts.push(d.attempt);
        if (d.attempt < 3) await d.nack();
        else await d.ack();
      },
      { group: 'dl', maxDeliveries: 3 },
    );
    await transport.publish(topic, { headers: {}, body: bytes('x') });
    await until(() => attempts.length === 3, 10_000, 'three attempts');
    const jsm = await jetstreamManager(nc);
    expect((await jsm.consumers.info(`${streamPrefix}${topic}`, 'dl')).config.max_deliver).toBe(4);
    expect(attempts).toEqual([1, 2, 3]);
    await sub.close();
  });

  it('recreates a consumer deleted mid-run and reports it', async () => {
    const topic = uniqueName();
    const events: string[] = [];
    const onDeleted = (e: { topic: string }) => e.topic === topic && events.push('deleted');
    const onRestarted = (e: { topic: string }) => e.topic === topic && events.push('restarted');
    transport.events.on('consumer.deleted', onDeleted);
    transport.events.on('consumer.restarted', onRestarted);
    const seen = new Set<string>();
    const sub = await transport.subscribe(
      topic,
      async (d) => {
        seen.add(text(d.message.body));
        await d.ack();
      },
      { group: 'victim' },
    );
    await transport.publishBatch(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ headers: {}, body: bytes(`a${i}`) })),
    );
    await until(() => seen.size === 20, 10_000, 'first batch');
    const jsm = await jetstreamManager(nc);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await jsm.consumers.delete(`${streamPrefix}${topic}`, 'victim');
    await until(
      () => events.includes('deleted') && events.includes('restarted'),
      10_000,
      'recreation events',
    );
    await transport.publishBatch(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ headers: {}, body: bytes(`b${i}`) })),
    );
    await until(() => seen.size === 40, 10_000, 'second batch after recreation');
    const info = await jsm.consumers.info(`${streamPrefix}${topic}`, 'victim');
    expect(info.config.durable_name).toBe('victim');
    transport.events.off('consumer.deleted', onDeleted);
    transport.events.off('consumer.restarted', onRestarted);
    await sub.close();
  });

  it('reports a deleted consumer once and recreates it after the last acknowledged message, not from the start', async () => {
    const topic = uniqueName();
    let deleted = 0;
    const onDeleted = (e: { topic: string }) => {
      if (e.topic === topic) deleted++;
    };
    transport.events.on('consumer.deleted', onDeleted);
    const deliveries = new Map<string, number>();
    const sub = await transport.subscribe(
      topic,
      async (d) => {
        const body = text(d.message.body);
        deliveries.set(body, (deliveries.get(body) ?? 0) + 1);
        await d.ack();
      },
      { group: 'resumer', concurrency: 4 },
    );
    await transport.publishBatch(
      topic,
      Array.from({ length: 200 }, (_, i) => ({ headers: {}, body: bytes(`a${i}`) })),
    );
    await until(() => deliveries.size === 200, 10_000, 'first batch');
    // The subscription reads the consumer's ack floor every few seconds; let one refresh happen.
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.delete(`${streamPrefix}${topic}`, 'resumer');
    await transport.publishBatch(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ headers: {}, body: bytes(`b${i}`) })),
    );
    await until(() => deliveries.size === 220, 15_000, 'second batch after recreation');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const replayed = [...deliveries.values()].filter((n) => n > 1).length;
    expect(replayed).toBe(0);
    expect(deleted).toBe(1);
    transport.events.off('consumer.deleted', onDeleted);
    await sub.close();
  }, 40_000);

  it('private subscriptions start at the latest message and delete their consumer on close', async () => {
    const topic = uniqueName();
    await transport.publish(topic, { headers: {}, body: bytes('old') });
    const got: string[] = [];
    const sub = await transport.subscribe(topic, async (d) => {
      got.push(text(d.message.body));
      await d.ack();
    });
    await transport.publish(topic, { headers: {}, body: bytes('new') });
    await until(() => got.length === 1, 5000, 'new message');
    expect(got).toEqual(['new']);
    const jsm = await jetstreamManager(nc);
    const stream = `${streamPrefix}${topic}`;
    const before = [];
    for await (const c of jsm.consumers.list(stream)) before.push(c.name);
    expect(before).toHaveLength(1);
    await sub.close();
    const after = [];
    for await (const c of jsm.consumers.list(stream)) after.push(c.name);
    expect(after).toHaveLength(0);
  });

  it('gives unsettled deliveries back on close so the next subscriber gets them at once', async () => {
    const topic = uniqueName();
    await transport.publishBatch(
      topic,
      Array.from({ length: 5 }, (_, i) => ({ headers: {}, body: bytes(String(i)) })),
    );
    const held: Delivery[] = [];
    const first = await transport.subscribe(topic, (d) => void held.push(d), {
      group: 'handoff',
      concurrency: 2,
    });
    await until(() => held.length === 2, 5000, 'two held');
    await first.close({ graceMs: 50 });
    expect(held.every((d) => d.signal.aborted)).toBe(true);
    await held[0]?.ack(); // ignored after close
    const got = new Set<string>();
    const started = Date.now();
    const second = await transport.subscribe(
      topic,
      async (d) => {
        got.add(text(d.message.body));
        await d.ack();
      },
      { group: 'handoff', concurrency: 5 },
    );
    await until(() => got.size === 5, 5000, 'all five');
    expect(Date.now() - started).toBeLessThan(1000); // well under ack_wait... plus the redelivery of given-back ones
    await second.close();
  });

  it('publishing to a topic without a stream fails without auto-provisioning', async () => {
    const strict = natsTransport({ connection: nc, streamPrefix, autoProvision: false });
    const error = await strict
      .publish(uniqueName(), { headers: {}, body: bytes('x') })
      .catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'SWB_PUBLISH_FAILED')).toBe(true);
    await strict.close();
    expect(nc.isClosed()).toBe(false);
  });
});
