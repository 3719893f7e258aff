import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBus } from '../../src/bus/index.js';
import type { Envelope } from '../../src/envelope/types.js';
import { isSwitchboardError, SwitchboardError } from '../../src/errors.js';
import { deadlineQueue } from '../../src/resilience/deadline-queue.js';
import { retry } from '../../src/resilience/retry.js';
import {
  createSaga,
  type SagaEventMap,
  type SagaMessage,
  type SagaMessageMap,
  type SagaOrchestrator,
  type SagaStore,
} from '../../src/saga/index.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import { loggingSaga, loggingStep, newLog, untilAborted } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  // Every step and compensation deadline was taken off the shared queue.
  expect(deadlineQueue.pending).toBe(0);
  vi.useRealTimers();
});

/** Records every event of an orchestrator as `name` or `name:step`. */
function trace<I>(saga: SagaOrchestrator<I>): string[] {
  const seen: string[] = [];
  const names: (keyof SagaEventMap)[] = [
    'started',
    'step.started',
    'step.completed',
    'step.failed',
    'compensating',
    'step.compensated',
    'compensation.failed',
    'compensated',
    'completed',
    'failed',
    'error',
  ];
  for (const name of names) {
    const listener = (event: { step?: string }): void => {
      seen.push(event.step === undefined ? name : `${name}:${event.step}`);
    };
    saga.events.on(name, listener as (...args: unknown[]) => void);
  }
  return seen;
}

