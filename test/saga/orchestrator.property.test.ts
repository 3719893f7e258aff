import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deadlineQueue } from '../../src/resilience/deadline-queue.js';
import { createSaga, type SagaStep } from '../../src/saga/index.js';
import { newLog } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
});

/**
 * One step of a generated saga. Durations are multiples of 10 ms, step timeouts end in 5 and the saga timeout in
 * 7, so no step ever finishes in the very millisecond a deadline fires (which would make the model ambiguous).
 */
interface GeneratedStep {
  readonly durationMs: number;
  readonly timeoutMs: number;
  readonly throws: boolean;
}

const generatedStep: fc.Arbitrary<GeneratedStep> = fc.record({
  durationMs: fc.integer({ min: 0, max: 50 }).map((n) => n * 10),
  timeoutMs: fc.integer({ min: 0, max: 60 }).map((n) => n * 10 + 5),
  // About one step in ten throws, so most runs get far enough to meet a timeout.
  throws: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});

/** What the model says happens: which steps complete, which fails and why. */
function model(steps: readonly GeneratedStep[], sagaTimeoutMs: number) {
  let now = 0;
  const completed: number[] = [];
  for (const [index, step] of steps.entries()) {
    if (step.throws) return { completed, failed: index, why: 'thrown' as const };
    const end = now + step.durationMs;
    const stepDeadline = now + step.timeoutMs;
    if (end < stepDeadline && end < sagaTimeoutMs) {
      completed.push(index);
      now = end;
      continue;
    }
    return {
      completed,
      failed: index,
      why: stepDeadline < sagaTimeoutMs ? ('step' as const) : ('saga' as const),
    };
  }
  return { completed, failed: undefined, why: undefined };
}

describe('saga orchestrator properties', () => {
  it('for any failing step and any timeouts, exactly the completed steps are compensated, in reverse, once each', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(generatedStep, { minLength: 1, maxLength: 7 }),
        fc.integer({ min: 1, max: 300 }).map((n) => n * 10 + 7),
        async (generated, sagaTimeoutMs) => {
          const log = newLog();
          const steps: SagaStep[] = generated.map((g, i) => ({
            name: `s${i}`,
            timeout: g.timeoutMs,
            action: () => {
              if (g.throws) throw new Error(`s${i} failed`);
              // Ignores its signal: the orchestrator must stop waiting at the deadline by itself.
              return new Promise((resolve) => setTimeout(() => resolve(`r${i}`), g.durationMs));
            },
            compensation: ({ result }) => {
              log.entries.push(`undo:s${i}`);
              expect(result).toBe(`r${i}`);
            },
          }));
          const saga = createSaga({
            name: 'generated',
            timeout: sagaTimeoutMs,
            steps,
            compensationRetry: false,
          });
          const running = saga.run(undefined);
          await vi.runAllTimersAsync();
          const outcome = await running;
          const expected = model(generated, sagaTimeoutMs);
          const completedNames = expected.completed.map((i) => `s${i}`);
          // A run that completes undoes nothing; one that fails undoes exactly what completed, last first.
          const undone = expected.failed === undefined ? [] : [...completedNames].reverse();

          expect(outcome.completedSteps).toEqual(completedNames);
          expect(log.undone()).toEqual(undone);
          expect(outcome.compensated).toEqual(undone);
          if (expected.failed === undefined) {
            expect(outcome.status).toBe('completed');
            expect(outcome.error).toBeUndefined();
          } else {
            expect(outcome.status).toBe('compensated');
            expect(outcome.failedStep).toBe(`s${expected.failed}`);
            if (expected.why === 'thrown') expect(outcome.error?.code).toBe('SWB_HANDLER_FAILED');
            else {
              expect(outcome.error?.code).toBe('SWB_TIMEOUT');
              expect(outcome.error?.details?.timeoutMs).toBe(
                expected.why === 'saga' ? sagaTimeoutMs : generated[expected.failed]?.timeoutMs,
              );
            }
          }
          expect(deadlineQueue.pending).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('every compensation is tried until it succeeds or its attempts run out; failures are all reported', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Per completed step: how many times its compensation fails before it works (3 = never works).
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }),
        async (failuresPerStep) => {
          const attempts = failuresPerStep.map(() => 0);
          const order: number[] = [];
          const steps: SagaStep[] = failuresPerStep.map((failures, i) => ({
            name: `s${i}`,
            action: () => i,
            compensation: () => {
              attempts[i]!++;
              if (attempts[i] === 1) order.push(i);
              if (attempts[i]! <= failures) throw new Error(`undo of s${i} failed`);
            },
          }));
          steps.push({
            name: 'last',
            action: () => {
              throw new Error('last step failed');
            },
          });
          const saga = createSaga({
            name: 'retried',
            steps,
            compensationRetry: { maxAttempts: 3, initialDelay: 10, jitter: 'none' },
          });
          const running = saga.run(undefined);
          await vi.runAllTimersAsync();
          const outcome = await running;
          const indices = failuresPerStep.map((_, i) => i);
          expect(order).toEqual([...indices].reverse());
          expect(attempts).toEqual(failuresPerStep.map((f) => Math.min(f + 1, 3)));
          const failed = indices.filter((i) => failuresPerStep[i] === 3).reverse();
          expect(outcome.compensationFailures.map((f) => f.step)).toEqual(failed.map((i) => `s${i}`));
          expect(outcome.compensated).toEqual(
            [...indices]
              .reverse()
              .filter((i) => failuresPerStep[i]! < 3)
              .map((i) => `s${i}`),
          );
          expect(outcome.status).toBe(failed.length === 0 ? 'compensated' : 'failed');
        },
      ),
      { numRuns: 100 },
    );
  });
});
