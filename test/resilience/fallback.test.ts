import { describe, expect, it, vi } from 'vitest';
import { SwitchboardError } from '../../src/errors.js';
import { compose } from '../../src/resilience/compose.js';
import { createResilienceEvents } from '../../src/resilience/events.js';
import { fallback } from '../../src/resilience/fallback.js';
import { retry } from '../../src/resilience/retry.js';

describe('fallback', () => {
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
