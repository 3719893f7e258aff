import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSwitchboardError, type SwitchboardError } from '../../src/errors.js';
import { createResilienceEvents } from '../../src/resilience/events.js';
import { rateLimiter } from '../../src/resilience/rate-limiter.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('rateLimiter', () => {
  it('seed 002: 100 a minute per key, with a retry-after when empty', async () => {
    const perIp = rateLimiter({ capacity: 100, refill: 100, interval: 60_000 });
    for (let i = 0; i < 100; i++) expect(perIp.tryAcquire('10.0.0.1').allowed).toBe(true);
    const denied = perIp.tryAcquire('10.0.0.1');
    expect(denied).toEqual({ allowed: false, retryAfterMs: 600, remaining: 0 });
    expect(perIp.tryAcquire('10.0.0.2').allowed).toBe(true); // keys are independent
    vi.advanceTimersByTime(600);
    expect(perIp.tryAcquire('10.0.0.1')).toMatchObject({ allowed: true, remaining: 0 });
    vi.advanceTimersByTime(60_000);
    expect(perIp.tryAcquire('10.0.0.1').remaining).toBe(99);
  });

  it('acquire() waits for a token, in order, and gives the token back when aborted', async () => {
    const limiter = rateLimiter({ capacity: 1, refill: 1, interval: 100 });
    await limiter.acquire('k');
    const order: number[] = [];
    const first = limiter.acquire('k').then(() => order.push(1));
    const ctrl = new AbortController();
    const second = limiter.acquire('k', ctrl.signal).catch((e: unknown) => e);
    const third = limiter.acquire('k').then(() => order.push(3));
    ctrl.abort();
    expect(isSwitchboardError(await second, 'SWB_ABORTED')).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual([1]);
    await vi.advanceTimersByTimeAsync(300);
    await Promise.all([first, third]);
    expect(order).toEqual([1, 3]);
    const aborted = new AbortController();
    aborted.abort();
    await expect(limiter.acquire('k', aborted.signal)).rejects.toMatchObject({ code: 'SWB_ABORTED' });
  });

  it('acquire() rejects when the wait would exceed maxWait', async () => {
    const limiter = rateLimiter({ capacity: 1, refill: 1, interval: 1_000, maxWait: 500 });
    await limiter.acquire();
    const error = (await limiter.acquire().catch((e: unknown) => e)) as SwitchboardError;
    expect(error.code).toBe('SWB_RATE_LIMITED');
    expect(error.details).toMatchObject({ retryAfterMs: 1_000 });
  });

  it('as a policy rejects with SWB_RATE_LIMITED carrying retryAfterMs, per key of the call', async () => {
    const events = createResilienceEvents();
    const seen = vi.fn();
    events.on('ratelimit.reject', seen);
    let user = 'ann';
    const limiter = rateLimiter({
      capacity: 2,
      refill: 2,
      interval: 1_000,
      events,
      name: 'per-user',
      key: () => user,
    });
    await limiter.execute(() => 1);
    await limiter.execute(() => 2);
    const error = (await limiter.execute(() => 3).catch((e: unknown) => e)) as SwitchboardError;
    expect(error.code).toBe('SWB_RATE_LIMITED');
    expect(error.retryable).toBe(true);
    expect(error.details).toEqual({ policy: 'per-user', retryAfterMs: 500 });
    expect(seen).toHaveBeenCalledWith({ policy: 'per-user', retryAfterMs: 500 });
    user = 'bob';
    await expect(limiter.execute(() => 4)).resolves.toBe(4);
  });

  it('as a policy in wait mode waits for its token', async () => {
    const limiter = rateLimiter({ capacity: 1, refill: 1, interval: 1_000, mode: 'wait' });
    await limiter.execute(() => 1);
    const p = limiter.execute(() => 2);
    let done = false;
    void p.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(p).resolves.toBe(2);
    const ctrl = new AbortController();
    const q = limiter.execute(() => 3, ctrl.signal).catch((e: unknown) => e);
    ctrl.abort();
    expect(isSwitchboardError(await q, 'SWB_ABORTED')).toBe(true);
  });

  it('keeps at most maxKeys buckets, dropping full ones first', () => {
    const limiter = rateLimiter({ capacity: 5, maxKeys: 3 });
    limiter.tryAcquire('a');
    limiter.tryAcquire('b');
    limiter.tryAcquire('c');
    vi.advanceTimersByTime(10_000); // all full again
    limiter.tryAcquire('d');
    expect(limiter.size).toBe(1);
    limiter.tryAcquire('e');
    limiter.tryAcquire('f');
    limiter.tryAcquire('g'); // none full: the oldest goes
    expect(limiter.size).toBe(3);
  });

  it('validates its options', () => {
    expect(() => rateLimiter({ capacity: 0 })).toThrow(/capacity/);
    expect(() => rateLimiter({ capacity: 1, interval: 0 })).toThrow(/interval/);
  });

  it('property: never admits more than capacity + rate x elapsed time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 10, max: 1_000 }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 300 }),
            wait: fc.boolean(),
            abort: fc.boolean(),
          }),
          { maxLength: 80 },
        ),
        async (capacity, refill, interval, arrivals) => {
          const limiter = rateLimiter({ capacity, refill, interval });
          const start = Date.now();
          const admissions: number[] = [];
          const pending: Promise<unknown>[] = [];
          for (const a of arrivals) {
            await vi.advanceTimersByTimeAsync(a.gap);
            if (a.wait) {
              const ctrl = new AbortController();
              pending.push(
                limiter
                  .acquire('k', ctrl.signal)
                  .then(() => admissions.push(Date.now()))
                  .catch(() => undefined),
              );
              if (a.abort) ctrl.abort();
            } else if (limiter.tryAcquire('k').allowed) {
              admissions.push(Date.now());
            }
          }
          await vi.runAllTimersAsync();
          await Promise.all(pending);
          const rate = refill / interval;
          admissions.sort((x, y) => x - y);
          admissions.forEach((t, i) => {
            expect(i + 1).toBeLessThanOrEqual(capacity + rate * (t - start) + 1e-9);
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
