import {
  ConsecutiveBreaker,
  circuitBreaker as cockatielBreaker,
  retry as cockatielRetry,
  handleAll,
  wrap,
} from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSwitchboardError, SwitchboardError } from '../../src/errors.js';
import { bulkhead } from '../../src/resilience/bulkhead.js';
import { circuitBreaker } from '../../src/resilience/circuit-breaker.js';
import { compose } from '../../src/resilience/compose.js';
import { retry } from '../../src/resilience/retry.js';
import { timeout } from '../../src/resilience/timeout.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const slow = (): SwitchboardError => new SwitchboardError('SWB_TIMEOUT', 'slow', { retryable: true });

describe('compose', () => {
  it('runs outermost first; every attempt gets its own timeout', async () => {
    const breaker = circuitBreaker({ consecutiveFailures: 10 });
    const policy = compose(
      bulkhead({ limit: 1 }),
      retry({ maxAttempts: 3, initialDelay: 10, jitter: 'none' }),
      breaker,
      timeout({ duration: 100 }),
    );
    const signals: AbortSignal[] = [];
    const attempts: number[] = [];
    const p = policy.execute(({ signal, attempt }) => {
      signals.push(signal);
      attempts.push(attempt);
      if (attempt < 3)
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      return 'third time';
    });
    await vi.advanceTimersByTimeAsync(100 + 10 + 100 + 20);
    await expect(p).resolves.toBe('third time');
    expect(attempts).toEqual([1, 2, 3]);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[1]!.aborted).toBe(true);
    expect(signals[2]!.aborted).toBe(false);
    expect(signals[0]).not.toBe(signals[1]);
  });

  it('an open breaker fails the remaining attempts fast', async () => {
    const breaker = circuitBreaker({ consecutiveFailures: 1, halfOpenAfter: 60_000 });
    const policy = compose(retry({ maxAttempts: 3, initialDelay: 1, maxDelay: 5, jitter: 'none' }), breaker);
    let calls = 0;
    const p = policy
      .execute(() => {
        calls++;
        throw slow();
      })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(20);
    expect(isSwitchboardError(await p, 'SWB_CIRCUIT_OPEN')).toBe(true);
    expect(calls).toBe(1);
  });

  it('hosts cockatiel policies, and cockatiel wrap() hosts ours', async () => {
    vi.useRealTimers(); // cockatiel's retry waits on a real zero-delay timer
    const theirs = cockatielRetry(handleAll, { maxAttempts: 2 });
    const mixed = compose(theirs, timeout({ duration: 1_000 }));
    const attempts: number[] = [];
    await expect(
      mixed.execute(({ attempt }) => {
        attempts.push(attempt);
        if (attempts.length < 2) throw new Error('again');
        return 'ok';
      }),
    ).resolves.toBe('ok');
    expect(attempts).toEqual([1, 2]); // cockatiel's 0-based attempt, carried inward 1-based

    const inner = compose(
      cockatielBreaker(handleAll, { halfOpenAfter: 10, breaker: new ConsecutiveBreaker(2) }),
    );
    await expect(inner.execute(({ signal }) => signal.aborted)).resolves.toBe(false);

    const outer = wrap(retry({ maxAttempts: 2, initialDelay: 0 }), circuitBreaker());
    let n = 0;
    await expect(
      outer.execute(() => {
        if (++n === 1) throw slow();
        return n;
      }),
    ).resolves.toBe(2);
  });

  it('flattens nested compositions and composes nothing into a pass-through', async () => {
    const a = compose(retry({ maxAttempts: 2, initialDelay: 0 }), timeout({ duration: 50 }));
    const b = compose(bulkhead({ limit: 1 }), a);
    expect(b.layers).toHaveLength(3);
    expect(b.wrapped).toHaveLength(2);
    await expect(b.execute(() => 'x')).resolves.toBe('x');
    await expect(compose().execute(() => 'bare')).resolves.toBe('bare');
    await expect(
      compose().execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
  });

  it('reports onSuccess and onFailure with durations', async () => {
    const policy = compose(retry({ maxAttempts: 1 }), timeout({ duration: 50 }));
    const ok = vi.fn();
    const ko = vi.fn();
    policy.onSuccess(ok);
    policy.onFailure(ko);
    await policy.execute(() => 1);
    await policy.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(ok).toHaveBeenCalledWith({ duration: expect.any(Number) });
    expect(ko).toHaveBeenCalledWith(
      expect.objectContaining({ handled: true, reason: { error: expect.any(Error) } }),
    );

    const single = retry({ maxAttempts: 1 });
    single.onSuccess(ok);
    await single.execute(() => 2);
    expect(ok).toHaveBeenCalledTimes(2);
  });

  it('a composed policy used as a layer of another chain continues it', async () => {
    const inner = compose(retry({ maxAttempts: 2, initialDelay: 0 }), timeout({ duration: 100 }));
    const attempts: number[] = [];
    const result = await inner.run(
      // a root scope from a one-layer policy, to exercise the layer protocol directly
      (await import('../../src/resilience/scope.js')).rootScope(
        (ctx) => {
          attempts.push(ctx.attempt);
          if (attempts.length === 1) throw slow();
          return 'continued';
        },
        [],
        undefined,
      ),
      0,
    );
    expect(result).toBe('continued');
    expect(attempts).toEqual([1, 2]);
  });
});
