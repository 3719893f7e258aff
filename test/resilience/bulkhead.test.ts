import { bulkhead as cockatielBulkhead } from 'cockatiel';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSwitchboardError, type SwitchboardError } from '../../src/errors.js';
import { bulkhead } from '../../src/resilience/bulkhead.js';
import { createResilienceEvents } from '../../src/resilience/events.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const gate = (): { promise: Promise<string>; open: () => void } => {
  let open!: () => void;
  const promise = new Promise<string>((resolve) => (open = () => resolve('done')));
  return { promise, open };
};

describe('bulkhead', () => {
  it('runs up to the limit, queues up to the queue size and rejects the rest', async () => {
    const events = createResilienceEvents();
    const rejected = vi.fn();
    events.on('bulkhead.reject', rejected);
    const policy = bulkhead({ limit: 2, queue: 1, events, name: 'db' });
    const onReject = vi.fn();
    policy.onReject(onReject);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const calls = gates.map((g, i) =>
      policy.execute(() => {
        started.push(i);
        return g.promise;
      }),
    );
    const fourth = (await policy.execute(() => 'x').catch((e: unknown) => e)) as SwitchboardError;
    expect(fourth.code).toBe('SWB_BULKHEAD_REJECTED');
    expect(fourth.retryable).toBe(true);
    expect(fourth.details).toEqual({ policy: 'db', limit: 2, queue: 1 });
    expect(rejected).toHaveBeenCalledWith({ policy: 'db', limit: 2, queue: 1 });
    expect(onReject).toHaveBeenCalledTimes(1);
    expect(started).toEqual([0, 1]);
    expect([policy.running, policy.queued, policy.executionSlots, policy.queueSlots]).toEqual([2, 1, 0, 0]);
    gates[0]!.open();
    await calls[0];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    gates[1]!.open();
    gates[2]!.open();
    await Promise.all(calls);
    expect([policy.running, policy.queued]).toEqual([0, 0]);
  });

  it('a queued call whose signal aborts leaves the queue at once and frees its place', async () => {
    const policy = bulkhead({ limit: 1, queue: 1 });
    const g = gate();
    const running = policy.execute(() => g.promise);
    const ctrl = new AbortController();
    const queuedFn = vi.fn();
    const queued = policy.execute(queuedFn, ctrl.signal).catch((e: unknown) => e);
    expect(policy.queued).toBe(1);
    ctrl.abort();
    expect(isSwitchboardError(await queued, 'SWB_ABORTED')).toBe(true);
    expect(policy.queued).toBe(0);
    // its place is free again
    const next = policy.execute(() => 'next');
    expect(policy.queued).toBe(1);
    g.open();
    await running;
    await expect(next).resolves.toBe('next');
    expect(queuedFn).not.toHaveBeenCalled();
    expect(policy.running).toBe(0);
  });

  it('cockatiel 4 bulkhead keeps an aborted queued call in its queue (why ours replaces it)', async () => {
    const theirs = cockatielBulkhead(1, 1);
    const g = gate();
    const running = theirs.execute(() => g.promise);
    const ctrl = new AbortController();
    const queued = theirs.execute(() => 'x', ctrl.signal).catch((e: unknown) => e);
    ctrl.abort();
    await Promise.resolve();
    expect(theirs.queueSlots).toBe(0);
    g.open();
    await running;
    await queued;
  });

  it('rejects a call whose signal is already aborted', async () => {
    const policy = bulkhead({ limit: 1 });
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(policy.execute(() => 1, ctrl.signal)).rejects.toMatchObject({ code: 'SWB_ABORTED' });
    expect(policy.running).toBe(0);
  });

  it('releases its slot when the call throws', async () => {
    const policy = bulkhead({ limit: 1 });
    await expect(
      policy.execute(() => {
        throw new Error('x');
      }),
    ).rejects.toThrow('x');
    await expect(policy.execute(() => 2)).resolves.toBe(2);
  });

  it('validates its options', () => {
    expect(() => bulkhead({ limit: 0 })).toThrow(/limit/);
    expect(() => bulkhead({ limit: 1, queue: -1 })).toThrow(/queue/);
  });

  it('property: never runs more than its limit nor queues more than its queue size, under random arrivals and aborts', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('arrive' as const), abortable: fc.boolean() }),
      fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(step, { maxLength: 60 }),
        async (limit, queue, steps) => {
          const policy = bulkhead({ limit, queue });
          let running = 0;
          let maxRunning = 0;
          const finishers: (() => void)[] = [];
          const aborters: AbortController[] = [];
          const outcomes: Promise<unknown>[] = [];
          for (const s of steps) {
            if (s.kind === 'arrive') {
              const ctrl = s.abortable ? new AbortController() : undefined;
              if (ctrl) aborters.push(ctrl);
              outcomes.push(
                policy
                  .execute(
                    () =>
                      new Promise<void>((resolve) => {
                        running++;
                        maxRunning = Math.max(maxRunning, running);
                        finishers.push(() => {
                          running--;
                          resolve();
                        });
                      }),
                    ctrl?.signal,
                  )
                  .catch(() => undefined),
              );
            } else if (s.kind === 'finish' && finishers.length > 0) {
              finishers.splice(s.pick % finishers.length, 1)[0]!();
            } else if (s.kind === 'abort' && aborters.length > 0) {
              aborters.splice(s.pick % aborters.length, 1)[0]!.abort();
            }
            await vi.advanceTimersByTimeAsync(0);
            expect(policy.running).toBeLessThanOrEqual(limit);
            expect(policy.queued).toBeLessThanOrEqual(queue);
            expect(running).toBe(policy.running);
          }
          expect(maxRunning).toBeLessThanOrEqual(limit);
          while (finishers.length > 0 || policy.queued > 0) {
            for (const f of finishers.splice(0)) f();
            await vi.advanceTimersByTimeAsync(0);
          }
          await Promise.all(outcomes);
          expect([policy.running, policy.queued]).toEqual([0, 0]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
