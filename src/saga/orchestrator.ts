/**
 * The saga orchestrator: runs a saga's steps in order under per-step and saga-wide deadlines; when a step fails,
 * times out or the run is aborted, it runs the compensations of the completed steps in reverse order, retrying
 * them and reporting those that still fail. Every transition is an event, optionally a bus message, and
 * optionally a persisted record from which another orchestrator resumes after a crash.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { AnyPolicy } from '../bus/types.js';
import { newMessageId } from '../envelope/id.js';
import { ERROR_CODES, type ErrorCode, SwitchboardError, toSwitchboardError } from '../errors.js';
import { createDeadline } from '../resilience/deadline.js';
import { compensationPolicy, compensationRetry } from './compensation.js';
import { persistedError, SagaMessageChain, type SagaPublisher, toSagaMessage } from './publisher.js';
import { runStep, type StepFailure, type StepRun, stopReason } from './step-runner.js';
import type { CompletedStepRecord, PersistedError, SagaRecord, SagaStore } from './store.js';
import type {
  CompensationFailure,
  SagaDefinition,
  SagaEventMap,
  SagaEventName,
  SagaOutcome,
  SagaStatus,
  SagaStep,
} from './types.js';
import { validateDefinition } from './validate.js';

/**
 * Seed 004's saga timeout.
 *
 * @example
 * ```ts
 * import { createSaga, DEFAULT_SAGA_TIMEOUT_MS } from 'switchboard/saga';
 *
 * createSaga(agentSpawningSaga).timeoutMs; // DEFAULT_SAGA_TIMEOUT_MS (300_000) when the definition sets no `timeout`
 * const formation = createSaga({ name: 'mesh_formation_saga', steps, timeout: 2 * DEFAULT_SAGA_TIMEOUT_MS });
 * ```
 */
export const DEFAULT_SAGA_TIMEOUT_MS = 300_000;

/** Options of {@link createSaga}. */
export interface SagaOrchestratorOptions {
  /** Persist every transition here, so {@link SagaOrchestrator.resume} can pick a run up after a crash. */
  readonly store?: SagaStore;
  /** Publish every transition as a `saga.<event>` message (a bus fits), keyed by the saga id. */
  readonly publisher?: SagaPublisher;
  /** Makes ids for runs started without one. Default: UUID v7. */
  readonly newId?: () => string;
}

/** Options of {@link SagaOrchestrator.run}. */
export interface SagaRunOptions {
  /**
   * The run's id. A run with an id this orchestrator is already running joins it; with a store, an id already
   * recorded is resumed (so a command delivered twice starts one saga). Default: a new UUID v7.
   */
  readonly sagaId?: string;
  /** Aborting it stops the forward run and compensates what was done. Compensations themselves go on. */
  readonly signal?: AbortSignal;
  /** Correlation id of the run's bus messages. Default: the saga id. */
  readonly correlationId?: string;
}

/** Options of {@link SagaOrchestrator.resume} and {@link SagaOrchestrator.recover}. */
export interface SagaResumeOptions {
  /**
   * What to do with a run that was going forward: `continue` (default) runs the step that was in flight again
   * and goes on (or compensates if the saga's deadline has passed); `compensate` rolls it back.
   */
  readonly mode?: 'continue' | 'compensate';
  /** Aborting it stops a continued forward run and compensates it. */
  readonly signal?: AbortSignal;
}

/** Mutable state of one run. */
interface RunState<I> {
  readonly sagaId: string;
  readonly input: I;
  readonly correlationId: string;
  readonly startedAt: number;
  readonly deadline: number;
  readonly completed: CompletedStepRecord[];
  readonly compensated: string[];
  failures: CompensationFailure[];
  status: SagaStatus;
  failedStep: string | undefined;
  compensateFailed: boolean;
  /** What made the run roll back. */
  reason: SwitchboardError | undefined;
  chain: SagaMessageChain | undefined;
}

type Payload<K extends SagaEventName> = Omit<SagaEventMap[K][0], 'sagaId' | 'saga'>;

