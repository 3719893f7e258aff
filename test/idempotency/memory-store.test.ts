import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSwitchboardError } from '../../src/errors.js';
import { memoryIdempotencyStore } from '../../src/idempotency/memory-store.js';
import type { ReserveResult } from '../../src/idempotency/types.js';

function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('memoryIdempotencyStore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows the reserve / commit / release life cycle on its clock', async () => {
    const clock = manualClock();
    const store = memoryIdempotencyStore({ clock: clock.now });
    expect(await store.reserve('k', 100)).toBe('acquired');
    expect(await store.reserve('k', 100)).toBe('in-progress');
    clock.advance(99);
    expect(await store.reserve('k', 100)).toBe('in-progress');
    clock.advance(1);
    expect(await store.reserve('k', 100)).toBe('acquired');
    await store.commit('k', 50);
    expect(await store.reserve('k', 100)).toBe('duplicate');
    await store.release('k');
    expect(await store.reserve('k', 100)).toBe('duplicate');
    clock.advance(50);
    expect(await store.reserve('k', 100)).toBe('acquired');
  });

  it('works under vi.useFakeTimers() without a clock option', async () => {
    vi.useFakeTimers({ now: 0 });
    const store = memoryIdempotencyStore();
    expect(await store.reserve('k', 1000)).toBe('acquired');
    vi.advanceTimersByTime(999);
    expect(await store.reserve('k', 1000)).toBe('in-progress');
    vi.advanceTimersByTime(1);
    expect(await store.reserve('k', 1000)).toBe('acquired');
  });

  it('rounds fractional durations up to whole milliseconds', async () => {
    const clock = manualClock();
    const store = memoryIdempotencyStore({ clock: clock.now });
    expect(await store.reserve('k', 0.2)).toBe('acquired');
    expect(await store.reserve('k', 1)).toBe('in-progress');
    clock.advance(1);
    expect(await store.reserve('k', 1)).toBe('acquired');
  });

  it('evicts the oldest committed record when full and counts it', async () => {
    const clock = manualClock();
    const store = memoryIdempotencyStore({ maxKeys: 3, clock: clock.now });
    for (const key of ['a', 'b', 'c']) await store.commit(key, 10_000);
    expect(await store.reserve('d', 1000)).toBe('acquired');
    expect(store.stats()).toEqual({ reservations: 1, records: 2, evicted: 1 });
    // 'a' was evicted: its duplicate is now handled again (the documented trade-off); 'b' and 'c' are kept.
    expect(await store.reserve('b', 1000)).toBe('duplicate');
    expect(await store.reserve('c', 1000)).toBe('duplicate');
    expect(await store.reserve('a', 1000)).toBe('acquired');
  });

  it('drops expired records without counting them as evictions', async () => {
    const clock = manualClock();
    const store = memoryIdempotencyStore({ maxKeys: 2, clock: clock.now });
    await store.commit('a', 10);
    await store.commit('b', 10_000);
    clock.advance(10);
    await store.commit('c', 10_000);
    expect(store.stats().evicted).toBe(0);
    expect(await store.reserve('b', 1000)).toBe('duplicate');
  });

  it('never evicts an unexpired reservation: when full of them it rejects, retryable', async () => {
    const clock = manualClock();
    const store = memoryIdempotencyStore({ maxKeys: 2, clock: clock.now });
    expect(await store.reserve('a', 1000)).toBe('acquired');
    expect(await store.reserve('b', 1000)).toBe('acquired');
    const error = await store.reserve('c', 1000).catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'SWB_STORE_UNAVAILABLE')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect(String((error as Error).message)).not.toContain("'c'");
    // The holders keep their keys.
    expect(await store.reserve('a', 1000)).toBe('in-progress');
    expect(await store.reserve('b', 1000)).toBe('in-progress');
    // A commit of an unknown key cannot make room either.
    await expect(store.commit('z', 1000)).rejects.toMatchObject({ code: 'SWB_STORE_UNAVAILABLE' });
    // Once a lease ends there is room again.
    clock.advance(1000);
    expect(await store.reserve('c', 1000)).toBe('acquired');
  });

  it('commit of a held reservation never needs extra room', async () => {
    const store = memoryIdempotencyStore({ maxKeys: 1 });
    expect(await store.reserve('a', 1000)).toBe('acquired');
    await store.commit('a', 1000);
    expect(store.stats()).toEqual({ reservations: 0, records: 1, evicted: 0 });
  });

  it('sweeps expired entries as calls pass by, so memory does not hold dead keys', async () => {
    const clock = manualClock();
    const store = memoryIdempotencyStore({ clock: clock.now });
    for (let i = 0; i < 4; i++) {
      await store.reserve(`r${i}`, 10);
      await store.commit(`c${i}`, 10);
    }
    clock.advance(10);
    await store.reserve('fresh', 10);
    expect(store.stats()).toEqual({ reservations: 1, records: 0, evicted: 0 });
  });

  it('rejects a bad maxKeys and bad arguments with SWB_CONFIG_INVALID', async () => {
    expect(() => memoryIdempotencyStore({ maxKeys: 0 })).toThrow(/maxKeys/);
    expect(() => memoryIdempotencyStore({ maxKeys: 1.5 })).toThrow(/maxKeys/);
    const store = memoryIdempotencyStore();
    await expect(store.release('')).rejects.toMatchObject({ code: 'SWB_CONFIG_INVALID', retryable: false });
    await expect(store.commit('k', -5)).rejects.toMatchObject({ code: 'SWB_CONFIG_INVALID' });
  });

  it('reports health, clears and closes without losing a shared instance', async () => {
    const store = memoryIdempotencyStore({ maxKeys: 10 });
    await store.reserve('a', 1000);
    expect(await store.health()).toEqual({ ok: true, detail: 'memory: 1/10 keys' });
    await store.close();
    expect(await store.reserve('a', 1000)).toBe('in-progress');
    store.clear();
    expect(store.stats()).toEqual({ reservations: 0, records: 0, evicted: 0 });
  });

  it('agrees with a simple model over random operation sequences', async () => {
    type Op =
      | { kind: 'reserve'; key: number; lease: number }
      | { kind: 'commit'; key: number; ttl: number }
      | { kind: 'release'; key: number }
      | { kind: 'advance'; ms: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('reserve' as const),
        key: fc.nat(4),
        lease: fc.integer({ min: 1, max: 50 }),
      }),
      fc.record({
        kind: fc.constant('commit' as const),
        key: fc.nat(4),
        ttl: fc.integer({ min: 1, max: 50 }),
      }),
      fc.record({ kind: fc.constant('release' as const), key: fc.nat(4) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 80 }), async (ops) => {
        const clock = manualClock();
        // Large enough that the bound never interferes: the model has no eviction.
        const store = memoryIdempotencyStore({ maxKeys: 100, clock: clock.now });
        const model = new Map<number, { state: 'reserved' | 'done'; until: number }>();
        for (const o of ops) {
          const now = clock.now();
          if (o.kind === 'advance') {
            clock.advance(o.ms);
          } else if (o.kind === 'reserve') {
            const entry = model.get(o.key);
            let expected: ReserveResult;
            if (entry !== undefined && entry.until > now) {
              expected = entry.state === 'done' ? 'duplicate' : 'in-progress';
            } else {
              expected = 'acquired';
              model.set(o.key, { state: 'reserved', until: now + o.lease });
            }
            expect(await store.reserve(`k${o.key}`, o.lease)).toBe(expected);
          } else if (o.kind === 'commit') {
            model.set(o.key, { state: 'done', until: now + o.ttl });
            await store.commit(`k${o.key}`, o.ttl);
          } else {
            if (model.get(o.key)?.state === 'reserved') model.delete(o.key);
            await store.release(`k${o.key}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
