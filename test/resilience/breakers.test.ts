import { CircuitState } from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { expressionBreaker } from '../../src/resilience/expression-breaker.js';
import { failureRateBreaker } from '../../src/resilience/failure-rate-breaker.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('FailureRateBreaker', () => {
  it('clears its window when a half-open breaker closes, and re-opens on a half-open failure', () => {
    const b = failureRateBreaker({ threshold: 0.5, window: 1_000, minimumThroughput: 2, buckets: 4 });
    expect(b.failure(CircuitState.Closed)).toBe(false);
    b.success(CircuitState.HalfOpen); // closing: forget the failure
    expect(b.failure(CircuitState.Closed)).toBe(false);
    expect(b.failure(CircuitState.Closed)).toBe(true);
    expect(b.failure(CircuitState.HalfOpen)).toBe(true);
  });

  it('round-trips its state, ignoring state of another shape', () => {
    const a = failureRateBreaker({ threshold: 0.5, window: 1_000, minimumThroughput: 3, buckets: 4 });
    a.success(CircuitState.Closed);
    a.failure(CircuitState.Closed);
    const b = failureRateBreaker({ threshold: 0.5, window: 1_000, minimumThroughput: 3, buckets: 4 });
    b.state = a.state;
    expect(b.failure(CircuitState.Closed)).toBe(true); // 2 of 3 carried over
    const c = failureRateBreaker({ threshold: 0.5, window: 1_000, minimumThroughput: 3, buckets: 4 });
    c.state = { successes: [1] };
    c.state = undefined;
    expect(c.failure(CircuitState.Closed)).toBe(false);
  });

  it('slides bucket by bucket', () => {
    const b = failureRateBreaker({ threshold: 0.5, window: 1_000, minimumThroughput: 2, buckets: 4 });
    b.failure(CircuitState.Closed);
    vi.advanceTimersByTime(500); // half the window: the failure is still in it
    expect(b.failure(CircuitState.Closed)).toBe(true);
    vi.advanceTimersByTime(750); // the first failure has slid out, the second not yet
    expect(b.failure(CircuitState.Closed)).toBe(true);
    vi.advanceTimersByTime(5_000);
    expect(b.failure(CircuitState.Closed)).toBe(false);
  });
});

describe('ExpressionBreaker', () => {
  it('counts like gobreaker and exposes its counters as state', () => {
    const b = expressionBreaker({ trip: 'consecutiveFailures >= 2 && totalSuccesses >= 1' });
    b.success(CircuitState.Closed);
    expect(b.failure(CircuitState.Closed)).toBe(false);
    expect(b.state).toEqual({
      requests: 2,
      totalSuccesses: 1,
      totalFailures: 1,
      consecutiveSuccesses: 0,
      consecutiveFailures: 1,
    });
    expect(b.failure(CircuitState.Closed)).toBe(true);
    const copy = expressionBreaker({ trip: (c) => c.totalFailures > 1 });
    copy.state = b.state;
    expect(copy.failure(CircuitState.Closed)).toBe(true);
    copy.state = null;
    copy.success(CircuitState.HalfOpen);
    expect(copy.state).toMatchObject({ requests: 0 });
    expect(copy.failure(CircuitState.HalfOpen)).toBe(true);
  });
});
