/**
 * Types of the saga orchestrator: step and saga definitions, what a step and a compensation receive, the outcome
 * of a run, and the state-transition events.
 *
 * @module
 */
import type { AnyPolicy } from '../bus/types.js';
import type { SwitchboardError } from '../errors.js';
import type { RetryOptions } from '../resilience/retry.js';

/** What a step's action receives. */
export interface SagaStepContext<I = unknown> {
  /** The id of this saga run. */
  readonly sagaId: string;
  /** The name of the step. */
  readonly step: string;
  /** The input the saga was started with. */
  readonly input: I;
  /** Results of the steps completed so far, by step name. */
  readonly results: Readonly<Record<string, unknown>>;
  /**
   * Aborted at the step's timeout, at the saga's timeout, or when the caller aborts the run. The orchestrator
   * stops waiting at that moment whether or not the action listens; an action that can stop early should.
   */
  readonly signal: AbortSignal;
}

/** What a compensation receives. */
export interface SagaCompensationContext<I = unknown> {
  /** The id of this saga run. */
  readonly sagaId: string;
  /** The name of the step being compensated. */
  readonly step: string;
  /** The input the saga was started with. */
  readonly input: I;
  /** What this step's action returned (`undefined` when compensating a step whose action failed). */
  readonly result: unknown;
  /** Results of every completed step, by step name. */
  readonly results: Readonly<Record<string, unknown>>;
  /** Aborted at the compensation's per-attempt timeout. Compensations are not bound by the saga's timeout. */
  readonly signal: AbortSignal;
  /** 1 on the first attempt, 2 on the first retry, and so on. */
  readonly attempt: number;
  /** What made the saga roll back: the failing step's error, a timeout, or an abort. */
  readonly reason: SwitchboardError;
}

/**
 * One step of a saga (seed 004's `steps: [{ name, compensation, timeout }]`).
 *
 * Actions are not retried by the orchestrator (wrap one in a retry policy if it should be); compensations are.
 * Both should be idempotent: after a crash, {@link SagaOrchestrator.resume} runs the step that was in flight
 * again, and a compensation may run again if its success was not recorded.
 */
export interface SagaStep<I = unknown> {
  /** Unique within the saga; results are keyed by it. */
  readonly name: string;
  /** Does the step's work; its return value is kept in `results[name]` (and persisted: keep it serialisable). */
  action(context: SagaStepContext<I>): unknown;
  /** Undoes the step's work. A step without one has nothing to undo. */
  compensation?(context: SagaCompensationContext<I>): unknown;
  /** Milliseconds the action may take. Default: whatever is left of the saga's timeout. */
  readonly timeout?: number;
  /** Milliseconds each compensation attempt may take. Default: `timeout`, else 30 000. */
  readonly compensationTimeout?: number;
  /**
   * Also compensate this step when its own action fails or times out, for actions that may have taken effect
   * before failing (a timed-out reservation may still land). Default `false`: only completed steps are
   * compensated.
   */
  readonly compensateOnFailure?: boolean;
}

/** A saga: named steps run in order, compensated in reverse order when one fails. */
export interface SagaDefinition<I = unknown> {
  /** The saga's name (`agent_spawning_saga`); reported in events and persisted records. */
  readonly name: string;
  readonly steps: readonly SagaStep<I>[];
  /** Milliseconds the whole forward run may take (seed 004's saga timeout). Default 300 000. */
  readonly timeout?: number;
  /**
   * How failed compensations are retried: retry options, any policy (ours or cockatiel's), or `false` for a
   * single attempt. Default: seed 004's retry (3 attempts, 1 s doubling to at most 10 s, full jitter) for every
   * error except permanent ones (a `SwitchboardError` with `retryable: false`, or `permanent: true`).
   */
  readonly compensationRetry?: RetryOptions | AnyPolicy | false;
}

/** Where a saga run stands. */
export type SagaStatus = 'running' | 'compensating' | 'completed' | 'compensated' | 'failed';

/** A compensation that could not be done: reported in the outcome, the events and the store. */
export interface CompensationFailure {
  readonly step: string;
  readonly error: SwitchboardError;
  /** Attempts made. */
  readonly attempts: number;
}

/** How a saga run ended. */
export interface SagaOutcome {
  readonly sagaId: string;
  readonly saga: string;
  /**
   * `completed`: every step ran. `compensated`: a step failed (or the saga timed out or was aborted) and every
   * completed step was compensated. `failed`: at least one compensation failed after its retries; see
   * `compensationFailures` (run {@link SagaOrchestrator.resume} to try them again).
   */
  readonly status: 'completed' | 'compensated' | 'failed';
  /** Results of the completed steps, by step name. */
  readonly results: Readonly<Record<string, unknown>>;
  /** Steps whose action completed, in order. */
  readonly completedSteps: readonly string[];
  /** The step whose action failed or timed out, if one did. */
  readonly failedStep?: string;
  /**
   * Why the saga did not complete: the failing step's error (`SWB_TIMEOUT` for a timeout, `SWB_ABORTED` for an
   * abort), or, when status is `failed`, `SWB_COMPENSATION_FAILED` with that error as `cause`.
   */
  readonly error?: SwitchboardError;
  /** Steps compensated, in the order their compensations ran (the reverse of completion). */
  readonly compensated: readonly string[];
  /** Compensations that failed after their retries. */
  readonly compensationFailures: readonly CompensationFailure[];
}

/** Fields every saga event carries. */
export interface SagaEventBase {
  readonly sagaId: string;
  readonly saga: string;
}

/**
 * The state transitions of a saga run, as events (`orchestrator.events.on('step.failed', ...)`) and, with a
 * publisher, as bus messages `saga.<event>` (`saga.step.completed`).
 */
export interface SagaEventMap {
  started: [SagaEventBase & { readonly resumed: boolean }];
  'step.started': [SagaEventBase & { readonly step: string; readonly index: number }];
  'step.completed': [
    SagaEventBase & { readonly step: string; readonly index: number; readonly durationMs: number },
  ];
  'step.failed': [
    SagaEventBase & {
      readonly step: string;
      readonly index: number;
      readonly error: SwitchboardError;
      readonly timedOut: boolean;
    },
  ];
  compensating: [SagaEventBase & { readonly steps: readonly string[]; readonly error: SwitchboardError }];
  'step.compensated': [SagaEventBase & { readonly step: string; readonly attempts: number }];
  'compensation.failed': [
    SagaEventBase & { readonly step: string; readonly error: SwitchboardError; readonly attempts: number },
  ];
  compensated: [SagaEventBase & { readonly steps: readonly string[]; readonly error: SwitchboardError }];
  completed: [SagaEventBase & { readonly durationMs: number }];
  failed: [
    SagaEventBase & { readonly error: SwitchboardError; readonly failures: readonly CompensationFailure[] },
  ];
  /** The store or the publisher failed; the saga goes on (see {@link SagaOrchestrator}). */
  error: [SagaEventBase & { readonly error: unknown; readonly context: 'store' | 'publish' }];
}

/** The name of a saga state transition. */
export type SagaEventName = Exclude<keyof SagaEventMap, 'error'>;
