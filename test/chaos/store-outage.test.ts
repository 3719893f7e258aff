/**
 * Chaos scenario 11: the idempotency store (a private redis-server, append-only file synced on every write)
 * dies with SIGKILL mid-run and is started again on the same port and directory. While it is down processing
 * stops, failing closed: no handler starts without a reservation. After recovery nothing was handled twice and
 * nothing was lost.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBus } from '../../src/bus/index.js';
import { isSwitchboardError } from '../../src/errors.js';
import { idempotencyKey } from '../../src/idempotency/index.js';
import type { IdempotencyStore } from '../../src/idempotency/types.js';
import { redisIdempotencyStore } from '../../src/redis/index.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import type { PrivateRedis } from '../support/stores-redis.js';
import { describeServers } from './support/env.js';
import { Ledger } from './support/ledger.js';
import { chaosRedis } from './support/redis-server.js';
import { settle, sleep, until } from './support/timing.js';

const TYPE = 'chaos.outage.v1';
const TOTAL = 3000;
const OUTAGE_MS = 2500;

describeServers('chaos 11: the idempotency store goes down mid-run', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await chaosRedis();
  });
  afterAll(async () => {
    await redis?.destroy();
  });

  it('fails closed while Redis is down and handles everything once after it is back', async () => {
    const inner = redisIdempotencyStore({ url: redis.url, prefix: 'chaos-outage:', commandTimeoutMs: 300 });
    // Which keys the store granted, and when: a handler may only run for a key granted to it.
    const granted = new Map<string, number>();
    const store: IdempotencyStore = {
      async reserve(key, leaseMs) {
        const result = await inner.reserve(key, leaseMs);
        if (result === 'acquired') granted.set(key, Date.now());
        return result;
      },
      commit: (key, ttlMs) => inner.commit(key, ttlMs),
      release: (key) => inner.release(key),
    };
    const transport = memoryTransport({ partitions: 4 });
    const bus = createBus({ transport, source: 'chaos-outage', idempotency: store, telemetry: false });
    const ledger = new Ledger().watch(bus);
    const storeErrors = { reserve: 0, commit: 0, unavailable: 0 };
    bus.events.on('error', (e) => {
      if (e.context === 'idempotency.reserve') storeErrors.reserve++;
      if (e.context === 'idempotency.commit') storeErrors.commit++;
      if (isSwitchboardError(e.error, 'SWB_STORE_UNAVAILABLE')) storeErrors.unavailable++;
    });
    let killedAt = 0;
    let restartedAt = 0;
    let handlersWithoutReservation = 0;
    let startedWithReservationFromOutage = 0;
    let handlerStartsDuringOutage = 0;
    let handledAtKill = 0;
    let handledAtRestart = 0;
    let stopPublishing = false;
    let publisher: Promise<void> | undefined;
    try {
      await bus.subscribe(
        TYPE,
        async (event) => {
          const reservedAt = granted.get(idempotencyKey(event));
          if (reservedAt === undefined) handlersWithoutReservation++;
          const down = killedAt > 0 && restartedAt === 0;
          if (down) {
            handlerStartsDuringOutage++;
            if (reservedAt !== undefined && reservedAt >= killedAt) startedWithReservationFromOutage++;
          }
          await sleep(2);
          ledger.effect(event.id);
        },
        // A lease longer than the outage: commits that failed meanwhile are retried (for half the lease) and land.
        { concurrency: 8, idempotency: true, idempotencyLeaseMs: 8000, redeliveryDelay: 200 },
      );
      publisher = (async () => {
        for (let n = 0; n < TOTAL && !stopPublishing; n += 10) {
          for (let j = n; j < n + 10; j++) {
            const id = `o-${j}`;
            ledger.attempt(id);
            await bus.publish(TYPE, { j }, { id, key: `k${j % 16}` });
            ledger.acknowledge(id);
          }
          await sleep(15);
        }
      })();
      await until(() => ledger.effects.size >= TOTAL / 4, 30_000, 'a quarter handled');
      await redis.kill();
      killedAt = Date.now();
      handledAtKill = ledger.effects.size;
      await sleep(OUTAGE_MS);
      // Handlers in flight at the kill keep their slots while their commits are retried (up to half the lease, 4 s,
      // longer than the outage): on a loaded machine all 8 slots can be held so, and no reservation is asked for
      // in OUTAGE_MS. The store stays down until it has refused one, so the fail-closed path is always exercised.
      await until(() => storeErrors.reserve > 0, 20_000, 'a reservation refused while the store is down');
      handledAtRestart = ledger.effects.size;
      const reserveErrorsWhileDown = storeErrors.reserve;
      await redis.start();
      restartedAt = Date.now();
      expect(reserveErrorsWhileDown).toBeGreaterThan(0);
      await publisher;
      await until(() => ledger.complete(), 60_000, 'every message handled after the restart');
      await settle(() => ledger.handled + ledger.duplicates, 1000);
    } finally {
      // A failed assertion must not leave the publisher running into the closed bus.
      stopPublishing = true;
      await publisher?.catch(() => undefined);
      await bus.close({ graceMs: 1000 });
      await inner.close();
    }

    ledger.report(
      '11 idempotency store (Redis) SIGKILLed mid-run, restarted (appendonly, same port and dir)',
      {
        'outage-ms': restartedAt - killedAt,
        'handled-at-kill': handledAtKill,
        'handled-while-down': handledAtRestart - handledAtKill,
        'handler-starts-while-down': handlerStartsDuringOutage,
        'reserve-failures-nacked': storeErrors.reserve,
        'commit-retries-exhausted': storeErrors.commit,
      },
    );
    // Fail closed: every handler ran under a reservation the store granted, none granted during the outage, and
    // the only handlers that started while it was down held reservations from before (they were in flight).
    expect(handlersWithoutReservation).toBe(0);
    expect(startedWithReservationFromOutage).toBe(0);
    expect(handlerStartsDuringOutage).toBeLessThanOrEqual(8);
    expect(handledAtRestart - handledAtKill).toBeLessThanOrEqual(8);
    expect(storeErrors.unavailable).toBeGreaterThan(0);
    expect(ledger.lost()).toEqual([]);
    expect(ledger.repeated()).toEqual([]);
    expect(ledger.effects.size).toBe(TOTAL);
  }, 120_000);
});
