/**
 * A slow consumer holds no more than its `concurrency` in hand.
 *
 * @module
 */
import { expect } from 'vitest';
import type { Delivery } from '../../../transport/types.js';
import type { Scenario } from '../scenario.js';

/**
 * Ours: with `concurrency: 4` the subscriber never has more than four unsettled deliveries, however many
 * messages wait, and it still gets every message once it settles them.
 */
export const slowConsumerMemoryBounded: Scenario = {
  name: 'slow-consumer-memory-bounded',
  timeoutMs: 30_000,
  async run(ctx) {
    const concurrency = 4;
    const total = ctx.count(200);
    const topic = await ctx.provision(ctx.topic('slow'), 4);
    const received = ctx.received();
    const held: Delivery[] = [];
    let unsettled = 0;
    let maxUnsettled = 0;
    let holding = true;
    const settle = (delivery: Delivery): void => {
      unsettled--;
      void received.ack(delivery);
    };
    await ctx.subscribe(
      topic,
      (delivery) => {
        received.record(delivery);
        unsettled++;
        maxUnsettled = Math.max(maxUnsettled, unsettled);
        if (holding) held.push(delivery);
        else ctx.later(() => settle(delivery), 1);
      },
      { group: ctx.group('g'), startFrom: 'earliest', concurrency, ordered: false },
    );
    await ctx.publishAll(
      topic,
      Array.from({ length: total }, (_, i) => ctx.message(i)),
    );
    await ctx.waitFor(
      () => held.length >= Math.min(total, concurrency),
      10_000,
      () => `${held.length} in hand`,
    );
    await ctx.quiet(200);
    expect(unsettled, 'unsettled deliveries while the consumer holds them').toBeLessThanOrEqual(concurrency);
    holding = false;
    for (const delivery of held.splice(0)) settle(delivery);
    await ctx.waitFor(
      () => received.ackedCount >= total,
      20_000,
      () => `${received.ackedCount}/${total} acknowledged`,
    );
    expect(maxUnsettled, 'most unsettled deliveries at once').toBeLessThanOrEqual(concurrency);
  },
};