/**
 * Runs one saga definition; create it with {@link createSaga}. Runs are independent: start as many at once as
 * you like. Errors of the store and the publisher never stop a run: a failed save while going forward rolls
 * the run back (a run that cannot be recorded cannot be recovered), one while compensating is reported through
 * the `error` event, as is every failed publish.
 *
 * @example
 * ```ts
 * import { createSaga, type SagaOrchestrator } from 'switchboard/saga';
 *
 * const spawning: SagaOrchestrator<{ agentId: string }> = createSaga(agentSpawningSaga, { store, publisher: bus });
 * spawning.events.on('compensation.failed', ({ sagaId, step, error }) => log.error({ sagaId, step, code: error.code }));
 * // the command's id as the saga id: a redelivered command joins or resumes the same run
 * const outcome = await spawning.run({ agentId: 'agent-7' }, { sagaId: command.id });
 * ```
 */
export class SagaOrchestrator<I = unknown> {
  /** State transitions: `started`, `step.started`, `step.completed`, `step.failed`, `compensating`, ... */
  readonly events = new EventEmitter<SagaEventMap>();
  readonly name: string;
  readonly timeoutMs: number;
  readonly #steps: readonly SagaStep<I>[];
  readonly #byName: ReadonlyMap<string, { step: SagaStep<I>; policy: AnyPolicy }>;
  readonly #options: SagaOrchestratorOptions;
  readonly #running = new Map<string, Promise<SagaOutcome>>();

