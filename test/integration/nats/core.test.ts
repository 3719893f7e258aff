import { afterAll, beforeAll, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors.js';
import { type NatsTransport, natsTransport } from '../../../src/transport/nats/index.js';
import type { Delivery } from '../../../src/transport/types.js';
import {
  bytes,
  describeNats,
  natsUrl,
  rawConnection,
  text,
  uniqueName,
  until,
} from '../../support/nats-helpers.js';

describeNats('NATS core mode', () => {
  let transport: NatsTransport;

  beforeAll(async () => {
    transport = natsTransport({ servers: natsUrl, mode: 'core' });
    await transport.connect();
  });

  afterAll(async () => {
    await transport.close();
  });

  it('declares honest features', () => {
    expect(transport.features.persistent).toBe(false);
    expect(transport.features.nativeDelayedRedelivery).toBe(false);
    expect(transport.features.newSubscriberReceivesOldMessages).toBe(false);
  });

  it('delivers key, headers and body as published', async () => {
    const topic = uniqueName();
    const got: Delivery[] = [];
    const sub = await transport.subscribe(topic, async (d) => {
      got.push(d);
      await d.ack();
    });
    const keys = ['plain-key_1', 'with.dot', 'spaces and * >', 'ünïcødé', '', '_leading'];
    for (const key of keys) {
      await transport.publish(topic, {
        key,
        headers: { 'ce-id': key === '' ? 'empty' : 'x', 'x-h': 'v' },
        body: bytes(key),
      });
    }
    await transport.publish(topic, { headers: {}, body: bytes('no key') });
    await until(() => got.length === keys.length + 1, 5000, 'all deliveries');
    expect(got.map((d) => d.message.key)).toEqual([...keys, undefined]);
    expect(got.map((d) => text(d.message.body))).toEqual([...keys, 'no key']);
    expect(got[0]?.message.headers).toEqual({ 'ce-id': 'x', 'x-h': 'v' });
    expect(got[6]?.message.headers).toEqual({});
    expect(got[0]?.attempt).toBe(1);
    expect(got[0]?.coordinates.subject).toBe(`${topic}.plain-key_1`);
    await sub.close();
  });

  it('shares messages within a queue group and copies them across groups', async () => {
    const topic = uniqueName();
    const a: string[] = [];
    const b: string[] = [];
    const other: string[] = [];
    const subs = await Promise.all([
      transport.subscribe(topic, (d) => d.ack().then(() => void a.push(text(d.message.body))), {
        group: 'g1',
      }),
      transport.subscribe(topic, (d) => d.ack().then(() => void b.push(text(d.message.body))), {
        group: 'g1',
      }),
      transport.subscribe(topic, (d) => d.ack().then(() => void other.push(text(d.message.body))), {
        group: 'g2',
      }),
    ]);
    const messages = Array.from({ length: 200 }, (_, i) => ({ headers: {}, body: bytes(String(i)) }));
    await transport.publishBatch(topic, messages);
    await until(() => a.length + b.length === 200 && other.length === 200, 5000, 'group deliveries');
    expect(new Set([...a, ...b]).size).toBe(200);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    await Promise.all(subs.map((s) => s.close()));
  });

  // What core mode gives instead of the conformance scenarios it leaves out (conformance-core.test.ts): a
  // delivery unsettled when its subscription closes is aborted and gone, never redelivered (at-most-once).
  it('aborts a delivery unsettled at close and never redelivers it to the next subscriber', async () => {
    const topic = uniqueName();
    const held: Delivery[] = [];
    const first = await transport.subscribe(topic, (d) => void held.push(d), { group: 'g' });
    await transport.publish(topic, { headers: {}, body: bytes('held') });
    await until(() => held.length === 1, 5000, 'the held delivery');
    await first.close({ graceMs: 0 });
    expect(held[0]!.signal.aborted).toBe(true);
    const later: string[] = [];
    const second = await transport.subscribe(
      topic,
      (d) => d.ack().then(() => void later.push(text(d.message.body))),
      { group: 'g' },
    );
    await transport.publish(topic, { headers: {}, body: bytes('after') });
    await until(() => later.includes('after'), 5000, 'the message after close');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(later).toEqual(['after']);
    await second.close();
  });

  it('redelivers a nacked message locally after its delay, keeping per-key order', async () => {
    const topic = uniqueName();
    const seen: string[] = [];
    let nackedAt = 0;
    let redeliveredAt = 0;
    const sub = await transport.subscribe(
      topic,
      async (d) => {
        const body = text(d.message.body);
        seen.push(`${body}#${d.attempt}`);
        if (body === 'first' && d.attempt === 1) {
          nackedAt = Date.now();
          await d.nack({ delayMs: 150 });
          return;
        }
        if (body === 'first') redeliveredAt = Date.now();
        await d.ack();
      },
      { concurrency: 4 },
    );
    await transport.publish(topic, { key: 'k', headers: {}, body: bytes('first') });
    await transport.publish(topic, { key: 'k', headers: {}, body: bytes('second') });
    await until(() => seen.length === 3, 5000, 'redelivery');
    expect(seen).toEqual(['first#1', 'first#2', 'second#1']);
    expect(redeliveredAt - nackedAt).toBeGreaterThanOrEqual(140);
    await sub.close();
  });

  it('never runs more than `concurrency` handlers at once and nacks when a handler throws', async () => {
    const topic = uniqueName();
    let running = 0;
    let peak = 0;
    let done = 0;
    const attempts = new Map<string, number>();
    const sub = await transport.subscribe(
      topic,
      async (d) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        const body = text(d.message.body);
        attempts.set(body, d.attempt);
        if (body === '3' && d.attempt === 1) throw new Error('boom');
        done++;
        await d.ack();
      },
      { concurrency: 3, ordered: false },
    );
    const errors: unknown[] = [];
    transport.events.on('error', (e) => errors.push(e.error));
    await transport.publishBatch(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ headers: {}, body: bytes(String(i)) })),
    );
    await until(() => done === 20, 5000, 'all handled');
    expect(peak).toBeLessThanOrEqual(3);
    expect(attempts.get('3')).toBe(2);
    expect(errors.length).toBeGreaterThan(0);
    await sub.close();
  });

  it('answers requests, with timeout and no-responders errors', async () => {
    const topic = uniqueName();
    const sub = await transport.respond(
      topic,
      async (request) => ({
        headers: { 'x-echo': request.headers['x-in'] ?? '' },
        body: bytes(`re:${text(request.body)}`),
      }),
      { group: 'workers' },
    );
    const reply = await transport.request(
      topic,
      { key: 'k1', headers: { 'x-in': 'hi' }, body: bytes('ping') },
      { timeoutMs: 2000 },
    );
    expect(text(reply.body)).toBe('re:ping');
    expect(reply.headers).toEqual({ 'x-echo': 'hi' });

    const failing = await transport.respond(uniqueName('fail'), async () => {
      throw new Error('nope');
    });
    await expect(
      transport.request(failing.topic, { headers: {}, body: bytes('x') }, { timeoutMs: 2000 }),
    ).rejects.toMatchObject({
      code: 'SWB_REMOTE_ERROR',
    });

    const slowTopic = uniqueName('slow');
    const slow = await transport.respond(slowTopic, async (_req, signal) => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(signal.aborted).toBe(false);
      return { headers: {}, body: bytes('late') };
    });
    const timedOut = await transport
      .request(slowTopic, { headers: {}, body: bytes('x') }, { timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(isSwitchboardError(timedOut, 'SWB_REQUEST_TIMEOUT')).toBe(true);
    expect((timedOut as { retryable: boolean }).retryable).toBe(true);

    const none = await transport
      .request(uniqueName('none'), { headers: {}, body: bytes('x') }, { timeoutMs: 2000 })
      .catch((e: unknown) => e);
    expect(isSwitchboardError(none, 'SWB_NO_HANDLER')).toBe(true);

    const controller = new AbortController();
    const aborted = transport.request(
      slowTopic,
      { headers: {}, body: bytes('x') },
      { timeoutMs: 2000, signal: controller.signal },
    );
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'SWB_ABORTED' });

    await Promise.all([sub.close(), failing.close(), slow.close({ graceMs: 1000 })]);
  });

  it('matches concurrent replies to their requests, and fails waiting requests when the connection closes', async () => {
    const topic = uniqueName('many');
    const sub = await transport.respond(topic, async (request) => {
      // Answer out of order: later requests first.
      await new Promise((resolve) => setTimeout(resolve, 50 - Number(text(request.body))));
      return { headers: {}, body: bytes(`re:${text(request.body)}`) };
    });
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        transport.request(topic, { headers: {}, body: bytes(String(i)) }, { timeoutMs: 5000 }),
      ),
    );
    expect(replies.map((r) => text(r.body))).toEqual(Array.from({ length: 40 }, (_, i) => `re:${i}`));

    const own = await rawConnection();
    const borrowed = natsTransport({ connection: own, mode: 'core' });
    const silent = uniqueName('silent');
    own.subscribe(`rpc.${silent}.*`, { callback: () => {} });
    await own.flush();
    const waiting = borrowed
      .request(silent, { headers: {}, body: bytes('x') }, { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await own.close();
    const error = await waiting;
    expect(isSwitchboardError(error, 'SWB_TRANSPORT_UNAVAILABLE')).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    await Promise.all([sub.close(), borrowed.close()]);
  });

  it('rejects invalid headers and topics, and everything after close', async () => {
    await expect(transport.publish('bad topic', { headers: {}, body: bytes('x') })).rejects.toMatchObject({
      code: 'SWB_CONFIG_INVALID',
    });
    await expect(
      transport.publish(uniqueName(), { headers: { 'x-h': 'a\r\nb' }, body: bytes('x') }),
    ).rejects.toMatchObject({
      code: 'SWB_HEADER_INVALID',
    });
    const own = natsTransport({ servers: natsUrl, mode: 'core' });
    await own.publish(uniqueName(), { headers: {}, body: bytes('x') });
    expect((await own.health()).status).toBe('up');
    await own.close();
    await own.close();
    expect((await own.health()).status).toBe('down');
    await expect(own.publish(uniqueName(), { headers: {}, body: bytes('x') })).rejects.toMatchObject({
      code: 'SWB_TRANSPORT_CLOSED',
    });
  });

  it('drops what overflows a core subscriber queue and reports it', async () => {
    const small = natsTransport({ servers: natsUrl, mode: 'core', coreMaxQueued: 5 });
    const errors: unknown[] = [];
    small.events.on('error', (e) => errors.push(e.error));
    const topic = uniqueName();
    const held: Delivery[] = [];
    const sub = await small.subscribe(topic, (d) => void held.push(d));
    await small.publishBatch(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ headers: {}, body: bytes(String(i)) })),
    );
    await until(() => errors.length > 0, 5000, 'overflow report');
    expect(errors[0]).toMatchObject({ code: 'SWB_SUBSCRIBE_FAILED', details: { maxQueued: 5 } });
    expect(held).toHaveLength(1);
    await sub.close();
    await small.close();
  });

  it('pauses and resumes a responder', async () => {
    const topic = uniqueName();
    const sub = await transport.respond(topic, async () => ({ headers: {}, body: bytes('pong') }));
    sub.pause();
    sub.pause();
    expect(sub.paused).toBe(true);
    await expect(
      transport.request(topic, { headers: {}, body: bytes('x') }, { timeoutMs: 1000 }),
    ).rejects.toMatchObject({
      code: 'SWB_NO_HANDLER',
    });
    sub.resume();
    sub.resume();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reply = await transport.request(topic, { headers: {}, body: bytes('x') }, { timeoutMs: 1000 });
    expect(text(reply.body)).toBe('pong');
    await sub.close();
    await sub.close();
  });

  it('refuses invalid settings with SWB_CONFIG_INVALID', () => {
    const bad = [
      { mode: 'bogus' as never },
      { ackWaitMs: 10 },
      { idleHeartbeatMs: 20_000, pullExpiresMs: 30_000 },
      { pullExpiresMs: Number.NaN },
    ];
    for (const settings of bad) {
      expect(() => natsTransport({ servers: natsUrl, ...settings }), JSON.stringify(settings)).toThrow(
        expect.objectContaining({ code: 'SWB_CONFIG_INVALID' }),
      );
    }
  });

  it('reports an unreachable server as SWB_TRANSPORT_UNAVAILABLE', async () => {
    const nowhere = natsTransport({ servers: 'nats://127.0.0.1:1', mode: 'core', maxReconnectAttempts: 0 });
    const error = await nowhere.connect().catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'SWB_TRANSPORT_UNAVAILABLE')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    await nowhere.close();
  });
});
