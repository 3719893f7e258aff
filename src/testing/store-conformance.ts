/**
 * The idempotency store conformance suite: every store (in-memory, Redis, PostgreSQL, yours) runs it to show it
 * keeps the {@link IdempotencyStore} contract.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../errors.js';
import type { IdempotencyStore, ReserveResult } from '../idempotency/types.js';

/** Options of {@link runStoreConformance}. */
export interface StoreConformanceOptions {
  /** Shown in the `describe` title. */
  readonly name: string;
  /**
   * Returns a store instance. The suite calls it once per simulated worker, so a distributed store should open a
   * connection of its own each time (the race scenarios then race for real across connections). Every instance
   * must see the same data: for an in-memory store, return one shared instance. The suite calls `close()` on
   * every instance it got.
   */
  readonly create: () => IdempotencyStore | Promise<IdempotencyStore>;
  /** Runs once after every scenario, after the stores were closed (drop tables, delete keys). */
  readonly cleanup?: () => void | Promise<void>;
  /**
   * Lease and TTL, in milliseconds, of the expiry scenarios, which wait for them in real time. Default 250.
   * Raise it for a store whose clock is coarse.
   */
  readonly crashLeaseMs?: number;
  /** Workers racing for each key. Default 8. */
  readonly raceWorkers?: number;
  /** Keys raced for, one after another (a few at a time). At least 1000 by default. */
  readonly raceRounds?: number;
  /** Timeout of the long scenarios (the races), in milliseconds. Default 120 000. */
  readonly timeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function count(results: readonly ReserveResult[], wanted: ReserveResult): number {
  return results.filter((r) => r === wanted).length;
}

/**
 * Registers the store conformance scenarios with vitest (`describe` / `it`), under `idempotency store
 * conformance: <name>`. Call it at the top level of a test file.
 *
 * Scenarios: reserve, commit and release semantics; release leaves committed records alone; distinct keys are
 * independent; committed records expire after their TTL; a reservation held by a crashed worker expires after its
 * lease and can then be acquired; a late commit after a takeover still records the key; many workers racing for
 * one key (repeated `raceRounds` times): exactly one acquires each time, also when racing to take over an expired
 * reservation; racing for a committed key, all see `duplicate`; invalid arguments are rejected.
 *
 * @example
 * ```ts
 * import { runStoreConformance } from 'switchboard/testing';
 * import { redisIdempotencyStore } from 'switchboard/redis';
 *
 * runStoreConformance({
 *   name: 'redis',
 *   create: () => redisIdempotencyStore({ url: 'redis://127.0.0.1:6379', prefix: 'conformance:' }),
 * });
 * ```
 */
export function runStoreConformance(options: StoreConformanceOptions): void {
  const leaseMs = options.crashLeaseMs ?? 250;
  const workers = options.raceWorkers ?? 8;
  const rounds = options.raceRounds ?? 1000;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const run = randomUUID().slice(0, 8);
  let n = 0;
  // Fresh keys per scenario, with a separator and a non-ASCII letter so stores must handle both.
  const freshKey = (label: string) => `conf:${run}:${label}:${++n}:é`;
  const opened: IdempotencyStore[] = [];
  const open = async () => {
    const store = await options.create();
    opened.push(store);
    return store;
  };
  let a!: IdempotencyStore;
  let b!: IdempotencyStore;

  describe(`idempotency store conformance: ${options.name}`, () => {
    beforeAll(async () => {
      a = await open();
      b = await open();
    });

    afterAll(async () => {
      await Promise.all(opened.map((s) => s.close?.()));
      opened.length = 0;
      await options.cleanup?.();
    });

    it('reserve acquires a fresh key once; others see it in progress', async () => {
      const key = freshKey('fresh');
      expect(await a.reserve(key, 30_000)).toBe('acquired');
      expect(await a.reserve(key, 30_000)).toBe('in-progress');
      expect(await b.reserve(key, 30_000)).toBe('in-progress');
    });

    it('commit turns a reservation into a record: reserve then answers duplicate everywhere', async () => {
      const key = freshKey('commit');
      expect(await a.reserve(key, 30_000)).toBe('acquired');
      await a.commit(key, 60_000);
      expect(await a.reserve(key, 30_000)).toBe('duplicate');
      expect(await b.reserve(key, 30_000)).toBe('duplicate');
    });

    it('release drops the reservation so the key can be acquired at once', async () => {
      const key = freshKey('release');
      expect(await a.reserve(key, 30_000)).toBe('acquired');
      await a.release(key);
      expect(await b.reserve(key, 30_000)).toBe('acquired');
      await b.commit(key, 60_000);
      expect(await a.reserve(key, 30_000)).toBe('duplicate');
    });

    it('release leaves committed records alone', async () => {
      const key = freshKey('release-committed');
      expect(await a.reserve(key, 30_000)).toBe('acquired');
      await a.commit(key, 60_000);
      await a.release(key);
      await b.release(key);
      expect(await a.reserve(key, 30_000)).toBe('duplicate');
      expect(await b.reserve(key, 30_000)).toBe('duplicate');
    });

    it('release of a key never reserved does nothing', async () => {
      const key = freshKey('release-unknown');
      await expect(a.release(key)).resolves.toBeUndefined();
      expect(await a.reserve(key, 30_000)).toBe('acquired');
    });

    it('commit without a reservation still records the key', async () => {
      const key = freshKey('commit-unreserved');
      await a.commit(key, 60_000);
      expect(await b.reserve(key, 30_000)).toBe('duplicate');
    });

    it('distinct keys are independent', async () => {
      const k1 = freshKey('independent');
      const k2 = freshKey('independent');
      const k3 = `${k1}:suffix`;
      expect(await a.reserve(k1, 30_000)).toBe('acquired');
      expect(await b.reserve(k2, 30_000)).toBe('acquired');
      expect(await b.reserve(k3, 30_000)).toBe('acquired');
      await a.commit(k1, 60_000);
      expect(await a.reserve(k2, 30_000)).toBe('in-progress');
      await b.release(k2);
      expect(await a.reserve(k2, 30_000)).toBe('acquired');
      expect(await b.reserve(k1, 30_000)).toBe('duplicate');
      expect(await a.reserve(k3, 30_000)).toBe('in-progress');
    });

    it('a committed record expires after its TTL, then the key can be acquired again', async () => {
      const key = freshKey('ttl');
      expect(await a.reserve(key, 30_000)).toBe('acquired');
      await a.commit(key, leaseMs);
      expect(await b.reserve(key, 30_000)).toBe('duplicate');
      await sleep(leaseMs * 2 + 50);
      expect(await b.reserve(key, 30_000)).toBe('acquired');
    });

    it("a crashed worker's reservation expires after its lease and can then be acquired", async () => {
      const key = freshKey('crash');
      const crashed = await open();
      expect(await crashed.reserve(key, leaseMs)).toBe('acquired');
      // The worker dies without commit or release.
      await crashed.close?.();
      expect(await a.reserve(key, 30_000)).toBe('in-progress');
      await sleep(leaseMs * 2 + 50);
      expect(await a.reserve(key, 30_000)).toBe('acquired');
      expect(await b.reserve(key, 30_000)).toBe('in-progress');
      await a.commit(key, 60_000);
      expect(await b.reserve(key, 30_000)).toBe('duplicate');
    });

    it('a late commit after a takeover records the key; a late release does not drop it', async () => {
      const key = freshKey('late');
      expect(await a.reserve(key, leaseMs)).toBe('acquired');
      await sleep(leaseMs * 2 + 50);
      expect(await b.reserve(key, 30_000)).toBe('acquired');
      await a.commit(key, 60_000);
      await b.release(key);
      expect(await b.reserve(key, 30_000)).toBe('duplicate');
      expect(await a.reserve(key, 30_000)).toBe('duplicate');
    });

    it(
      `${workers} workers racing for one key, ${rounds} times: exactly one acquires each time`,
      async () => {
        const racers = await Promise.all(Array.from({ length: workers }, open));
        const parallelKeys = 4;
        const failures: string[] = [];
        for (let round = 0; round < rounds; round += parallelKeys) {
          const keys = Array.from({ length: Math.min(parallelKeys, rounds - round) }, () => freshKey('race'));
          const outcomes = await Promise.all(
            keys.map((key) => Promise.all(racers.map((store) => store.reserve(key, 30_000)))),
          );
          outcomes.forEach((results, i) => {
            const acquired = count(results, 'acquired');
            const inProgress = count(results, 'in-progress');
            if (acquired !== 1 || inProgress !== workers - 1)
              failures.push(`round ${round + i}: ${results.join(',')}`);
          });
        }
        expect(failures).toEqual([]);
      },
      timeoutMs,
    );

    it(
      'workers racing to take over expired reservations: exactly one acquires each key',
      async () => {
        const racers = await Promise.all(Array.from({ length: workers }, open));
        const keys = Array.from({ length: 100 }, () => freshKey('takeover'));
        for (const key of keys) expect(await a.reserve(key, leaseMs)).toBe('acquired');
        await sleep(leaseMs * 2 + 50);
        const outcomes = await Promise.all(
          keys.map((key) => Promise.all(racers.map((store) => store.reserve(key, 30_000)))),
        );
        for (const results of outcomes) {
          expect(count(results, 'acquired')).toBe(1);
          expect(count(results, 'in-progress')).toBe(workers - 1);
        }
      },
      timeoutMs,
    );

    it(
      'workers racing for a committed key all see duplicate',
      async () => {
        const racers = await Promise.all(Array.from({ length: workers }, open));
        const keys = Array.from({ length: 50 }, () => freshKey('race-done'));
        for (const key of keys) await a.commit(key, 60_000);
        const outcomes = await Promise.all(
          keys.map((key) => Promise.all(racers.map((store) => store.reserve(key, 30_000)))),
        );
        for (const results of outcomes) expect(count(results, 'duplicate')).toBe(workers);
      },
      timeoutMs,
    );

    it('rejects invalid leases, TTLs and keys with SWB_CONFIG_INVALID', async () => {
      const key = freshKey('invalid');
      for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        const reserveError = await a.reserve(key, bad).catch((e: unknown) => e);
        expect(isSwitchboardError(reserveError, 'SWB_CONFIG_INVALID')).toBe(true);
        const commitError = await a.commit(key, bad).catch((e: unknown) => e);
        expect(isSwitchboardError(commitError, 'SWB_CONFIG_INVALID')).toBe(true);
      }
      const emptyKey = await a.reserve('', 1000).catch((e: unknown) => e);
      expect(isSwitchboardError(emptyKey, 'SWB_CONFIG_INVALID')).toBe(true);
      // Nothing was reserved by the rejected calls.
      expect(await a.reserve(key, 30_000)).toBe('acquired');
    });

    it('reports health when it implements it', async () => {
      if (a.health === undefined) return;
      expect((await a.health()).ok).toBe(true);
    });
  });
}