  constructor(definition: SagaDefinition<I>, options: SagaOrchestratorOptions = {}) {
    validateDefinition(definition as SagaDefinition<never>);
    this.name = definition.name;
    this.timeoutMs = definition.timeout ?? DEFAULT_SAGA_TIMEOUT_MS;
    this.#steps = [...definition.steps];
    this.#options = options;
    const retryLayer = compensationRetry(definition as SagaDefinition<never>);
    this.#byName = new Map(
      this.#steps.map((step) => [
        step.name,
        { step, policy: compensationPolicy(step as SagaStep<never>, retryLayer) },
      ]),
    );
  }

  /** The step names, in order. */
  get steps(): readonly string[] {
    return this.#steps.map((step) => step.name);
  }

  /**
   * Runs the saga with `input`. Resolves with the outcome (`completed`, `compensated` or `failed`); rejects only
   * when a given `sagaId` cannot be looked up (`SWB_STORE_UNAVAILABLE`) or is recorded for another saga
   * (`SWB_SAGA_NOT_FOUND`).
   *
   * @example
   * ```ts
   * const outcome = await spawning.run({ agentId: 'a-1', cpu: 2 });
   * if (outcome.status !== 'completed') log.warn({ step: outcome.failedStep, code: outcome.error?.code });
   * ```
   */
  run(input: I, options: SagaRunOptions = {}): Promise<SagaOutcome> {
    const sagaId = options.sagaId ?? (this.#options.newId ?? newMessageId)();
    return this.#once(sagaId, async () => {
      if (options.sagaId !== undefined && this.#options.store !== undefined) {
        const existing = await this.#load(sagaId);
        if (existing !== undefined) return this.#resumeRecord(existing, { signal: options.signal });
      }
      const now = Date.now();
      const state: RunState<I> = {
        sagaId,
        input,
        correlationId: options.correlationId ?? sagaId,
        startedAt: now,
        deadline: now + this.timeoutMs,
        completed: [],
        compensated: [],
        failures: [],
        status: 'running',
        failedStep: undefined,
        compensateFailed: false,
        reason: undefined,
        chain: undefined,
      };
      state.chain = this.#chain(state);
      const saved = await this.#save(state);
      this.#emit(state, 'started', { resumed: false });
      if (saved !== undefined) return this.#rollback(state, saved);
      return this.#forward(state, options.signal);
    });
  }

  /**
   * Picks up a recorded run (after a crash, on any orchestrator of the same saga over the same store): a run going
   * forward continues or is compensated (see {@link SagaResumeOptions.mode}), a run compensating goes on
   * compensating, a `failed` run tries its failed compensations again, a finished run just reports its outcome.
   *
   * @throws SwitchboardError `SWB_CONFIG_INVALID` without a store, `SWB_SAGA_NOT_FOUND` for an unknown id (or
   * one of another saga), `SWB_STORE_UNAVAILABLE` when the store fails.
   *
   * @example
   * ```ts
   * const outcome = await spawning.resume(sagaId, { mode: 'compensate' });
   * ```
   */
  resume(sagaId: string, options: SagaResumeOptions = {}): Promise<SagaOutcome> {
    return this.#once(sagaId, async () => {
      const record = await this.#load(sagaId);
      if (record === undefined) {
        throw new SwitchboardError('SWB_SAGA_NOT_FOUND', `no run of saga '${this.name}' with this id`, {
          details: { saga: this.name, sagaId },
        });
      }
      return this.#resumeRecord(record, options);
    });
  }

  /**
   * Resumes every unfinished run of this saga in the store (`running` and `compensating`), one after another.
   * Call it when an orchestrator starts. The store holds no lease: with several orchestrators of one saga on one
   * store, let one of them recover (a run that another live orchestrator is driving would be run twice).
   *
   * @example
   * ```ts
   * const store = postgresSagaStore(pool); // any SagaStore
   * const spawning = createSaga(agentSpawningSaga, { store, publisher: bus });
   * for (const outcome of await spawning.recover()) log.info({ sagaId: outcome.sagaId, status: outcome.status });
   * ```
   */
  async recover(options: SagaResumeOptions = {}): Promise<SagaOutcome[]> {
    const store = this.#store();
    let records: readonly SagaRecord[];
    try {
      records = await store.list({ saga: this.name, statuses: ['running', 'compensating'] });
    } catch (error) {
      throw storeError(error, this.name);
    }
    const outcomes: SagaOutcome[] = [];
    for (const record of records) {
      outcomes.push(await this.#once(record.sagaId, () => this.#resumeRecord(record, options)));
    }
    return outcomes;
  }

  /** One promise per saga id at a time in this orchestrator: a second call joins the first. */
  #once(sagaId: string, start: () => Promise<SagaOutcome>): Promise<SagaOutcome> {
    const running = this.#running.get(sagaId);
    if (running !== undefined) return running;
    const promise = start().finally(() => this.#running.delete(sagaId));
    this.#running.set(sagaId, promise);
    return promise;
  }

  #store(): SagaStore {
    const store = this.#options.store;
    if (store === undefined) {
      throw new SwitchboardError('SWB_CONFIG_INVALID', `saga '${this.name}': resuming needs a store`, {
        details: { path: 'store', problem: 'required to resume' },
      });
    }
    return store;
  }

  async #load(sagaId: string): Promise<SagaRecord | undefined> {
    const store = this.#store();
    let record: SagaRecord | undefined;
    try {
      record = await store.load(sagaId);
    } catch (error) {
      throw storeError(error, this.name);
    }
    if (record !== undefined && record.saga !== this.name) {
      throw new SwitchboardError(
        'SWB_SAGA_NOT_FOUND',
        `run is recorded for another saga than '${this.name}'`,
        {
          details: { saga: this.name, sagaId, recordedSaga: record.saga },
        },
      );
    }
    return record;
  }

  async #resumeRecord(record: SagaRecord, options: SagaResumeOptions): Promise<SagaOutcome> {
    const state = this.#stateOf(record);
    if (record.status === 'completed' || record.status === 'compensated') return this.#outcome(state);
    state.chain = this.#chain(state);
    this.#emit(state, 'started', { resumed: true });
    if (record.status === 'running') {
      const mismatch = state.completed.findIndex((done, i) => this.#steps[i]?.name !== done.step);
      if (mismatch >= 0) {
        const error = new SwitchboardError(
          'SWB_CONFIG_INVALID',
          `saga '${this.name}': the recorded steps do not match the definition`,
          { details: { saga: this.name, sagaId: state.sagaId, step: state.completed[mismatch]!.step } },
        );
        return this.#rollback(state, error);
      }
      if (options.mode === 'compensate') {
        return this.#rollback(
          state,
          new SwitchboardError('SWB_ABORTED', `saga '${this.name}' compensated on recovery`, {
            details: { saga: this.name, sagaId: state.sagaId },
          }),
        );
      }
      return this.#forward(state, options.signal);
    }
    // compensating, or failed: compensate what is left (a failed run's failures are tried again).
    state.failures = [];
    return this.#rollback(state, state.reason ?? restoredError(record.error));
  }

  async #forward(state: RunState<I>, signal: AbortSignal | undefined): Promise<SagaOutcome> {
    const results = resultsOf(state.completed);
    const run: StepRun<I> = {
      saga: this.name,
      sagaId: state.sagaId,
      input: state.input,
      results,
      sagaDeadline: state.deadline,
      sagaTimeoutMs: this.timeoutMs,
      external: signal,
    };
    const sagaDeadline = createDeadline(
      Math.max(0, state.deadline - Date.now()),
      signal,
      `saga ${this.name}`,
    );
    try {
      for (let index = state.completed.length; index < this.#steps.length; index++) {
        const step = this.#steps[index]!;
        const stopped = stopReason(run as StepRun<unknown>, undefined);
        if (stopped !== undefined) return await this.#rollback(state, stopped.error);
        this.#emit(state, 'step.started', { step: step.name, index });
        const started = Date.now();
        let result: unknown;
        try {
          result = await runStep(step, run, sagaDeadline);
        } catch (failure) {
          const { error, timedOut } = failure as StepFailure;
          state.failedStep = step.name;
          state.compensateFailed = step.compensateOnFailure === true;
          this.#emit(state, 'step.failed', { step: step.name, index, error, timedOut });
          return await this.#rollback(state, error);
        }
        state.completed.push({ step: step.name, result });
        results[step.name] = result;
        const saveError = await this.#save(state);
        this.#emit(state, 'step.completed', { step: step.name, index, durationMs: Date.now() - started });
        if (saveError !== undefined) return await this.#rollback(state, saveError);
      }
    } finally {
      sagaDeadline.dispose();
    }
    state.status = 'completed';
    await this.#save(state);
    this.#emit(state, 'completed', { durationMs: Date.now() - state.startedAt });
    return this.#finish(state);
  }

  async #rollback(state: RunState<I>, reason: SwitchboardError): Promise<SagaOutcome> {
    state.status = 'compensating';
    state.reason = reason;
    const pending = this.#toCompensate(state);
    await this.#save(state);
    this.#emit(state, 'compensating', { steps: pending.map((p) => p.step.name), error: reason });
    const results = resultsOf(state.completed);
    for (const { step, result } of pending) {
      const entry = this.#byName.get(step.name)!;
      let attempts = 0;
      try {
        await entry.policy.execute(({ signal }) => {
          attempts++;
          return step.compensation!({
            sagaId: state.sagaId,
            step: step.name,
            input: state.input,
            result,
            results,
            signal,
            attempt: attempts,
            reason,
          });
        });
      } catch (error) {
        const failure: CompensationFailure = {
          step: step.name,
          error: toSwitchboardError(
            error,
            'SWB_HANDLER_FAILED',
            `saga '${this.name}' compensation of step '${step.name}' failed`,
            { details: { saga: this.name, step: step.name } },
          ),
          attempts,
        };
        state.failures.push(failure);
        await this.#save(state);
        this.#emit(state, 'compensation.failed', failure);
        continue;
      }
      state.compensated.push(step.name);
      await this.#save(state);
      this.#emit(state, 'step.compensated', { step: step.name, attempts });
    }
    if (state.failures.length === 0) {
      state.status = 'compensated';
      await this.#save(state);
      this.#emit(state, 'compensated', { steps: [...state.compensated], error: reason });
    } else {
      state.status = 'failed';
      await this.#save(state);
      this.#emit(state, 'failed', { error: this.#compensationFailed(state), failures: [...state.failures] });
    }
    return this.#finish(state);
  }

  /** Completed steps with a compensation that has not run yet, last completed first. */
  #toCompensate(state: RunState<I>): { step: SagaStep<I>; result: unknown }[] {
    const done = new Set(state.compensated);
    const entries: { step: string; result: unknown }[] = [...state.completed].reverse();
    if (state.compensateFailed && state.failedStep !== undefined)
      entries.unshift({ step: state.failedStep, result: undefined });
    const pending: { step: SagaStep<I>; result: unknown }[] = [];
    for (const entry of entries) {
      if (done.has(entry.step)) continue;
      const step = this.#byName.get(entry.step)?.step;
      if (step === undefined) {
        // A recorded step the definition no longer has: it cannot be undone here, and that must not go unseen.
        state.failures.push({
          step: entry.step,
          attempts: 0,
          error: new SwitchboardError(
            'SWB_CONFIG_INVALID',
            `saga '${this.name}' has no step '${entry.step}'`,
            {
              details: { saga: this.name, step: entry.step },
            },
          ),
        });
        continue;
      }
      if (step.compensation !== undefined) pending.push({ step, result: entry.result });
    }
    return pending;
  }

  #compensationFailed(state: RunState<I>): SwitchboardError {
    const steps = state.failures.map((f) => f.step);
    return new SwitchboardError(
      'SWB_COMPENSATION_FAILED',
      `saga '${this.name}': compensation failed for ${steps.map((s) => `'${s}'`).join(', ')}`,
      { cause: state.reason, details: { saga: this.name, sagaId: state.sagaId, steps } },
    );
  }

  async #finish(state: RunState<I>): Promise<SagaOutcome> {
    await state.chain?.flush();
    return this.#outcome(state);
  }

  #outcome(state: RunState<I>): SagaOutcome {
    const status = state.status === 'completed' || state.status === 'compensated' ? state.status : 'failed';
    const error = status === 'failed' ? this.#compensationFailed(state) : state.reason;
    return {
      sagaId: state.sagaId,
      saga: this.name,
      status,
      results: resultsOf(state.completed),
      completedSteps: state.completed.map((c) => c.step),
      ...(state.failedStep === undefined ? {} : { failedStep: state.failedStep }),
      ...(error === undefined ? {} : { error }),
      compensated: [...state.compensated],
      compensationFailures: [...state.failures],
    };
  }

  /** Saves the state; returns the store's error (as SWB_STORE_UNAVAILABLE), reported, instead of throwing. */
  async #save(state: RunState<I>): Promise<SwitchboardError | undefined> {
    const store = this.#options.store;
    if (store === undefined) return undefined;
    try {
      await store.save(this.#recordOf(state));
      return undefined;
    } catch (error) {
      this.events.emit('error', { sagaId: state.sagaId, saga: this.name, error, context: 'store' });
      return storeError(error, this.name);
    }
  }

  #recordOf(state: RunState<I>): SagaRecord {
    return {
      sagaId: state.sagaId,
      saga: this.name,
      status: state.status,
      input: state.input,
      completed: state.completed.map((c) => ({ step: c.step, result: c.result })),
      compensated: [...state.compensated],
      ...(state.failedStep === undefined ? {} : { failedStep: state.failedStep }),
      ...(state.compensateFailed ? { compensateFailed: true } : {}),
      ...(state.reason === undefined ? {} : { error: persistedError(state.reason) }),
      failures: state.failures.map((f) => ({
        step: f.step,
        attempts: f.attempts,
        ...persistedError(f.error),
      })),
      deadline: state.deadline,
      correlationId: state.correlationId,
      startedAt: state.startedAt,
      updatedAt: Date.now(),
    };
  }

  #stateOf(record: SagaRecord): RunState<I> {
    return {
      sagaId: record.sagaId,
      input: record.input as I,
      correlationId: record.correlationId ?? record.sagaId,
      startedAt: record.startedAt,
      deadline: record.deadline,
      completed: record.completed.map((c) => ({ step: c.step, result: c.result })),
      compensated: [...record.compensated],
      failures: record.failures.map((f) => ({ step: f.step, attempts: f.attempts, error: restoredError(f) })),
      status: record.status,
      failedStep: record.failedStep,
      compensateFailed: record.compensateFailed === true,
      reason: record.error === undefined ? undefined : restoredError(record.error),
      chain: undefined,
    };
  }

  #chain(state: RunState<I>): SagaMessageChain | undefined {
    const publisher = this.#options.publisher;
    if (publisher === undefined) return undefined;
    return new SagaMessageChain(publisher, state.sagaId, state.correlationId, (error) =>
      this.events.emit('error', { sagaId: state.sagaId, saga: this.name, error, context: 'publish' }),
    );
  }

  #emit<K extends SagaEventName>(state: RunState<I>, name: K, payload: Payload<K>): void {
    const event = { sagaId: state.sagaId, saga: this.name, ...payload };
    // eventemitter3's overloads take the argument tuple of one event name, not of a generic one.
    (this.events.emit as (name: string, event: unknown) => boolean)(name, event);
    state.chain?.push(toSagaMessage(name, event));
  }
}

