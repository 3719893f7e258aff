/**
 * The persistence hook of the saga orchestrator: a small store of saga records, so a saga whose orchestrator
 * crashed can be resumed or compensated by another one.
 *
 * @module
 */
import type { SagaStatus } from './types.js';

/** A step whose action completed, with what it returned. */
export interface CompletedStepRecord {
  readonly step: string;
  readonly result: unknown;
}

/** An error as persisted: code and message only (never a cause or a payload). */
export interface PersistedError {
  readonly code: string;
  readonly message: string;
}

/** The persisted state of one saga run. Saved after every transition. */
export interface SagaRecord {
  readonly sagaId: string;
  /** The saga's name; an orchestrator only resumes records of its own saga. */
  readonly saga: string;
  readonly status: SagaStatus;
  readonly input: unknown;
  /** Completed steps, in order. */
  readonly completed: readonly CompletedStepRecord[];
  /** Steps compensated so far, in the order their compensations ran. */
  readonly compensated: readonly string[];
  /** The step whose action failed, if one did. */
  readonly failedStep?: string;
  /** Also compensate `failedStep` (it had `compensateOnFailure`). */
  readonly compensateFailed?: boolean;
  /** Why the saga is rolling back or rolled back. */
  readonly error?: PersistedError;
  /** Compensations that failed after their retries. */
  readonly failures: readonly (PersistedError & { readonly step: string; readonly attempts: number })[];
  /** Absolute deadline of the forward run, `Date.now()` milliseconds. */
  readonly deadline: number;
  /** Correlation id of the run's bus events. */
  readonly correlationId?: string;
  readonly startedAt: number;
  readonly updatedAt: number;
}

/** Which records {@link SagaStore.list} returns. */
export interface SagaListFilter {
  /** Only records of this saga. */
  readonly saga?: string;
  /** Only records in one of these states. */
  readonly statuses?: readonly SagaStatus[];
}

/**
 * Where saga records live. Implement it over any database: a row per `sagaId`, replaced on every `save`.
 * A store that throws does not stop the saga: a failed save in the forward run rolls the saga back, a failed
 * save while compensating is reported through the `error` event.
 */
export interface SagaStore {
  /** Inserts or replaces the record of `record.sagaId`. */
  save(record: SagaRecord): Promise<void>;
  /** The record of one saga run, if any. */
  load(sagaId: string): Promise<SagaRecord | undefined>;
  /** Records matching the filter (unfinished ones for recovery: `statuses: ['running', 'compensating']`). */
  list(filter?: SagaListFilter): Promise<readonly SagaRecord[]>;
  /** Forgets a record (finished runs, once audited). */
  delete(sagaId: string): Promise<void>;
}
