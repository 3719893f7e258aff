/**
 * Per-key order under concurrency.
 *
 * @module
 */
import { expect } from 'vitest';
import type { WireMessage } from '../../../envelope/types.js';
import { needs, type Scenario } from '../scenario.js';
import { seqOf } from '../test-messages.js';

/**
 * watermill TestPublishSubscribeInOrder, with keys: 1000 messages over 16 keys on 4 partitions, consumed with
 * concurrency 8. Each key's messages arrive in publish order, and no two of one key are unsettled at once.
 */
export const perKeyOrder: Scenario = {
  name: 'per-key-order',
  timeoutMs: 40_000,
  unsupported: needs('guaranteedOrder'),
  async run(ctx) {
    const total = ctx.count(1000);
    const keys = 16;
    const topic = await ctx.provision(ctx.topic('order'), 4);
    const received = ctx.received();
    const sent: WireMessage[] = [];
    for (let i = 0; i < total; i++) sent.push(ctx.message(i, { key: `key-${i % keys}` }));
    const lastSeq = new Map<string, number>();
    const unsettled = new Map<string, number>();
    const violations: string[] = [];
    let settleTurn = 0;
    await ctx.subscribeAndPublish(
      () =>
        ctx.subscribe(
          topic,
          (delivery) => {
            const key = delivery.message.key ?? '';
            const open = unsettled.get(key) ?? 0;
            if (open > 0) violations.push(`two unsettled deliveries of ${key}`);
            unsettled.set(key, open + 1);
            if (received.record(delivery)) {
              const seq = seqOf(delivery);
              const last = lastSeq.get(key) ?? -1;
              if (seq < last) violations.push(`${key}: message ${seq} after ${last}`);
              lastSeq.set(key, seq);
            }
            const settle = (): void => {
              unsettled.set(key, (unsettled.get(key) ?? 1) - 1);
              void received.ack(delivery);
            };
            // Vary how long deliveries stay unsettled so partitions interleave.
            settleTurn++;
            if (settleTurn % 3 === 0) ctx.later(settle, settleTurn % 2);
            else settle();
          },
          { group: ctx.group('g'), startFrom: 'earliest', concurrency: 8, ordered: true },
        ),
      () => ctx.publishAll(topic, sent),
    );
    await ctx.waitFor(
      () => received.size >= total,
      30_000,
      () => `${received.size}/${total} messages`,
    );
    expect(violations.slice(0, 10)).toEqual([]);
    expect(lastSeq.size).toBe(keys);
    received.expectNoForbiddenDuplicates();
  },
};