describe('saga orchestrator: forward run', () => {
  it('runs the steps in order, hands each the results so far, and completes', async () => {
    const seenResults: unknown[] = [];
    const saga = createSaga<{ agentId: string }>({
      name: 'agent_spawning_saga',
      steps: [
        { name: 'reserve_resources', action: ({ input }) => ({ slot: `${input.agentId}-slot` }) },
        {
          name: 'initialize_agent_state',
          action: async ({ results, sagaId, step }) => {
            seenResults.push({ ...results }, sagaId, step);
            return 'initialised';
          },
        },
      ],
    });
    const events = trace(saga);
    const outcome = await saga.run({ agentId: 'a1' }, { sagaId: 'saga-1' });
    expect(outcome).toEqual({
      sagaId: 'saga-1',
      saga: 'agent_spawning_saga',
      status: 'completed',
      results: { reserve_resources: { slot: 'a1-slot' }, initialize_agent_state: 'initialised' },
      completedSteps: ['reserve_resources', 'initialize_agent_state'],
      compensated: [],
      compensationFailures: [],
    });
    expect(seenResults).toEqual([
      { reserve_resources: { slot: 'a1-slot' } },
      'saga-1',
      'initialize_agent_state',
    ]);
    expect(events).toEqual([
      'started',
      'step.started:reserve_resources',
      'step.completed:reserve_resources',
      'step.started:initialize_agent_state',
      'step.completed:initialize_agent_state',
      'completed',
    ]);
    expect(saga.steps).toEqual(['reserve_resources', 'initialize_agent_state']);
    expect(saga.timeoutMs).toBe(300_000);
  });

  it('a saga without steps completes; ids default to UUID v7', async () => {
    const outcome = await createSaga({ name: 'empty', steps: [] }).run(undefined);
    expect(outcome.status).toBe('completed');
    expect(outcome.sagaId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('a second run with the same id joins the first instead of running twice', async () => {
    const action = vi.fn(async () => 'once');
    const saga = createSaga({ name: 'joined', steps: [{ name: 'only', action }] });
    const [a, b] = await Promise.all([saga.run(1, { sagaId: 'x' }), saga.run(2, { sagaId: 'x' })]);
    expect(a).toBe(b);
    expect(action).toHaveBeenCalledTimes(1);
    // Once finished, the id is free again (without a store there is no record to resume).
    await saga.run(3, { sagaId: 'x' });
    expect(action).toHaveBeenCalledTimes(2);
  });

  it('rejects invalid definitions with SWB_CONFIG_INVALID naming the field', () => {
    const action = () => undefined;
    const bad: [unknown, string][] = [
      [{ name: '', steps: [] }, 'name'],
      [{ name: 's', steps: 'nope' }, 'steps'],
      [{ name: 's', steps: [], timeout: -1 }, 'timeout'],
      [{ name: 's', steps: [{ name: '', action }] }, 'steps[0].name'],
      [
        {
          name: 's',
          steps: [
            { name: 'a', action },
            { name: 'a', action },
          ],
        },
        'steps[1].name',
      ],
      [{ name: 's', steps: [{ name: 'a' }] }, 'steps[0].action'],
      [{ name: 's', steps: [{ name: 'a', action, compensation: 1 }] }, 'steps[0].compensation'],
      [{ name: 's', steps: [{ name: 'a', action, timeout: Number.NaN }] }, 'steps[0].timeout'],
      [
        { name: 's', steps: [{ name: 'a', action, compensationTimeout: -5 }] },
        'steps[0].compensationTimeout',
      ],
    ];
    for (const [definition, path] of bad) {
      let caught: unknown;
      try {
        createSaga(definition as never);
      } catch (error) {
        caught = error;
      }
      expect(isSwitchboardError(caught, 'SWB_CONFIG_INVALID'), path).toBe(true);
      expect((caught as SwitchboardError).details).toMatchObject({ path });
    }
  });
});

describe('saga orchestrator: failures and compensation', () => {
  it('a failing step compensates the completed steps in reverse order, each with its own result', async () => {
    const log = newLog();
    const seen: unknown[] = [];
    const definition = loggingSaga(4, log, 3);
    const saga = createSaga({
      ...definition,
      steps: definition.steps.map((step) => ({
        ...step,
        compensation: (ctx) => {
          seen.push([ctx.step, ctx.result, ctx.attempt, ctx.reason.code]);
          return step.compensation?.(ctx);
        },
      })),
    });
    const events = trace(saga);
    const outcome = await saga.run(undefined);
    expect(log.entries).toEqual(['do:s0', 'do:s1', 'do:s2', 'undo:s2', 'undo:s1', 'undo:s0']);
    expect(seen).toEqual([
      ['s2', 'r2', 1, 'SWB_HANDLER_FAILED'],
      ['s1', 'r1', 1, 'SWB_HANDLER_FAILED'],
      ['s0', 'r0', 1, 'SWB_HANDLER_FAILED'],
    ]);
    expect(outcome.status).toBe('compensated');
    expect(outcome.failedStep).toBe('s3');
    expect(outcome.completedSteps).toEqual(['s0', 's1', 's2']);
    expect(outcome.compensated).toEqual(['s2', 's1', 's0']);
    expect(isSwitchboardError(outcome.error, 'SWB_HANDLER_FAILED')).toBe(true);
    expect((outcome.error!.cause as Error).message).toBe('step s3 broke');
    expect(events.slice(-6)).toEqual([
      'step.failed:s3',
      'compensating',
      'step.compensated:s2',
      'step.compensated:s1',
      'step.compensated:s0',
      'compensated',
    ]);
  });

  it('a SwitchboardError from a step reaches the outcome unchanged', async () => {
    const own = new SwitchboardError('SWB_CIRCUIT_OPEN', 'mesh registry unavailable', { retryable: true });
    const saga = createSaga({
      name: 's',
      steps: [
        {
          name: 'a',
          action: () => {
            throw own;
          },
        },
      ],
    });
    const outcome = await saga.run(undefined);
    expect(outcome.error).toBe(own);
    expect(outcome.compensated).toEqual([]);
  });

  it('a step that outlives its timeout fails with SWB_TIMEOUT at the deadline, its signal aborted', async () => {
    const log = newLog();
    let stepSignal: AbortSignal | undefined;
    const saga = createSaga({
      name: 'agent_spawning_saga',
      steps: [
        loggingStep(0, log),
        {
          name: 'initialize_agent_state',
          timeout: 2_000,
          action: ({ signal }) => {
            stepSignal = signal;
            return new Promise(() => {}); // never settles and never looks at the signal
          },
        },
      ],
    });
    const failed = vi.fn();
    saga.events.on('step.failed', failed);
    const running = saga.run(undefined);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(failed).not.toHaveBeenCalled();
    expect(stepSignal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const outcome = await running;
    expect(stepSignal?.aborted).toBe(true);
    expect(outcome.status).toBe('compensated');
    expect(outcome.failedStep).toBe('initialize_agent_state');
    expect(outcome.error?.code).toBe('SWB_TIMEOUT');
    expect(outcome.error?.retryable).toBe(true);
    expect(outcome.error?.details).toEqual({
      saga: 'agent_spawning_saga',
      step: 'initialize_agent_state',
      timeoutMs: 2_000,
    });
    expect(failed).toHaveBeenCalledWith(expect.objectContaining({ timedOut: true, index: 1 }));
    expect(log.undone()).toEqual(['s0']);
  });

  it('the saga timeout bounds every step, with or without a timeout of its own', async () => {
    const log = newLog();
    const saga = createSaga({
      name: 'mesh_formation_saga',
      timeout: 3_000,
      compensationRetry: false,
      steps: [
        loggingStep(0, log, 'ok', { timeout: 10_000 }),
        { name: 'synchronize_state', timeout: 15_000, action: ({ signal }) => untilAborted(signal) },
      ],
    });
    const running = saga.run(undefined);
    await vi.advanceTimersByTimeAsync(3_000);
    const outcome = await running;
    expect(outcome.error?.message).toBe("saga 'mesh_formation_saga' timed out after 3000 ms");
    expect(outcome.error?.details).toEqual({
      saga: 'mesh_formation_saga',
      timeoutMs: 3_000,
      step: 'synchronize_state',
    });
    expect(outcome.failedStep).toBe('synchronize_state');
    expect(log.undone()).toEqual(['s0']);

    const unbounded = createSaga({
      name: 'unbounded_steps',
      timeout: 500,
      steps: [{ name: 'waits', action: ({ signal }) => untilAborted(signal) }],
    });
    const second = unbounded.run(undefined);
    await vi.advanceTimersByTimeAsync(500);
    expect((await second).error?.code).toBe('SWB_TIMEOUT');
  });

  it('does not start another step once the saga deadline has passed', async () => {
    const log = newLog();
    const saga = createSaga({
      name: 'late',
      timeout: 1_000,
      steps: [
        {
          ...loggingStep(0, log),
          action: () => {
            log.entries.push('do:s0');
            // The clock jumps past the deadline while the step works synchronously: no timer fires.
            vi.setSystemTime(Date.now() + 5_000);
            return 'r0';
          },
        },
        loggingStep(1, log),
      ],
    });
    const outcome = await saga.run(undefined);
    expect(log.entries).toEqual(['do:s0', 'undo:s0']);
    expect(outcome.failedStep).toBeUndefined();
    expect(outcome.error?.code).toBe('SWB_TIMEOUT');
  });

  it("the caller's abort stops the forward run with SWB_ABORTED and still compensates", async () => {
    const log = newLog();
    const controller = new AbortController();
    const saga = createSaga({
      name: 'aborted',
      steps: [loggingStep(0, log), { name: 'waits', action: ({ signal }) => untilAborted(signal) }],
    });
    const running = saga.run(undefined, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error('shutting down'));
    const outcome = await running;
    expect(outcome.error?.code).toBe('SWB_ABORTED');
    expect(outcome.error?.retryable).toBe(false);
    expect(log.undone()).toEqual(['s0']);
    // Aborted before it starts: nothing runs, nothing to compensate.
    const none = await saga.run(undefined, { signal: AbortSignal.abort() });
    expect(none.error?.code).toBe('SWB_ABORTED');
    expect(none.completedSteps).toEqual([]);
  });

  it('compensateOnFailure also compensates the failing step, first', async () => {
    const log = newLog();
    const results: unknown[] = [];
    const saga = createSaga({
      name: 'self',
      steps: [
        loggingStep(0, log),
        {
          name: 's1',
          compensateOnFailure: true,
          timeout: 100,
          action: () => new Promise(() => {}),
          compensation: ({ result }) => {
            results.push(result);
            log.entries.push('undo:s1');
          },
        },
      ],
    });
    const running = saga.run(undefined);
    await vi.advanceTimersByTimeAsync(100);
    const outcome = await running;
    expect(log.undone()).toEqual(['s1', 's0']);
    expect(results).toEqual([undefined]);
    expect(outcome.compensated).toEqual(['s1', 's0']);
  });

  it('steps without a compensation have nothing to undo', async () => {
    const saga = createSaga({
      name: 'plain',
      steps: [
        { name: 'a', action: () => 1 },
        {
          name: 'b',
          action: () => {
            throw new Error('no');
          },
        },
      ],
    });
    const outcome = await saga.run(undefined);
    expect(outcome.status).toBe('compensated');
    expect(outcome.compensated).toEqual([]);
  });
});

describe('saga orchestrator: compensation retries', () => {
  it('retries a failing compensation by the given policy and reports the attempts', async () => {
    const log = newLog();
    let failures = 2;
    const attempts: number[] = [];
    const saga = createSaga({
      ...loggingSaga(3, log, 2),
      compensationRetry: { maxAttempts: 3, initialDelay: 100, jitter: 'none' },
      steps: [
        {
          ...loggingStep(0, log),
          compensation: ({ attempt }) => {
            attempts.push(attempt);
            if (failures-- > 0) throw new Error('registry busy');
            log.entries.push('undo:s0');
          },
        },
        loggingStep(1, log),
        loggingStep(2, log, 'throw'),
      ],
    });
    const compensated = vi.fn();
    saga.events.on('step.compensated', compensated);
    const running = saga.run(undefined);
    await vi.advanceTimersByTimeAsync(1_000);
    const outcome = await running;
    expect(attempts).toEqual([1, 2, 3]);
    expect(log.undone()).toEqual(['s1', 's0']);
    expect(outcome.status).toBe('compensated');
    expect(compensated).toHaveBeenCalledWith(expect.objectContaining({ step: 's0', attempts: 3 }));
    expect(compensated).toHaveBeenCalledWith(expect.objectContaining({ step: 's1', attempts: 1 }));
  });

  it("by default retries with seed 004's policy: 3 attempts", async () => {
    const tries = vi.fn(() => {
      throw new Error('still down');
    });
    const saga = createSaga({
      name: 'seed_retry',
      steps: [
        { name: 'a', action: () => 1, compensation: tries },
        {
          name: 'b',
          action: () => {
            throw new Error('fail');
          },
        },
      ],
    });
    const running = saga.run(undefined);
    await vi.advanceTimersByTimeAsync(30_000);
    const outcome = await running;
    expect(tries).toHaveBeenCalledTimes(3);
    expect(outcome.compensationFailures).toMatchObject([{ step: 'a', attempts: 3 }]);
  });

  it('a compensation that still fails is reported, the others still run, and the saga is failed', async () => {
    const log = newLog();
    const saga = createSaga({
      ...loggingSaga(4, log, 3),
      compensationRetry: { maxAttempts: 2, initialDelay: 10, jitter: 'none' },
      steps: [
        loggingStep(0, log),
        {
          ...loggingStep(1, log),
          compensation: () => {
            throw new Error('connection pool exhausted');
          },
        },
        loggingStep(2, log),
        loggingStep(3, log, 'throw'),
      ],
    });
    const events = trace(saga);
    const running = saga.run(undefined);
    await vi.advanceTimersByTimeAsync(100);
    const outcome = await running;
    expect(log.undone()).toEqual(['s2', 's0']);
    expect(outcome.status).toBe('failed');
    expect(outcome.compensated).toEqual(['s2', 's0']);
    expect(outcome.compensationFailures).toHaveLength(1);
    expect(outcome.compensationFailures[0]).toMatchObject({ step: 's1', attempts: 2 });
    expect(outcome.compensationFailures[0]?.error.code).toBe('SWB_HANDLER_FAILED');
    expect(isSwitchboardError(outcome.error, 'SWB_COMPENSATION_FAILED')).toBe(true);
    expect(outcome.error?.details).toMatchObject({ steps: ['s1'] });
    expect((outcome.error!.cause as SwitchboardError).code).toBe('SWB_HANDLER_FAILED');
    expect(events.slice(-5)).toEqual([
      'compensating',
      'step.compensated:s2',
      'compensation.failed:s1',
      'step.compensated:s0',
      'failed',
    ]);
  });

  it('a permanent compensation error is not retried', async () => {
    const tries = vi.fn(() => {
      throw new SwitchboardError('SWB_HANDLER_FAILED', 'agent already gone', { retryable: false });
    });
    const saga = createSaga({
      name: 'permanent',
      steps: [
        { name: 'a', action: () => 1, compensation: tries },
        {
          name: 'b',
          action: () => {
            throw new Error('x');
          },
        },
      ],
    });
    const outcome = await saga.run(undefined);
    expect(tries).toHaveBeenCalledTimes(1);
    expect(outcome.status).toBe('failed');
  });

  it('each compensation attempt has its own timeout, even when the compensation ignores its signal', async () => {
    let calls = 0;
    const saga = createSaga({
      name: 'slow_undo',
      compensationRetry: retry({ maxAttempts: 2, initialDelay: 0, shouldRetry: () => true }),
      steps: [
        {
          name: 'establish_connections',
          timeout: 5_000,
          compensationTimeout: 200,
          action: () => 'conn',
          compensation: () => {
            calls++;
            return calls === 1 ? new Promise(() => {}) : 'closed';
          },
        },
        {
          name: 'b',
          action: () => {
            throw new Error('x');
          },
        },
      ],
    });
    const running = saga.run(undefined);
    await vi.advanceTimersByTimeAsync(199);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const outcome = await running;
    expect(calls).toBe(2);
    expect(outcome.status).toBe('compensated');
  });

  it('compensationRetry false: a single attempt', async () => {
    const tries = vi.fn(() => Promise.reject(new Error('down')));
    const saga = createSaga({
      name: 'once',
      compensationRetry: false,
      steps: [
        { name: 'a', action: () => 1, compensation: tries },
        {
          name: 'b',
          action: () => {
            throw new Error('x');
          },
        },
      ],
    });
    expect((await saga.run(undefined)).status).toBe('failed');
    expect(tries).toHaveBeenCalledTimes(1);
  });
});

describe('saga orchestrator: bus messages and store errors', () => {
  it('publishes each transition as saga.<event>, keyed by the saga, chained by causation, payload-free', async () => {
    vi.useRealTimers();
    const routes = (type: string) => (type.startsWith('saga.') ? 'saga-events' : type);
    // A typed bus fits as the publisher once its map includes the saga messages.
    const bus = createBus<SagaMessageMap>({ transport: memoryTransport(), source: 'orchestrator', routes });
    try {
      const seen: Envelope<SagaMessage>[] = [];
      await bus.subscribeTopic('saga-events', (envelope) => {
        seen.push(envelope as Envelope<SagaMessage>);
      });
      const log = newLog();
      const saga = createSaga({ ...loggingSaga(2, log, 1), name: 'audited' }, { publisher: bus });
      const outcome = await saga.run(
        { secret: 'do-not-publish' },
        { sagaId: 'run-7', correlationId: 'req-1' },
      );
      await vi.waitFor(() => expect(seen).toHaveLength(8));
      expect(seen.map((e) => e.type)).toEqual([
        'saga.started',
        'saga.step.started',
        'saga.step.completed',
        'saga.step.started',
        'saga.step.failed',
        'saga.compensating',
        'saga.step.compensated',
        'saga.compensated',
      ]);
      expect(outcome.status).toBe('compensated');
      expect(seen.every((e) => e.partitionkey === 'run-7' && e.correlationid === 'req-1')).toBe(true);
      expect(seen[0]?.causationid).toBeUndefined();
      for (let i = 1; i < seen.length; i++) expect(seen[i]?.causationid).toBe(seen[i - 1]?.id);
      expect(seen[4]?.data).toMatchObject({
        sagaId: 'run-7',
        saga: 'audited',
        event: 'step.failed',
        step: 's1',
        index: 1,
        timedOut: false,
        error: { code: 'SWB_HANDLER_FAILED' },
      });
      expect(JSON.stringify(seen.map((e) => e.data))).not.toContain('do-not-publish');
    } finally {
      await bus.close();
    }
  });

  it('a publisher that fails is reported through the error event and the saga goes on', async () => {
    const publisher = {
      publish: vi.fn((_type: string, _data: unknown) => Promise.reject(new Error('broker down'))),
    };
    const saga = createSaga({ name: 'p', steps: [{ name: 'a', action: () => 1 }] }, { publisher });
    const errors: unknown[] = [];
    saga.events.on('error', (event) => errors.push(event.context));
    const outcome = await saga.run(undefined);
    expect(outcome.status).toBe('completed');
    expect(errors).toEqual(['publish', 'publish', 'publish', 'publish']);
    expect(publisher.publish.mock.calls.map((call) => call[0])).toEqual([
      'saga.started',
      'saga.step.started',
      'saga.step.completed',
      'saga.completed',
    ]);
  });

  it('a store that fails while going forward rolls the run back with SWB_STORE_UNAVAILABLE', async () => {
    const log = newLog();
    let saves = 0;
    const store: SagaStore = {
      save: async () => {
        // The start and the first step are recorded; the second step's record fails.
        if (++saves === 3) throw new Error('disk full');
      },
      load: async () => undefined,
      list: async () => [],
      delete: async () => {},
    };
    const saga = createSaga(loggingSaga(3, log), { store });
    const errors: string[] = [];
    saga.events.on('error', (event) => errors.push(event.context));
    const outcome = await saga.run(undefined);
    expect(log.entries).toEqual(['do:s0', 'do:s1', 'undo:s1', 'undo:s0']);
    expect(outcome.status).toBe('compensated');
    expect(outcome.error?.code).toBe('SWB_STORE_UNAVAILABLE');
    expect(outcome.error?.retryable).toBe(true);
    expect(errors).toEqual(['store']);
  });

  it('a store that fails on the very first record runs nothing', async () => {
    const log = newLog();
    const store: SagaStore = {
      save: () => Promise.reject(new Error('down')),
      load: async () => undefined,
      list: async () => [],
      delete: async () => {},
    };
    const outcome = await createSaga(loggingSaga(2, log), { store }).run(undefined);
    expect(log.entries).toEqual([]);
    expect(outcome.error?.code).toBe('SWB_STORE_UNAVAILABLE');
  });
});
