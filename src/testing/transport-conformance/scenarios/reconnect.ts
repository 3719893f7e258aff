/**
 * Reconnect across broker restarts.
 *
 * @module
 */
import type { WireMessage } from '../../../envelope/types.js';
import type { Scenario } from '../scenario.js';

/**
 * watermill TestReconnect: 10 000 messages published while the broker restarts twice; the publisher retries
 * what failed, and the subscriber ends up with every message.
 */
export const reconnect: Scenario = {
  name: 'reconnect',
  timeoutMs: 180_000,
  unsupported: (features, ctx) =>
    !features.restartable
      ? 'the transport does not claim restartable'
      : ctx.restart === undefined
        ? 'no restart option was given'
        : undefined,
  async run(ctx) {
    const restart = ctx.restart!;
    const total = ctx.count(10_000);
    const topic = await ctx.provision(ctx.topic('reconnect'), 2);
    const received = ctx.received();
    await ctx.subscribe(topic, received.handler, {
      group: ctx.group('g'),
      startFrom: 'earliest',
      concurrency: 16,
    });
    const messages = Array.from({ length: total }, (_, i) => ctx.message(i, { key: `key-${i % 16}` }));
    const restarts: Promise<void>[] = [];
    const batch = 100;
    for (let i = 0; i < total; i += batch) {
      if (restarts.length < 2 && i >= ((restarts.length + 1) * total) / 3) restarts.push(restart());
      await publishWithRetry(ctx.transport, topic, messages.slice(i, i + batch), ctx.ms(120_000));
    }
    await Promise.all(restarts);
    await ctx.waitFor(
      () => received.size >= total,
      120_000,
      () => `${received.size}/${total} messages`,
    );
    received.expectNoForbiddenDuplicates();
  },
};

async function publishWithRetry(
  transport: { publishBatch(topic: string, messages: readonly WireMessage[]): Promise<unknown> },
  topic: string,
  messages: readonly WireMessage[],
  budgetMs: number,
): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await transport.publishBatch(topic, messages);
      return;
    } catch (error) {
      // While the broker is down any error may come back; the whole batch is sent again (duplicates are fine).
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * attempt)));
    }
  }
}
