/**
 * Builders for saga tests: steps that log what ran, and ways for a step to fail.
 *
 * @module
 */
import type { SagaDefinition, SagaStep } from '../../src/saga/index.js';

/** How a step behaves. */
export type StepBehaviour = 'ok' | 'throw' | 'hang';

/** What the steps did, in order: `do:<name>`, `undo:<name>`. */
export interface Log {
  readonly entries: string[];
  readonly done: () => string[];
  readonly undone: () => string[];
}

export function newLog(): Log {
  const entries: string[] = [];
  return {
    entries,
    done: () => entries.filter((e) => e.startsWith('do:')).map((e) => e.slice(3)),
    undone: () => entries.filter((e) => e.startsWith('undo:')).map((e) => e.slice(5)),
  };
}

/** A promise that settles only when `signal` aborts (then rejects, as a cooperative action would). */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));
}

/** A step named `s<index>` that logs, returns `r<index>` and compensates by logging. */
export function loggingStep(
  index: number,
  log: Log,
  behaviour: StepBehaviour = 'ok',
  extra: Partial<SagaStep> = {},
): SagaStep {
  const name = `s${index}`;
  return {
    name,
    timeout: 1_000,
    action: ({ signal }) => {
      if (behaviour === 'throw') throw new Error(`step ${name} broke`);
      if (behaviour === 'hang') return new Promise(() => {}); // ignores its signal on purpose
      log.entries.push(`do:${name}`);
      return signal.aborted ? 'late' : `r${index}`;
    },
    compensation: () => {
      log.entries.push(`undo:${name}`);
    },
    ...extra,
  };
}

/** A saga of `count` logging steps; step `failAt` behaves as `behaviour`. */
export function loggingSaga(
  count: number,
  log: Log,
  failAt = -1,
  behaviour: StepBehaviour = 'throw',
  overrides: Partial<SagaDefinition> = {},
): SagaDefinition {
  return {
    name: 'test_saga',
    timeout: 60_000,
    compensationRetry: false,
    steps: Array.from({ length: count }, (_, i) => loggingStep(i, log, i === failAt ? behaviour : 'ok')),
    ...overrides,
  };
}
