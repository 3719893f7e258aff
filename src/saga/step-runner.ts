/**
 * Runs one step's action under its deadline: no timer of its own (the deadline sits in the shared deadline
 * queue), and the orchestrator stops waiting at the deadline even when the action ignores its signal.
 *
 * @module
 */
import { SwitchboardError, toSwitchboardError } from '../errors.js';
import { createDeadline, type Deadline } from '../resilience/deadline.js';
import type { SagaStep, SagaStepContext } from './types.js';

/** Why a step did not complete, classified for the events and the outcome. */
export interface StepFailure {
  readonly error: SwitchboardError;
  readonly timedOut: boolean;
}

/** The run-wide facts a step needs. */
export interface StepRun<I> {
  readonly saga: string;
  readonly sagaId: string;
  readonly input: I;
  readonly results: Readonly<Record<string, unknown>>;
  /** The saga's deadline (absolute, `Date.now()` ms) and its length, to tell a saga timeout from a step's. */
  readonly sagaDeadline: number;
  readonly sagaTimeoutMs: number;
  /** The caller's signal, if any. */
  readonly external: AbortSignal | undefined;
}

/**
 * Runs `step.action` and resolves with its result, or rejects with a {@link StepFailure}.
 */
export async function runStep<I>(step: SagaStep<I>, run: StepRun<I>, saga: Deadline): Promise<unknown> {
  const own = step.timeout === undefined ? undefined : createDeadline(step.timeout, saga, 'saga step');
  const deadline = own ?? saga;
  const signal = deadline.signal;
  const context: SagaStepContext<I> = {
    sagaId: run.sagaId,
    step: step.name,
    input: run.input,
    results: run.results,
    signal,
  };
  try {
    return await raceSignal(() => step.action(context), signal);
  } catch (error) {
    throw classify(error, signal, step, run);
  } finally {
    own?.dispose();
  }
}

/** The failure to report when the run must stop before a step starts (the saga timed out or was aborted). */
export function stopReason(run: StepRun<unknown>, stepName: string | undefined): StepFailure | undefined {
  if (run.external?.aborted === true)
    return { error: abortedError(run, stepName, run.external.reason), timedOut: false };
  if (Date.now() >= run.sagaDeadline) return { error: sagaTimeoutError(run, stepName), timedOut: true };
  return undefined;
}

function raceSignal(start: () => unknown, signal: AbortSignal): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const done = (): void => signal.removeEventListener('abort', onAbort);
    Promise.resolve()
      .then(start)
      .then(
        (value) => {
          done();
          resolve(value);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
  });
}

function classify<I>(error: unknown, signal: AbortSignal, step: SagaStep<I>, run: StepRun<I>): StepFailure {
  if (!signal.aborted) {
    return {
      error: toSwitchboardError(
        error,
        'SWB_HANDLER_FAILED',
        `saga '${run.saga}' step '${step.name}' failed`,
        {
          details: { saga: run.saga, step: step.name },
        },
      ),
      timedOut: false,
    };
  }
  // The deadline that fired decides the message: the step's, the saga's (a step deadline is clamped to it, so
  // both may fire in one tick), or the caller's abort.
  const stopped = stopReason(run as StepRun<unknown>, step.name);
  if (stopped !== undefined) return stopped;
  return {
    error: new SwitchboardError(
      'SWB_TIMEOUT',
      `saga '${run.saga}' step '${step.name}' timed out after ${step.timeout} ms`,
      { retryable: true, details: { saga: run.saga, step: step.name, timeoutMs: step.timeout } },
    ),
    timedOut: true,
  };
}

function sagaTimeoutError(run: StepRun<unknown>, step: string | undefined): SwitchboardError {
  return new SwitchboardError('SWB_TIMEOUT', `saga '${run.saga}' timed out after ${run.sagaTimeoutMs} ms`, {
    retryable: true,
    details: { saga: run.saga, timeoutMs: run.sagaTimeoutMs, ...(step === undefined ? {} : { step }) },
  });
}

function abortedError(run: StepRun<unknown>, step: string | undefined, reason: unknown): SwitchboardError {
  return new SwitchboardError('SWB_ABORTED', `saga '${run.saga}' aborted`, {
    retryable: false,
    cause: reason,
    details: { saga: run.saga, ...(step === undefined ? {} : { step }) },
  });
}
