/**
 * Basic delivery: messages arrive intact, on their own topic, also when published before the subscriber.
 *
 * @module
 */
import { expect } from 'vitest';
import type { Delivery } from '../../../transport/types.js';
import { needs, type Scenario } from '../scenario.js';
import { expectIntact, ID_HEADER, idOf } from '../test-messages.js';

/** watermill TestPublishSubscribe: 100 messages, keys, headers and body intact; buffered if published first. */
export const publishThenSubscribe: Scenario = {
  name: 'publish-then-subscribe',
  timeoutMs: 20_000,
  async run(ctx) {
    const topic = await ctx.provision(ctx.topic('pubsub'));
    const received = ctx.received();
    const sent = Array.from({ length: 100 }, (_, i) =>
      ctx.message(i, { key: i % 3 === 0 ? `key-${i % 7}` : undefined, headers: { 'x-extra': `value ${i}` } }),
    );
    await ctx.subscribeAndPublish(
      () => ctx.subscribe(topic, received.handler, { group: ctx.group('g'), startFrom: 'earliest' }),
      async () => {
        // Half one by one, half as a batch: both paths must keep the message intact.
        for (const message of sent.slice(0, 50)) {
          const receipt = await ctx.transport.publish(topic, message);
          expect(receipt.topic).toBe(topic);
        }
        const receipts = await ctx.transport.publishBatch(topic, sent.slice(50));
        expect(receipts).toHaveLength(50);
      },
    );
    await ctx.waitFor(
      () => received.size >= sent.length,
      10_000,
      () => `${received.size}/100 messages`,
    );
    for (const message of sent) {
      const got = received.get(message.headers[ID_HEADER]!);
      expectIntact(got, message);
      expect(got?.topic).toBe(topic);
      expect(got?.attempt).toBeGreaterThanOrEqual(1);
    }
    received.expectNoForbiddenDuplicates();
  },
};

/** watermill TestConcurrentSubscribeMultipleTopics: 20 topics at once, each gets exactly its messages. */
export const manyTopicsConcurrently: Scenario = {
  name: 'many-topics-concurrently',
  timeoutMs: 30_000,
  async run(ctx) {
    const perTopic = ctx.count(100);
    const topics = await Promise.all(
      Array.from({ length: 20 }, (_, t) => ctx.provision(ctx.topic(`many-${t}`))),
    );
    const logs = topics.map(() => ctx.received());
    const foreign: string[] = [];
    await Promise.all(
      topics.map((topic, t) =>
        ctx.subscribe(
          topic,
          (delivery) => {
            if (delivery.topic !== topic || !idOf(delivery).startsWith(`${ctx.run}-t${t}-`)) {
              foreign.push(`${idOf(delivery)} on ${topic}`);
            }
            return logs[t]!.handler(delivery);
          },
          { group: ctx.group(`many-${t}`), startFrom: 'earliest' },
        ),
      ),
    );
    await Promise.all(
      topics.map((topic, t) =>
        ctx.publishAll(
          topic,
          Array.from({ length: perTopic }, (_, i) => ctx.message(i, { id: `${ctx.run}-t${t}-${i}` })),
        ),
      ),
    );
    const total = (): number => logs.reduce((sum, log) => sum + log.size, 0);
    await ctx.waitFor(
      () => total() >= perTopic * topics.length,
      20_000,
      () => `${total()} messages`,
    );
    expect(foreign).toEqual([]);
    for (const log of logs) {
      expect(log.size).toBe(perTopic);
      log.expectNoForbiddenDuplicates();
    }
  },
};

/** watermill TestTopic: a subscriber of one topic never sees another topic's messages. */
export const topicIsolation: Scenario = {
  name: 'topic-isolation',
  timeoutMs: 15_000,
  async run(ctx) {
    const topicA = await ctx.provision(ctx.topic('iso-a'));
    const topicB = await ctx.provision(ctx.topic('iso-b'));
    const a = ctx.received();
    const b = ctx.received();
    const onB: Delivery[] = [];
    await ctx.subscribe(topicA, a.handler, { group: ctx.group('a') });
    await ctx.subscribe(
      topicB,
      (delivery) => {
        onB.push(delivery);
        return b.handler(delivery);
      },
      { group: ctx.group('b') },
    );
    const toA = Array.from({ length: 20 }, (_, i) => ctx.message(i, { id: `${ctx.run}-a-${i}` }));
    await ctx.publishAll(topicA, toA);
    await ctx.waitFor(
      () => a.size >= toA.length,
      10_000,
      () => `${a.size}/20 messages on the first topic`,
    );
    await ctx.quiet(200);
    expect(onB.map(idOf), 'messages of the first topic seen on the second').toEqual([]);
    const toB = Array.from({ length: 5 }, (_, i) => ctx.message(i, { id: `${ctx.run}-b-${i}` }));
    await ctx.publishAll(topicB, toB);
    await ctx.waitFor(
      () => b.size >= toB.length,
      10_000,
      () => `${b.size}/5 messages on the second topic`,
    );
    expect(a.size).toBe(toA.length);
    expect(new Set(b.ids())).toEqual(new Set(toB.map((m) => m.headers[ID_HEADER])));
  },
};

/** watermill TestNewSubscriberReceivesOldMessages: two new groups each read history from the start. */
export const newSubscriberReceivesOldMessages: Scenario = {
  name: 'new-subscriber-receives-old-messages',
  timeoutMs: 20_000,
  unsupported: needs('newSubscriberReceivesOldMessages'),
  async run(ctx) {
    const topic = await ctx.provision(ctx.topic('old'));
    const sent = Array.from({ length: ctx.count(50) }, (_, i) => ctx.message(i));
    await ctx.publishAll(topic, sent);
    for (const label of ['first', 'second']) {
      const received = ctx.received();
      await ctx.subscribe(topic, received.handler, { group: ctx.group(label), startFrom: 'earliest' });
      await ctx.waitFor(
        () => received.size >= sent.length,
        10_000,
        () => `${received.size} old messages`,
      );
      for (const message of sent) expectIntact(received.get(message.headers[ID_HEADER]!), message);
    }
  },
};
