import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { SwitchboardError } from '../../src/errors.js';
import { compose } from '../../src/resilience/compose.js';
import { createResilienceEvents } from '../../src/resilience/events.js';
import { fallback } from '../../src/resilience/fallback.js';
import { retry } from '../../src/resilience/retry.js';
import { timeout } from '../../src/resilience/timeout.js';

describe('fallback', () => {
  it('types the result as the function result or the fallback value, alone and composed', async () => {
    const policy = fallback(0);
    const failing = (): string => {
      throw new Error('down');
    };
    expectTypeOf(policy.execute(failing)).resolves.toEqualTypeOf<string | number>();
    await expect(policy.execute(failing)).resolves.toBe(0);
    const composed = compose(fallback('none' as const), retry({ maxAttempts: 2, initialDelay: 1 }));
    expectTypeOf(composed.execute(() => 1)).resolves.toEqualTypeOf<number | 'none'>();
    await expect(composed.execute(() => Promise.reject(new Error('down')))).resolves.toBe('none');
    // Without a fallback in the chain, nothing but the function's own result.
    expectTypeOf(compose(retry(), timeout(5_000)).execute(() => 1)).resolves.toEqualTypeOf<number>();
  });

  it('returns a value on failure and passes success through', async () => {
    const policy = fallback('default');
    await expect(policy.execute(() => 'live')).resolves.toBe('live');
    await expect(
      policy.execute(() => {
        throw new Error('down');
      }),
    ).resolves.toBe('default');
  });

  it('calls a function with the error (a cached response) and reports the event', async () => {
    const events = createResilienceEvents();
    const seen = vi.fn();
    events.on('fallback', seen);
    const error = new Error('down');
    const policy = fallback(async (e: unknown) => `stale because ${(e as Error).message}`, {
      events,
      name: 'prices',
    });
    const onFallback = vi.fn();
    policy.onFallback(onFallback);
    await expect(
      policy.execute(() => {
        throw error;
      }),
    ).resolves.toBe('stale because down');
    expect(seen).toHaveBeenCalledWith({ policy: 'prices', error });
    expect(onFallback).toHaveBeenCalledWith(error);
  });

  it('only falls back for the errors it is told to', async () => {
    const policy = fallback(0, { shouldFallback: (e) => e instanceof SwitchboardError });
    await expect(
      policy.execute(() => {
        throw new Error('bug');
      }),
    ).rejects.toThrow('bug');
    await expect(
      policy.execute(() => {
        throw new SwitchboardError('SWB_TIMEOUT', 'slow', { retryable: true });
      }),
    ).resolves.toBe(0);
  });

  it('outermost, it sees the final failure after retries', async () => {
    let calls = 0;
    const policy = compose(fallback('cached'), retry({ maxAttempts: 3, initialDelay: 0 }));
    await expect(
      policy.execute(() => {
        calls++;
        throw new SwitchboardError('SWB_TIMEOUT', 'slow', { retryable: true });
      }),
    ).resolves.toBe('cached');
    expect(calls).toBe(3);
  });
});
