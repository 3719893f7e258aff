/**
 * `switchboard/saga`: a generic saga orchestrator. Steps run in order under per-step and saga-wide deadlines; a
 * failing or timed-out step runs the compensations of the completed steps in reverse order, retried and
 * reported; every state transition is an event and, optionally, a `saga.*` bus message and a persisted record
 * from which a restarted orchestrator resumes or compensates the run.
 *
 * @module
 */

export { DEFAULT_COMPENSATION_TIMEOUT_MS } from './compensation.js';
export { MemorySagaStore, memorySagaStore } from './memory-store.js';
export type { SagaOrchestratorOptions, SagaResumeOptions, SagaRunOptions } from './orchestrator.js';
export { createSaga, DEFAULT_SAGA_TIMEOUT_MS, SagaOrchestrator } from './orchestrator.js';
export type { SagaMessage, SagaMessageMap, SagaMessageType, SagaPublisher } from './publisher.js';
export type {
  CompletedStepRecord,
  PersistedError,
  SagaListFilter,
  SagaRecord,
  SagaStore,
} from './store.js';
export type {
  CompensationFailure,
  SagaCompensationContext,
  SagaDefinition,
  SagaEventBase,
  SagaEventMap,
  SagaEventName,
  SagaOutcome,
  SagaStatus,
  SagaStep,
  SagaStepContext,
} from './types.js';
