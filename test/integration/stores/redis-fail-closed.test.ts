import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors.js';
import type { IdempotencyStore } from '../../../src/idempotency/types.js';
import { redisIdempotencyStore } from '../../../src/redis/idempotency-store.js';
import { type PrivateRedis, startPrivateRedis } from '../../support/stores-redis.js';
import '../../support/stores-provided.js';
import { missingUrl, skipWithout } from '../../support/broker-skip.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A minimal at-least-once queue: a delivery is acked or nacked; a nacked one comes back after its delay. Some
 * messages are published twice, as a real producer retrying after a lost acknowledgement would.
 */
class RedeliveringQueue {
  private readonly ready: number[] = [];
  private pendingTimers = 0;
  acked = 0;

  publish(id: number): void {
    this.ready.push(id);
  }

  take(): number | undefined {
    return this.ready.shift();
  }

  nack(id: number, delayMs: number): void {
    this.pendingTimers++;
    setTimeout(() => {
      this.pendingTimers--;
      this.ready.push(id);
    }, delayMs);
  }

  ack(): void {
    this.acked++;
  }

  get idle(): boolean {
    return this.ready.length === 0 && this.pendingTimers === 0;
  }
}

/**
 * The consumer loop a bus runs around a handler, written here over the store API: reserve before the side effect,
 * nack when the store cannot say (fail closed), commit after it (retrying until the store answers: the side effect
 * happened and must be recorded before the ack), release on handler failure.
 */
async function consume(
  store: IdempotencyStore,
  queue: RedeliveringQueue,
  sideEffect: (id: number) => void,
  stats: {
    unavailable: number;
    commitRetries: number;
    inProgress: number;
    duplicates: number;
    other: unknown[];
  },
  stop: () => boolean,
): Promise<void> {
  // The lease must outlast the handler plus the commit retries through an outage (here up to ~2 s: 600 ms down,
  // restart, reconnect back-off): a lease that ends before the commit lands lets a redelivery take the key and
  // handle the message a second time. That is the contract's one window for duplicates; a longer lease closes it
  // at the price of a longer wait for a reservation whose reply was lost in the crash.
  const leaseMs = 8000;
  while (!stop()) {
    const id = queue.take();
    if (id === undefined) {
      await sleep(5);
      continue;
    }
    const key = `msg:${id}`;
    let result: Awaited<ReturnType<IdempotencyStore['reserve']>>;
    try {
      result = await store.reserve(key, leaseMs);
    } catch (error) {
      if (isSwitchboardError(error, 'SWB_STORE_UNAVAILABLE') && error.retryable) stats.unavailable++;
      else stats.other.push(error);
      queue.nack(id, 50);
      continue;
    }
    if (result === 'duplicate') {
      stats.duplicates++;
      queue.ack();
      continue;
    }
    if (result === 'in-progress') {
      stats.inProgress++;
      queue.nack(id, 100);
      continue;
    }
    sideEffect(id);
    for (;;) {
      try {
        await store.commit(key, 60_000);
        break;
      } catch (error) {
        if (!isSwitchboardError(error, 'SWB_STORE_UNAVAILABLE')) stats.other.push(error);
        stats.commitRetries++;
        await sleep(50);
      }
    }
    queue.ack();
  }
}

// Skipped only when the global setup found no Redis outside CI (in CI that fails the run instead): this test
// starts its own redis-server, which needs the binary the setup checked.
describe.skipIf(
  skipWithout('Redis', missingUrl(inject('redisUrl'), inject('storesUnavailableReason'), 'Redis')),
)('fail closed when Redis goes away mid-run', () => {
  let server: PrivateRedis;

  beforeAll(async () => {
    server = await startPrivateRedis();
  });

  afterAll(async () => {
    await server.destroy();
  });

  it('processes every message exactly once across a Redis crash and restart', async () => {
    const total = 400;
    const queue = new RedeliveringQueue();
    for (let id = 0; id < total; id++) {
      queue.publish(id);
      if (id % 7 === 0) queue.publish(id);
    }
    const processed = new Map<number, number>();
    let processedWhileDown = 0;
    let down = false;
    const sideEffect = (id: number) => {
      if (down) processedWhileDown++;
      processed.set(id, (processed.get(id) ?? 0) + 1);
    };
    const stats = { unavailable: 0, commitRetries: 0, inProgress: 0, duplicates: 0, other: [] as unknown[] };
    // Four workers, each with its own store and connection, as four consumer processes would have.
    const stores = Array.from({ length: 4 }, () =>
      redisIdempotencyStore({ url: server.url, prefix: 'fail-closed:', commandTimeoutMs: 300 }),
    );
    let stopping = false;
    const workers = stores.map((store) => consume(store, queue, sideEffect, stats, () => stopping));

    // Let a part of the run through, then crash Redis (SIGKILL: no shutdown save; the append-only file, synced
    // on every write, keeps every acknowledged reservation and record).
    while (processed.size < total / 4) await sleep(5);
    await server.kill();
    // From here no reserve can succeed, so no side effect may run until Redis is back.
    down = true;
    const rejectedBefore = stats.unavailable + stats.commitRetries;
    await sleep(600);
    // The store said so at once (SWB_STORE_UNAVAILABLE, retryable), to reserves and commits alike.
    expect(stats.unavailable + stats.commitRetries).toBeGreaterThan(rejectedBefore);
    down = false;
    await server.start();

    const deadline = Date.now() + 25_000;
    while (!(queue.idle && processed.size === total) && Date.now() < deadline) await sleep(20);
    stopping = true;
    await Promise.all(workers);
    await Promise.all(stores.map((s) => s.close()));

    expect(stats.other).toEqual([]);
    expect(processedWhileDown).toBe(0);
    expect(processed.size).toBe(total);
    const twice = [...processed].filter(([, times]) => times !== 1);
    expect(twice).toEqual([]);
    expect(queue.idle).toBe(true);
    // Every delivery (including the duplicates published on purpose) was acked exactly once in the end.
    expect(queue.acked).toBe(total + Math.ceil(total / 7));
    expect(stats.duplicates).toBeGreaterThanOrEqual(Math.ceil(total / 7));
  }, 60_000);
});
