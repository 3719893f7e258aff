import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors.js';
import { compose } from '../../src/resilience/compose.js';
import { deadlineQueue } from '../../src/resilience/deadline-queue.js';
import { retry } from '../../src/resilience/retry.js';
import { timeout } from '../../src/resilience/timeout.js';

// Real timers on purpose: the point is what stays behind in the event loop.
const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('no leaks', () => {
  it('10 000 runs of retry + timeout against a downstream that always times out leave no timers or listeners', async () => {
    const outer = new AbortController();
    const cooperative = compose(
      retry({ maxAttempts: 2, initialDelay: 0, maxDelay: 1, jitter: 'full' }),
      timeout({ duration: 1 }),
    );
    const aggressive = compose(
      retry({ maxAttempts: 2, initialDelay: 0, maxDelay: 1, jitter: 'full' }),
      timeout({ duration: 1, strategy: 'aggressive' }),
    );
    const timersBefore = timers();
    const listenersBefore = getEventListeners(outer.signal, 'abort').length;

    let timeouts = 0;
    const runs = 10_000;
    const batch = 1_000;
    for (let done = 0; done < runs; done += batch) {
      const results = await Promise.all(
        Array.from({ length: batch }, (_, i) =>
          i % 2 === 0
            ? cooperative
                .execute(
                  ({ signal }) =>
                    new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
                  outer.signal,
                )
                .catch((e: unknown) => e)
            : aggressive.execute(() => new Promise(() => {}), outer.signal).catch((e: unknown) => e),
        ),
      );
      timeouts += results.filter((e) => isSwitchboardError(e, 'SWB_TIMEOUT')).length;
    }

    expect(timeouts).toBe(runs);
    expect(deadlineQueue.pending).toBe(0);
    expect(deadlineQueue.armed).toBe(false);
    expect(getEventListeners(outer.signal, 'abort').length).toBe(listenersBefore);
    expect(timers()).toBeLessThanOrEqual(timersBefore);
  }, 60_000);
});
