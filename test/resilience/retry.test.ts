import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSwitchboardError, SwitchboardError } from '../../src/errors.js';
import { createResilienceEvents } from '../../src/resilience/events.js';
import { retry } from '../../src/resilience/retry.js';

const transient = (): SwitchboardError => new SwitchboardError('SWB_TIMEOUT', 'slow', { retryable: true });
const permanent = (): SwitchboardError =>
  new SwitchboardError('SWB_DECODE_FAILED', 'bad', { retryable: false });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry', () => {
  it('retries retryable errors with the configured delays and passes attempt numbers', async () => {
    const events = createResilienceEvents();
    const seen: { attempt: number; delay: number }[] = [];
    events.on('retry', ({ attempt, delay }) => seen.push({ attempt, delay }));
    const policy = retry({ maxAttempts: 4, initialDelay: 1_000, maxDelay: 10_000, jitter: 'none', events });
    const attempts: number[] = [];
    const result = policy.execute(({ attempt }) => {
      attempts.push(attempt);
      if (attempt < 4) throw transient();
      return 'ok';
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(attempts).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(6_000);
    await expect(result).resolves.toBe('ok');
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual([
      { attempt: 1, delay: 1_000 },
      { attempt: 2, delay: 2_000 },
      { attempt: 3, delay: 4_000 },
    ]);
  });

  it('does not retry errors that are not retryable, and reports why it gave up', async () => {
    const policy = retry({ maxAttempts: 5 });
    const giveUps: unknown[] = [];
    policy.onGiveUp((e) => giveUps.push(e.reason));
    let calls = 0;
    const error = permanent();
    await expect(
      policy.execute(() => {
        calls++;
        throw error;
      }),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(giveUps).toEqual(['not-retryable']);
  });

  it('retries transient network errors by default and honours a custom predicate', async () => {
    const net = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    const policy = retry({ maxAttempts: 2, initialDelay: 10, jitter: 'none' });
    let calls = 0;
    const p = policy.execute(() => {
      if (++calls === 1) throw net;
      return calls;
    });
    await vi.advanceTimersByTimeAsync(10);
    await expect(p).resolves.toBe(2);

    const custom = retry({
      maxAttempts: 3,
      initialDelay: 0,
      shouldRetry: (e) => (e as Error).message === 'again',
    });
    let n = 0;
    await expect(
      custom.execute(() => {
        n++;
        throw new Error(n < 2 ? 'again' : 'stop');
      }),
    ).rejects.toThrow('stop');
    expect(n).toBe(2);
  });

  it('rethrows the last error when attempts run out, or wraps it when asked', async () => {
    const last = transient();
    const policy = retry({ maxAttempts: 2, initialDelay: 5, jitter: 'none' });
    const onGiveUp = vi.fn();
    policy.onGiveUp(onGiveUp);
    const p = policy.execute(() => {
      throw last;
    });
    const assertion = expect(p).rejects.toBe(last);
    await vi.advanceTimersByTimeAsync(5);
    await assertion;
    expect(onGiveUp).toHaveBeenCalledWith({ attempts: 2, error: last, reason: 'exhausted' });

    const wrapped = retry({ maxAttempts: 2, initialDelay: 5, jitter: 'none', wrapExhausted: true });
    const q = wrapped.execute(() => {
      throw last;
    });
    const caught = q.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5);
    const error = await caught;
    expect(isSwitchboardError(error, 'SWB_RETRIES_EXHAUSTED')).toBe(true);
    expect((error as SwitchboardError).cause).toBe(last);
    expect((error as SwitchboardError).retryable).toBe(true);
    expect((error as SwitchboardError).details).toEqual({ policy: 'retry', attempts: 2 });
  });

  it('stops waiting at once when the caller aborts, leaving no timer behind', async () => {
    const policy = retry({ maxAttempts: 5, initialDelay: 60_000, jitter: 'none' });
    const ctrl = new AbortController();
    let calls = 0;
    const p = policy.execute(() => {
      calls++;
      throw transient();
    }, ctrl.signal);
    const caught = p.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1);
    expect(vi.getTimerCount()).toBe(1);
    ctrl.abort();
    const error = await caught;
    expect(isSwitchboardError(error, 'SWB_ABORTED')).toBe(true);
    expect(calls).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not retry once the signal is already aborted', async () => {
    const policy = retry({ maxAttempts: 5, initialDelay: 0 });
    const ctrl = new AbortController();
    let calls = 0;
    const error = transient();
    await expect(
      policy.execute(() => {
        calls++;
        ctrl.abort();
        throw error;
      }, ctrl.signal),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('waits at least retryAfterMs of the error, capped at maxDelay', async () => {
    const policy = retry({ maxAttempts: 3, initialDelay: 10, maxDelay: 500, jitter: 'none' });
    const delays: number[] = [];
    policy.onRetry(({ delay }) => delays.push(delay));
    let n = 0;
    const p = policy.execute(() => {
      n++;
      if (n === 1)
        throw new SwitchboardError('SWB_CIRCUIT_OPEN', 'open', {
          retryable: true,
          details: { retryAfterMs: 300 },
        });
      if (n === 2)
        throw new SwitchboardError('SWB_RATE_LIMITED', 'slow down', {
          retryable: true,
          details: { retryAfterMs: 9_000 },
        });
      return n;
    });
    await vi.advanceTimersByTimeAsync(800);
    await expect(p).resolves.toBe(3);
    expect(delays).toEqual([300, 500]);
  });

  it('validates maxAttempts', () => {
    expect(() => retry({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retry({ maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    expect(retry({ maxAttempts: Number.POSITIVE_INFINITY }).maxAttempts).toBe(Number.POSITIVE_INFINITY);
  });

  it('property: attempts never exceed maxAttempts, whatever the failure pattern', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.constantFrom('transient', 'permanent', 'ok'), { minLength: 1, maxLength: 12 }),
        async (maxAttempts, outcomes) => {
          const policy = retry({ maxAttempts, initialDelay: 1, maxDelay: 50 });
          let calls = 0;
          const p = policy
            .execute(() => {
              const outcome = outcomes[calls++ % outcomes.length];
              if (outcome === 'transient') throw transient();
              if (outcome === 'permanent') throw permanent();
              return 'ok';
            })
            .catch(() => 'failed');
          await vi.runAllTimersAsync();
          await p;
          expect(calls).toBeGreaterThanOrEqual(1);
          expect(calls).toBeLessThanOrEqual(maxAttempts);
        },
      ),
    );
  });
});
