/**
 * The in-memory idempotency store: bounded, fast, and only for one process.
 *
 * @module
 */
import { SwitchboardError } from '../errors.js';
import type { IdempotencyStore, ReserveResult } from './types.js';
import { assertKey, durationMs } from './validate.js';

/**
 * Options of {@link memoryIdempotencyStore}.
 *
 * Limits: the store lives in one process's memory. Two processes (or two replicas of a service) each have their
 * own, so they do not see each other's reservations and may both handle a message; a restart forgets everything.
 * Use the Redis or PostgreSQL store (`switchboard/redis`, `switchboard/postgres`) when more than one process
 * consumes the same messages.
 */
export interface MemoryIdempotencyStoreOptions {
  /**
   * Most keys held at once, reservations and committed records together. Default 100 000.
   *
   * When full, the oldest committed record makes room (with uniform TTLs, the one nearest to its end; expired
   * entries are swept as calls pass by). An unexpired reservation is never evicted: that would let a second worker take a key whose handler is still
   * running. When every entry is an unexpired reservation, `reserve` rejects with a retryable
   * `SWB_STORE_UNAVAILABLE`, so the caller nacks and retries (fails closed).
   *
   * The trade-off: under pressure the deduplication window shrinks. A duplicate that arrives after its record
   * was evicted is handled again. Size `maxKeys` above (messages per second x `ttlMs` / 1000).
   */
  readonly maxKeys?: number;
  /** Milliseconds since the epoch. Default `Date.now` (which `vi.useFakeTimers()` also controls). */
  readonly clock?: () => number;
}

/** Counters of a {@link MemoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreStats {
  /** Reservations held (some may have expired and not yet been swept). */
  readonly reservations: number;
  /** Committed records held (some may have expired and not yet been swept). */
  readonly records: number;
  /** Unexpired committed records dropped to make room: each one narrows the deduplication window. */
  readonly evicted: number;
}

/** The in-memory store: an {@link IdempotencyStore} plus counters. */
export interface MemoryIdempotencyStore extends IdempotencyStore {
  /** Does nothing: the store holds no connections or timers, and its data stays for other holders. */
  close(): Promise<void>;
  /** Always ok; the detail gives the fill level. */
  health(): Promise<{ ok: boolean; detail?: string }>;
  /** Current counters. */
  stats(): MemoryIdempotencyStoreStats;
  /** Forgets every reservation and record (tests). */
  clear(): void;
}

// How many expired entries at the head of each map one call may sweep: bounds the work of a single call while
// keeping memory from filling with dead entries.
const SWEEP_PER_CALL = 8;

/**
 * Creates an in-memory {@link IdempotencyStore}: the default for tests and single-process services. It takes no
 * timers, so fake timers and `clock` drive its expiry.
 *
 * Reservations and records are two insertion-ordered maps. Leases and TTLs are usually uniform, so the oldest
 * entry is the next to expire: sweeping heads keeps memory clean at constant cost per call.
 *
 * @example
 * ```ts
 * import { memoryIdempotencyStore } from 'switchboard';
 *
 * const store = memoryIdempotencyStore({ maxKeys: 50_000 });
 * if ((await store.reserve('billing:42', 30_000)) === 'acquired') {
 *   try {
 *     await chargeCard();
 *     await store.commit('billing:42', 24 * 3600_000);
 *   } catch (err) {
 *     await store.release('billing:42');
 *     throw err;
 *   }
 * }
 * ```
 */
export function memoryIdempotencyStore(options: MemoryIdempotencyStoreOptions = {}): MemoryIdempotencyStore {
  const maxKeys = options.maxKeys ?? 100_000;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', 'maxKeys must be a positive integer', {
      details: { maxKeys: String(maxKeys) },
    });
  }
  const clock = options.clock ?? Date.now;
  // key -> expiry (ms since epoch)
  const reservations = new Map<string, number>();
  const records = new Map<string, number>();
  let evicted = 0;

  function sweepHead(map: Map<string, number>, now: number, limit: number): void {
    let n = 0;
    for (const [key, expiresAt] of map) {
      if (n++ >= limit || expiresAt > now) return;
      map.delete(key);
    }
  }

  function sweepAll(map: Map<string, number>, now: number): void {
    for (const [key, expiresAt] of map) if (expiresAt <= now) map.delete(key);
  }

  // Constant work in the common case: the head record is the oldest commit, so the nearest to its end when TTLs
  // are uniform. Only when no record is left do we scan the reservations, which are few (messages in flight).
  function makeRoom(now: number): void {
    if (reservations.size + records.size < maxKeys) return;
    const oldest = records.entries().next();
    if (!oldest.done) {
      const [key, expiresAt] = oldest.value;
      records.delete(key);
      if (expiresAt > now) evicted++;
      return;
    }
    sweepAll(reservations, now);
    if (reservations.size < maxKeys) return;
    throw new SwitchboardError(
      'SWB_STORE_UNAVAILABLE',
      'in-memory idempotency store is full of unexpired reservations; retry later or raise maxKeys',
      { retryable: true, details: { maxKeys } },
    );
  }

  return {
    async reserve(key: string, leaseMs: number): Promise<ReserveResult> {
      assertKey(key);
      const lease = durationMs('leaseMs', leaseMs);
      const now = clock();
      sweepHead(records, now, SWEEP_PER_CALL);
      sweepHead(reservations, now, SWEEP_PER_CALL);
      const committedUntil = records.get(key);
      if (committedUntil !== undefined) {
        if (committedUntil > now) return 'duplicate';
        records.delete(key);
      }
      const reservedUntil = reservations.get(key);
      if (reservedUntil !== undefined) {
        if (reservedUntil > now) return 'in-progress';
        reservations.delete(key);
      }
      makeRoom(now);
      reservations.set(key, now + lease);
      return 'acquired';
    },

    async commit(key: string, ttlMs: number): Promise<void> {
      assertKey(key);
      const ttl = durationMs('ttlMs', ttlMs);
      const now = clock();
      // Unconditional, as the contract asks: even when the lease ran out, the side effect happened and must be
      // remembered. Deleting first moves the key to the end of the insertion order.
      reservations.delete(key);
      records.delete(key);
      makeRoom(now);
      records.set(key, now + ttl);
    },

    async release(key: string): Promise<void> {
      assertKey(key);
      reservations.delete(key);
    },

    async close(): Promise<void> {
      // Nothing to release: the store holds no connections or timers. Data stays, so a shared instance handed to
      // several consumers keeps working when one of them closes.
    },

    async health(): Promise<{ ok: boolean; detail?: string }> {
      return { ok: true, detail: `memory: ${reservations.size + records.size}/${maxKeys} keys` };
    },

    stats(): MemoryIdempotencyStoreStats {
      return { reservations: reservations.size, records: records.size, evicted };
    },

    clear(): void {
      reservations.clear();
      records.clear();
    },
  };
}
