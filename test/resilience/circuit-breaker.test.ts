import { CircuitState, CountBreaker } from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSwitchboardError, SwitchboardError } from '../../src/errors.js';
import { circuitBreaker } from '../../src/resilience/circuit-breaker.js';
import { compose } from '../../src/resilience/compose.js';
import { createResilienceEvents } from '../../src/resilience/events.js';
import { timeout } from '../../src/resilience/timeout.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const boom = (): never => {
  throw new Error('downstream failed');
};
const fail = async (
  policy: { execute: (fn: () => unknown) => Promise<unknown> },
  times: number,
): Promise<void> => {
  for (let i = 0; i < times; i++) await policy.execute(boom).catch(() => undefined);
};

describe('circuitBreaker', () => {
  it('opens after the configured consecutive failures and rejects with retryAfterMs', async () => {
    const events = createResilienceEvents();
    const log: string[] = [];
    events.on('statechange', ({ from, to }) => log.push(`${from}->${to}`));
    const breaker = circuitBreaker({
      consecutiveFailures: 5,
      halfOpenAfter: 30_000,
      events,
      name: 'payments',
    });
    await fail(breaker, 4);
    expect(breaker.state).toBe(CircuitState.Closed);
    await breaker.execute(() => 'ok'); // a success resets the run
    await fail(breaker, 4);
    expect(breaker.state).toBe(CircuitState.Closed);
    await fail(breaker, 1);
    expect(breaker.stateName).toBe('open');
    expect(log).toEqual(['closed->open']);
    await vi.advanceTimersByTimeAsync(10_000);
    const calls = vi.fn();
    const error = (await breaker.execute(calls).catch((e: unknown) => e)) as SwitchboardError;
    expect(calls).not.toHaveBeenCalled();
    expect(error.code).toBe('SWB_CIRCUIT_OPEN');
    expect(error.retryable).toBe(true);
    expect(error.details).toMatchObject({ policy: 'payments', retryAfterMs: 20_000 });
    expect((breaker.lastFailure as Error).message).toBe('downstream failed');
  });

  it('seed 004: 3 test calls in half-open, closes after 2 successes', async () => {
    const breaker = circuitBreaker({
      consecutiveFailures: 5,
      halfOpenAfter: 30_000,
      halfOpenMaxRequests: 3,
      successThreshold: 2,
    });
    const onHalfOpen = vi.fn();
    const onReset = vi.fn();
    breaker.onHalfOpen(onHalfOpen);
    breaker.onReset(onReset);
    await fail(breaker, 5);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(breaker.state).toBe(CircuitState.HalfOpen);
    expect(onHalfOpen).toHaveBeenCalledTimes(1);
    await breaker.execute(() => 1);
    expect(breaker.state).toBe(CircuitState.HalfOpen);
    await breaker.execute(() => 2);
    expect(breaker.state).toBe(CircuitState.Closed);
    expect(onReset).toHaveBeenCalledTimes(1);
  });

  it('one failed test call re-opens the breaker', async () => {
    const breaker = circuitBreaker({ consecutiveFailures: 1, halfOpenAfter: 1_000, halfOpenMaxRequests: 3 });
    await fail(breaker, 1);
    await vi.advanceTimersByTimeAsync(1_000);
    await breaker.execute(() => 'ok');
    await fail(breaker, 1);
    expect(breaker.state).toBe(CircuitState.Open);
  });

  it('an error that does not count as failure is a successful test call', async () => {
    const breaker = circuitBreaker({
      consecutiveFailures: 1,
      halfOpenAfter: 1_000,
      isFailure: (e) => (e as Error).message !== 'not found',
    });
    await fail(breaker, 1);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(
      breaker.execute(() => {
        throw new Error('not found');
      }),
    ).rejects.toThrow('not found');
    expect(breaker.state).toBe(CircuitState.Closed);
    // and such errors never trip it while closed
    for (let i = 0; i < 5; i++) {
      await breaker
        .execute(() => {
          throw new Error('not found');
        })
        .catch(() => undefined);
    }
    expect(breaker.state).toBe(CircuitState.Closed);
  });

  it('caller aborts do not count against the downstream by default', async () => {
    const breaker = circuitBreaker({ consecutiveFailures: 1 });
    await breaker
      .execute(() => {
        throw new SwitchboardError('SWB_ABORTED', 'caller left');
      })
      .catch(() => undefined);
    expect(breaker.state).toBe(CircuitState.Closed);
  });

  it('concurrency: 100 callers while half-open, exactly the configured test calls reach the downstream', async () => {
    const breaker = circuitBreaker({ consecutiveFailures: 1, halfOpenAfter: 1_000, halfOpenMaxRequests: 3 });
    await fail(breaker, 1);
    await vi.advanceTimersByTimeAsync(1_000);
    let reached = 0;
    const release: (() => void)[] = [];
    const downstream = (): Promise<string> => {
      reached++;
      return new Promise((resolve) => release.push(() => resolve('ok')));
    };
    const results = Array.from({ length: 100 }, () => breaker.execute(downstream).catch((e: unknown) => e));
    await vi.advanceTimersByTimeAsync(0);
    expect(reached).toBe(3);
    const settled = await Promise.race([
      Promise.all(results.slice(3)),
      new Promise((r) => setTimeout(r, 1, 'hung')),
    ]);
    // the 97 others were rejected at once, before any test call finished
    expect(Array.isArray(settled)).toBe(true);
    for (const e of settled as unknown[])
      expect(isSwitchboardError(e, 'SWB_CIRCUIT_HALF_OPEN_REJECTED')).toBe(true);
    for (const r of release) r();
    expect(await Promise.all(results.slice(0, 3))).toEqual(['ok', 'ok', 'ok']);
    expect(breaker.state).toBe(CircuitState.Closed);
  });

  it('a hung half-open probe under an outer timeout: waiters fail within it and the breaker re-opens', async () => {
    const breaker = circuitBreaker({ consecutiveFailures: 1, halfOpenAfter: 1_000, halfOpenMaxRequests: 1 });
    const policy = compose(timeout({ duration: 500 }), breaker);
    await fail(breaker, 1);
    await vi.advanceTimersByTimeAsync(1_000);
    const probe = policy.execute(() => new Promise(() => {})).catch((e: unknown) => e); // ignores its signal
    const waiters = Array.from({ length: 10 }, () => policy.execute(() => 'never').catch((e: unknown) => e));
    const start = Date.now();
    const waiterErrors = await Promise.all(waiters);
    expect(Date.now() - start).toBeLessThanOrEqual(500);
    for (const e of waiterErrors) expect(isSwitchboardError(e, 'SWB_CIRCUIT_HALF_OPEN_REJECTED')).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(isSwitchboardError(await probe, 'SWB_TIMEOUT')).toBe(true);
    expect(breaker.state).toBe(CircuitState.Open);
    expect(Date.now() - start).toBe(500);
  });

  it('isolate() holds it open until every handle is released; reset() closes at once', async () => {
    const events = createResilienceEvents();
    const breaks: boolean[] = [];
    events.on('break', ({ isolated }) => breaks.push(isolated));
    const breaker = circuitBreaker({ events });
    const a = breaker.isolate();
    const b = breaker.isolate();
    expect(breaker.state).toBe(CircuitState.Isolated);
    const error = (await breaker.execute(() => 1).catch((e: unknown) => e)) as SwitchboardError;
    expect(error.code).toBe('SWB_CIRCUIT_ISOLATED');
    a.dispose();
    a.dispose();
    expect(breaker.state).toBe(CircuitState.Isolated);
    b.release();
    expect(breaker.state).toBe(CircuitState.Closed);
    expect(breaks).toEqual([true]);

    breaker.isolate();
    breaker.reset();
    expect(breaker.state).toBe(CircuitState.Closed);
    await expect(breaker.execute(() => 2)).resolves.toBe(2);
    breaker.reset(); // closed already: counters only
    expect(breaker.state).toBe(CircuitState.Closed);
  });

  it('emits reject events with the state and code', async () => {
    const events = createResilienceEvents();
    const rejects: unknown[] = [];
    events.on('reject', (e) => rejects.push(e));
    const breaker = circuitBreaker({ consecutiveFailures: 1, events, name: 'db' });
    const onReject = vi.fn();
    breaker.onReject(onReject);
    await fail(breaker, 1);
    await breaker.execute(() => 1).catch(() => undefined);
    expect(rejects).toEqual([{ policy: 'db', state: 'open', code: 'SWB_CIRCUIT_OPEN' }]);
    expect(onReject).toHaveBeenCalledWith({ state: CircuitState.Open, code: 'SWB_CIRCUIT_OPEN' });
  });

  it('a late result from an earlier state does not move the current one', async () => {
    const breaker = circuitBreaker({ consecutiveFailures: 1, halfOpenAfter: 1_000 });
    let finish: ((v: string) => void) | undefined;
    const slow = breaker.execute(() => new Promise<string>((r) => (finish = r)));
    await fail(breaker, 1);
    expect(breaker.state).toBe(CircuitState.Open);
    finish?.('late');
    await expect(slow).resolves.toBe('late');
    expect(breaker.state).toBe(CircuitState.Open);
  });

  it('opens on the failure rate over a sliding window once the minimum throughput is seen', async () => {
    const breaker = circuitBreaker({
      failureRate: { threshold: 0.5, window: 10_000, minimumThroughput: 10 },
    });
    for (let i = 0; i < 4; i++) await breaker.execute(() => 1);
    await fail(breaker, 4); // 4 of 8: below minimum throughput
    expect(breaker.state).toBe(CircuitState.Closed);
    await breaker.execute(() => 1);
    await fail(breaker, 1); // 5 of 10 = 0.5
    expect(breaker.state).toBe(CircuitState.Open);
  });

  it('the failure-rate window forgets old calls', async () => {
    const breaker = circuitBreaker({ failureRate: { threshold: 0.5, window: 10_000, minimumThroughput: 4 } });
    await fail(breaker, 3);
    await vi.advanceTimersByTimeAsync(11_000);
    await breaker.execute(() => 1);
    await breaker.execute(() => 1);
    await fail(breaker, 1); // window: 2 ok, 1 failed
    expect(breaker.state).toBe(CircuitState.Closed);
    await fail(breaker, 1); // 2 of 4
    expect(breaker.state).toBe(CircuitState.Open);
  });

  it('hosts cockatiel IBreaker implementations', async () => {
    const breaker = circuitBreaker({
      breaker: new CountBreaker({ threshold: 0.5, size: 4, minimumNumberOfCalls: 3 }),
    });
    await fail(breaker, 3);
    expect(breaker.state).toBe(CircuitState.Open);
  });

  it('validates its options', () => {
    expect(() => circuitBreaker({ halfOpenMaxRequests: 2, successThreshold: 3 })).toThrow(/successThreshold/);
    expect(() => circuitBreaker({ consecutiveFailures: 0 })).toThrow(/consecutiveFailures/);
    expect(() => circuitBreaker({ halfOpenAfter: -1 })).toThrow(/halfOpenAfter/);
    expect(() => circuitBreaker({ failureRate: { threshold: 1.5 } })).toThrow(/threshold/);
  });
});