function resultsOf(completed: readonly CompletedStepRecord[]): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const { step, result } of completed) results[step] = result;
  return results;
}

function storeError(error: unknown, saga: string): SwitchboardError {
  return toSwitchboardError(error, 'SWB_STORE_UNAVAILABLE', `saga '${saga}': the saga store failed`, {
    retryable: true,
    details: { saga },
  });
}

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** A persisted error as a SwitchboardError again (unknown codes become SWB_HANDLER_FAILED). */
function restoredError(error: PersistedError | undefined): SwitchboardError {
  if (error === undefined) return new SwitchboardError('SWB_HANDLER_FAILED', 'saga rolled back');
  const code = (KNOWN_CODES.has(error.code) ? error.code : 'SWB_HANDLER_FAILED') as ErrorCode;
  return new SwitchboardError(code, error.message);
}

/**
 * Creates the orchestrator of one saga definition.
 *
 * A failing or timed-out step (or the saga's own timeout, or the caller's abort) stops the run and runs the
 * compensations of the completed steps in reverse order, each retried by `compensationRetry` under its own
 * timeout; compensations that still fail are reported in the outcome, the `compensation.failed` event and the
 * store, never dropped. Steps get an `AbortSignal` from the shared deadline queue: no timer per step.
 *
 * @example
 * ```ts
 * import { createSaga, memorySagaStore } from 'switchboard/saga';
 *
 * // seed 004's agent_spawning_saga
 * const spawning = createSaga<{ agentId: string }>(
 *   {
 *     name: 'agent_spawning_saga',
 *     timeout: 300_000,
 *     steps: [
 *       { name: 'reserve_resources', timeout: 5_000,
 *         action: ({ input, signal }) => resources.reserve(input.agentId, { signal }),
 *         compensation: ({ input }) => resources.release(input.agentId) },
 *       { name: 'initialize_agent_state', timeout: 2_000,
 *         action: ({ input }) => agents.initialize(input.agentId),
 *         compensation: ({ input }) => agents.cleanup(input.agentId) },
 *       { name: 'register_with_mesh', timeout: 3_000,
 *         action: ({ input }) => mesh.register(input.agentId),
 *         compensation: ({ input }) => mesh.deregister(input.agentId) },
 *     ],
 *   },
 *   { store: memorySagaStore(), publisher: bus }, // saga.* messages on the bus
 * );
 * spawning.events.on('step.failed', ({ step, error }) => log.warn({ step, code: error.code }));
 * const outcome = await spawning.run({ agentId: 'agent-7' });
 * ```
 */
export function createSaga<I = unknown>(
  definition: SagaDefinition<I>,
  options: SagaOrchestratorOptions = {},
): SagaOrchestrator<I> {
  return new SagaOrchestrator(definition, options);
}
