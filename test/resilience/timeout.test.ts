import { retry as cockatielRetry, handleAll, wrap } from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSwitchboardError, type SwitchboardError } from '../../src/errors.js';
import { compose } from '../../src/resilience/compose.js';
import { createDeadline } from '../../src/resilience/deadline.js';
import { deadlineQueue } from '../../src/resilience/deadline-queue.js';
import { createResilienceEvents } from '../../src/resilience/events.js';
import { timeout } from '../../src/resilience/timeout.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  expect(deadlineQueue.pending).toBe(0);
  vi.useRealTimers();
});

/** A callee that settles only when its signal aborts. */
const honoursSignal = ({ signal }: { signal: AbortSignal }): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));

describe('timeout', () => {
  it('cooperative: aborts the signal at the deadline and rejects with a retryable SWB_TIMEOUT', async () => {
    const events = createResilienceEvents();
    const fired = vi.fn();
    events.on('timeout', fired);
    const policy = timeout({ duration: 100, events, name: 'kafka-publish' });
    const p = policy.execute(honoursSignal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(99);
    expect(fired).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    const error = (await p) as SwitchboardError;
    expect(isSwitchboardError(error, 'SWB_TIMEOUT')).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.details).toEqual({ policy: 'kafka-publish', timeoutMs: 100 });
    expect((error.cause as Error).message).toBe('stopped');
    expect(fired).toHaveBeenCalledWith({ policy: 'kafka-publish', timeoutMs: 100 });
  });

  it('cooperative: keeps a value the callee still returns after the deadline', async () => {
    const policy = timeout(50);
    const p = policy.execute(() => new Promise((resolve) => setTimeout(() => resolve('late'), 80)));
    await vi.advanceTimersByTimeAsync(80);
    await expect(p).resolves.toBe('late');
  });

  it('aggressive: rejects at the deadline even when the callee ignores the signal', async () => {
    const policy = timeout({ duration: 100, strategy: 'aggressive' });
    let signal: AbortSignal | undefined;
    const p = policy
      .execute((ctx) => {
        signal = ctx.signal;
        return new Promise(() => {});
      })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(isSwitchboardError(await p, 'SWB_TIMEOUT')).toBe(true);
    expect(signal?.aborted).toBe(true);
  });

  it('aggressive: passes results and errors through before the deadline', async () => {
    const policy = timeout({ duration: 100, strategy: 'aggressive' });
    await expect(policy.execute(() => 7)).resolves.toBe(7);
    await expect(
      policy.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(policy.execute(async () => Promise.reject(new Error('async')))).rejects.toThrow('async');
  });

  it('aggressive: an outer signal rejects at once', async () => {
    const policy = timeout({ duration: 1_000, strategy: 'aggressive' });
    const ctrl = new AbortController();
    const p = policy.execute(() => new Promise(() => {}), ctrl.signal).catch((e: unknown) => e);
    ctrl.abort('user left');
    const error = (await p) as SwitchboardError;
    expect(isSwitchboardError(error, 'SWB_ABORTED')).toBe(true);
    expect(error.cause).toBe('user left');
    const already = new AbortController();
    already.abort();
    await expect(policy.execute(() => 1, already.signal)).rejects.toMatchObject({ code: 'SWB_ABORTED' });
  });

  it('creates no abort controller and no timer per call when the callee ignores the signal', async () => {
    const policy = timeout(1_000);
    const spy = vi.spyOn(globalThis, 'AbortController');
    for (let i = 0; i < 100; i++) await policy.execute(() => i);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    // one timer for all 100 calls; with nothing pending it no longer holds the event loop, and it lapses at
    // its next firing
    expect(vi.getTimerCount()).toBe(1);
    expect(deadlineQueue.armed).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('one timer serves many pending calls', async () => {
    const policy = timeout(1_000);
    const pending = Array.from({ length: 50 }, () => policy.execute(honoursSignal).catch((e: unknown) => e));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    const results = await Promise.all(pending);
    expect(results.every((e) => isSwitchboardError(e, 'SWB_TIMEOUT'))).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(deadlineQueue.armed).toBe(false);
  });

  it('an outer signal passed to execute aborts the inner work', async () => {
    const policy = timeout(10_000);
    const ctrl = new AbortController();
    const p = policy.execute(honoursSignal, ctrl.signal).catch((e: unknown) => e);
    ctrl.abort();
    const error = await p;
    expect((error as Error).message).toBe('stopped');
  });

  it('nested timeouts never extend the outer deadline', async () => {
    const policy = compose(
      timeout({ duration: 100, name: 'outer' }),
      timeout({ duration: 5_000, name: 'inner' }),
    );
    const p = policy.execute(honoursSignal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(((await p) as SwitchboardError).details).toEqual({ policy: 'outer', timeoutMs: 100 });

    // a shorter inner deadline still applies
    const q = compose(timeout({ duration: 5_000, name: 'outer' }), timeout({ duration: 100, name: 'inner' }));
    const r = q.execute(honoursSignal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(((await r) as SwitchboardError).details).toEqual({ policy: 'inner', timeoutMs: 100 });
  });

  it('an aggressive inner timeout rejects at a sooner cooperative outer deadline', async () => {
    const policy = compose(timeout({ duration: 100 }), timeout({ duration: 5_000, strategy: 'aggressive' }));
    const p = policy.execute(() => new Promise(() => {})).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(isSwitchboardError(await p, 'SWB_TIMEOUT')).toBe(true);
  });

  it('gives the signal to cockatiel wrap() through the merged context', async () => {
    const policy = wrap(cockatielRetry(handleAll, { maxAttempts: 0 }), timeout({ duration: 100 }));
    const p = policy.execute(honoursSignal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(isSwitchboardError(await p, 'SWB_TIMEOUT')).toBe(true);
  });

  it('validates the duration', () => {
    expect(() => timeout(-1)).toThrow(/duration/);
    expect(() => timeout(Number.NaN)).toThrow(/duration/);
  });
});

describe('createDeadline', () => {
  it('aborts its lazily created signal at the deadline', async () => {
    const deadline = createDeadline(200);
    expect(deadline.remaining()).toBe(200);
    await vi.advanceTimersByTimeAsync(150);
    expect(deadline.expired).toBe(false);
    const signal = deadline.signal;
    await vi.advanceTimersByTimeAsync(50);
    expect(signal.aborted).toBe(true);
    expect(isSwitchboardError(signal.reason, 'SWB_TIMEOUT')).toBe(true);
    expect(deadline.expired).toBe(true);
    expect(deadline.remaining()).toBe(0);
    // read after expiry: already aborted
    const late = createDeadline(10);
    await vi.advanceTimersByTimeAsync(10);
    expect(late.signal.aborted).toBe(true);
  });

  it('follows a parent signal and detaches on dispose', async () => {
    const ctrl = new AbortController();
    const deadline = createDeadline(1_000, ctrl.signal);
    const signal = deadline.signal;
    ctrl.abort('closing');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('closing');
    deadline.dispose();

    const other = new AbortController();
    const d2 = createDeadline(1_000, other.signal);
    void d2.signal;
    d2.dispose();
    expect(deadlineQueue.pending).toBe(0);
  });

  it('is never later than a parent deadline and bounds the policies run under it', async () => {
    const parent = createDeadline(100);
    const child = createDeadline(10_000, parent);
    expect(child.deadline).toBe(parent.deadline);
    const policy = timeout({ duration: 10_000, name: 'handler' });
    const p = policy.execute(honoursSignal, child).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    // the policy's own 10 s never applied: the work was stopped by the deadline's 100 ms
    expect(((await p) as Error).message).toBe('stopped');
    expect(child.expired).toBe(true);
    expect(isSwitchboardError(child.signal.reason, 'SWB_TIMEOUT')).toBe(true);
    parent.dispose();
    child.dispose();
  });

  it('rejects a bad duration', () => {
    expect(() => createDeadline(-5)).toThrow(/ms/);
  });
});
