/**
 * Consumer groups: competing subscribers share a group's messages, groups each get all, and a group keeps its
 * place while its subscribers come and go.
 *
 * @module
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Subscription } from '../../../transport/types.js';
import type { ConformanceContext } from '../context.js';
import { needs, type Scenario } from '../scenario.js';

/** watermill TestConcurrentSubscribe: 5000 messages over 50 competing subscribers of one group. */
export const concurrentSubscribe: Scenario = {
  name: 'concurrent-subscribe',
  timeoutMs: 60_000,
  unsupported: needs('consumerGroups'),
  async run(ctx) {
    const total = ctx.count(5000);
    const topic = await ctx.provision(ctx.topic('concurrent'), 8);
    const received = ctx.received();
    const group = ctx.group('g');
    const sent = Array.from({ length: total }, (_, i) => ctx.message(i, { key: `key-${i % 64}` }));
    await ctx.subscribeAndPublish(
      () =>
        Promise.all(
          Array.from({ length: 50 }, () =>
            ctx.subscribe(topic, received.handler, { group, startFrom: 'earliest', concurrency: 2 }),
          ),
        ),
      () => ctx.publishAll(topic, sent, ctx.transport, 500),
    );
    await ctx.waitFor(
      () => received.size >= total,
      45_000,
      () => `${received.size}/${total} messages`,
    );
    received.expectNoForbiddenDuplicates();
  },
};

/** watermill TestConsumerGroups: two groups each receive every message; members of one group share them. */
export const consumerGroups: Scenario = {
  name: 'consumer-groups',
  timeoutMs: 20_000,
  unsupported: needs('consumerGroups'),
  async run(ctx) {
    const topic = await ctx.provision(ctx.topic('groups'), 2);
    const first = ctx.received();
    const second = ctx.received();
    const sent = Array.from({ length: ctx.count(100) }, (_, i) => ctx.message(i, { key: `key-${i % 10}` }));
    await ctx.subscribeAndPublish(
      async () => {
        const options = { startFrom: 'earliest' } as const;
        await ctx.subscribe(topic, first.handler, { ...options, group: ctx.group('first') });
        await ctx.subscribe(topic, first.handler, { ...options, group: ctx.group('first') });
        await ctx.subscribe(topic, second.handler, { ...options, group: ctx.group('second') });
      },
      () => ctx.publishAll(topic, sent),
    );
    await ctx.waitFor(
      () => first.size >= sent.length && second.size >= sent.length,
      15_000,
      () => `${first.size} and ${second.size} of ${sent.length} messages`,
    );
    first.expectNoForbiddenDuplicates();
    second.expectNoForbiddenDuplicates();
  },
};

/**
 * watermill TestContinueAfterSubscribeClose: a group's subscriber closes and a new one continues; over several
 * rounds every message arrives. Needs groups whose position outlives their subscribers and messages kept while
 * no subscriber runs.
 */
export const continueAfterSubscriberClose: Scenario = {
  name: 'continue-after-subscriber-close',
  timeoutMs: 60_000,
  unsupported: (features) =>
    !features.consumerGroups
      ? 'the transport does not claim consumerGroups'
      : !features.persistent && !features.newSubscriberReceivesOldMessages
        ? 'the transport keeps no messages while a group has no subscriber'
        : undefined,
  async run(ctx) {
    const total = ctx.count(300);
    const topic = await ctx.provision(ctx.topic('reopen'));
    const group = ctx.group('g');
    const received = ctx.received();
    await ctx.publishAll(
      topic,
      Array.from({ length: total }, (_, i) => ctx.message(i)),
    );
    let rounds = 0;
    while (received.ackedCount < total) {
      rounds++;
      expect(rounds, 'rounds of subscribe and close').toBeLessThanOrEqual(40);
      const before = received.ackedCount;
      const subscription = await subscribeSlowly(ctx, topic, group, received);
      await ctx.waitFor(
        () => received.ackedCount >= Math.min(total, before + Math.ceil(total / 10)),
        10_000,
        () => `progress in round ${rounds}: ${received.ackedCount}/${total} acknowledged`,
      );
      await subscription.close();
    }
    expect(received.size).toBe(total);
    received.expectNoForbiddenDuplicates();
  },
};

/** A subscriber that yields a turn before each ack, so a close lands while it has messages in hand. */
function subscribeSlowly(
  ctx: ConformanceContext,
  topic: string,
  group: string,
  received: ReturnType<ConformanceContext['received']>,
): Promise<Subscription> {
  return ctx.subscribe(
    topic,
    async (delivery) => {
      received.record(delivery);
      await nextTurn();
      await received.ack(delivery);
    },
    { group, startFrom: 'earliest', concurrency: 4 },
  );
}
