import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSwitchboardError } from '../../src/errors.js';
import { deadlineQueue } from '../../src/resilience/deadline-queue.js';
import {
  createSaga,
  type MemorySagaStore,
  memorySagaStore,
  type SagaRecord,
  type SagaStep,
} from '../../src/saga/index.js';
import { loggingSaga, loggingStep, newLog } from './helpers.js';

afterEach(() => {
  expect(deadlineQueue.pending).toBe(0);
});

/** A step that waits until the test lets it go: the "crash" happens while it is in flight. */
function gate(): { step: (name: string) => SagaStep; release: () => void; entered: Promise<void> } {
  let release!: () => void;
  let entered!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const enteredPromise = new Promise<void>((resolve) => {
    entered = resolve;
  });
  return {
    release,
    entered: enteredPromise,
    step: (name) => ({
      name,
      action: async () => {
        entered();
        await released;
        return `${name}-late`;
      },
    }),
  };
}

/**
 * Runs a saga until its step `s1` is in flight, then copies the store as a database would have it at that moment
 * (the crash), and lets the abandoned run finish in its own store.
 */
async function crashedRecord(): Promise<{ store: MemorySagaStore; record: SagaRecord }> {
  const log = newLog();
  const crashing = memorySagaStore();
  const { step, release, entered } = gate();
  const saga = createSaga(
    { name: 'agent_spawning_saga', steps: [loggingStep(0, log), step('s1'), loggingStep(2, log)] },
    { store: crashing },
  );
  const abandoned = saga.run({ agentId: 'a-9' }, { sagaId: 'crash-1', correlationId: 'corr-1' });
  await entered;
  const record = (await crashing.load('crash-1'))!;
  release();
  await abandoned;
  const store = memorySagaStore();
  await store.save(record);
  return { store, record };
}

/** The definition a restarted orchestrator has: same names, fresh functions. */
function restarted(log: ReturnType<typeof newLog>) {
  return { ...loggingSaga(3, log), name: 'agent_spawning_saga' };
}

describe('memory saga store', () => {
  it('copies records in and out, lists by saga and status, deletes', async () => {
    const store = memorySagaStore();
    const record: SagaRecord = {
      sagaId: 'a',
      saga: 'one',
      status: 'running',
      input: { nested: { n: 1 } },
      completed: [],
      compensated: [],
      failures: [],
      deadline: 1,
      startedAt: 0,
      updatedAt: 0,
    };
    await store.save(record);
    await store.save({ ...record, sagaId: 'b', status: 'completed' });
    await store.save({ ...record, sagaId: 'c', saga: 'two' });
    (record.input as { nested: { n: number } }).nested.n = 2;
    expect((await store.load('a'))?.input).toEqual({ nested: { n: 1 } });
    expect(store.size).toBe(3);
    expect((await store.list()).map((r) => r.sagaId)).toEqual(['a', 'b', 'c']);
    expect((await store.list({ saga: 'one' })).map((r) => r.sagaId)).toEqual(['a', 'b']);
    expect((await store.list({ statuses: ['running'] })).map((r) => r.sagaId)).toEqual(['a', 'c']);
    await store.delete('a');
    expect(await store.load('a')).toBeUndefined();
  });
});

describe('saga persistence and recovery', () => {
  it('records every transition: the crashed run is running with its completed steps', async () => {
    const { record } = await crashedRecord();
    expect(record).toMatchObject({
      sagaId: 'crash-1',
      saga: 'agent_spawning_saga',
      status: 'running',
      input: { agentId: 'a-9' },
      completed: [{ step: 's0', result: 'r0' }],
      compensated: [],
      failures: [],
      correlationId: 'corr-1',
    });
    expect(record.deadline - record.startedAt).toBe(300_000);
  });

  it('resume continues a crashed run from the step that was in flight', async () => {
    const { store } = await crashedRecord();
    const log = newLog();
    const saga = createSaga(restarted(log), { store });
    const started = vi.fn();
    saga.events.on('started', started);
    const outcome = await saga.resume('crash-1');
    expect(started).toHaveBeenCalledWith({ sagaId: 'crash-1', saga: 'agent_spawning_saga', resumed: true });
    // s0 is not run again; s1, in flight at the crash, is.
    expect(log.entries).toEqual(['do:s1', 'do:s2']);
    expect(outcome.status).toBe('completed');
    expect(outcome.results).toEqual({ s0: 'r0', s1: 'r1', s2: 'r2' });
    expect((await store.load('crash-1'))?.status).toBe('completed');
    // A finished run only reports its outcome.
    const again = await saga.resume('crash-1');
    expect(again.status).toBe('completed');
    expect(log.entries).toEqual(['do:s1', 'do:s2']);
  });

  it("resume in compensate mode rolls the crashed run back with the recorded steps' results", async () => {
    const { store } = await crashedRecord();
    const results: unknown[] = [];
    const log = newLog();
    const definition = restarted(log);
    const saga = createSaga(
      {
        ...definition,
        steps: definition.steps.map((step) => ({
          ...step,
          compensation: (ctx) => {
            results.push(ctx.result, ctx.input);
            return step.compensation?.(ctx);
          },
        })),
      },
      { store },
    );
    const outcome = await saga.resume('crash-1', { mode: 'compensate' });
    expect(log.entries).toEqual(['undo:s0']);
    expect(results).toEqual(['r0', { agentId: 'a-9' }]);
    expect(outcome.status).toBe('compensated');
    expect(outcome.error?.code).toBe('SWB_ABORTED');
    expect((await store.load('crash-1'))?.status).toBe('compensated');
  });

  it('a run resumed after its saga deadline is compensated with SWB_TIMEOUT', async () => {
    const { store, record } = await crashedRecord();
    await store.save({ ...record, deadline: Date.now() - 1 });
    const log = newLog();
    const outcome = await createSaga(restarted(log), { store }).resume('crash-1');
    expect(log.entries).toEqual(['undo:s0']);
    expect(outcome.error?.code).toBe('SWB_TIMEOUT');
  });

  it('a run that crashed while compensating goes on with what is left', async () => {
    const { store, record } = await crashedRecord();
    await store.save({
      ...record,
      status: 'compensating',
      completed: [
        { step: 's0', result: 'r0' },
        { step: 's1', result: 'r1' },
      ],
      compensated: ['s1'],
      failedStep: 's2',
      error: { code: 'SWB_TIMEOUT', message: 'step s2 timed out' },
    });
    const log = newLog();
    const saga = createSaga(restarted(log), { store });
    const reasons: string[] = [];
    saga.events.on('compensating', (event) => reasons.push(event.error.code));
    const outcome = await saga.resume('crash-1');
    expect(log.entries).toEqual(['undo:s0']);
    expect(reasons).toEqual(['SWB_TIMEOUT']);
    expect(outcome).toMatchObject({ status: 'compensated', failedStep: 's2', compensated: ['s1', 's0'] });
  });

  it('a failed run is resumed by trying its failed compensations again', async () => {
    const log = newLog();
    const store = memorySagaStore();
    let brokenUndo = true;
    const definition = loggingSaga(3, log, 2);
    const steps: SagaStep[] = definition.steps.map((step) =>
      step.name === 's0'
        ? {
            ...step,
            compensation: (ctx) => {
              if (brokenUndo) throw new Error('mesh registry down');
              return step.compensation?.(ctx);
            },
          }
        : step,
    );
    const saga = createSaga({ ...definition, steps }, { store });
    const first = await saga.run(undefined, { sagaId: 'f-1' });
    expect(first.status).toBe('failed');
    const stored = await store.load('f-1');
    expect(stored?.status).toBe('failed');
    expect(stored?.failures).toEqual([
      {
        step: 's0',
        attempts: 1,
        code: 'SWB_HANDLER_FAILED',
        message: "saga 'test_saga' compensation of step 's0' failed",
      },
    ]);
    brokenUndo = false;
    const second = await saga.resume('f-1');
    expect(second.status).toBe('compensated');
    expect(second.compensated).toEqual(['s1', 's0']);
    expect(log.undone()).toEqual(['s1', 's0']);
    expect(second.compensationFailures).toEqual([]);
  });

  it('run with a recorded id resumes it instead of starting again (a command delivered twice)', async () => {
    const log = newLog();
    const store = memorySagaStore();
    const saga = createSaga(loggingSaga(2, log), { store });
    await saga.run(undefined, { sagaId: 'cmd-1' });
    const again = await saga.run(undefined, { sagaId: 'cmd-1' });
    expect(again.status).toBe('completed');
    expect(log.done()).toEqual(['s0', 's1']);
  });

  it('recover resumes every unfinished run of its own saga', async () => {
    const { store, record } = await crashedRecord();
    await store.save({ ...record, sagaId: 'crash-2', status: 'compensating', compensated: [] });
    await store.save({ ...record, sagaId: 'done', status: 'completed' });
    await store.save({ ...record, sagaId: 'other', saga: 'mesh_formation_saga' });
    const log = newLog();
    const outcomes = await createSaga(restarted(log), { store }).recover();
    expect(outcomes.map((o) => [o.sagaId, o.status])).toEqual([
      ['crash-1', 'completed'],
      ['crash-2', 'compensated'],
    ]);
    expect((await store.load('other'))?.status).toBe('running');
  });

  it('a recorded step the definition no longer has is reported, not skipped silently', async () => {
    const { store, record } = await crashedRecord();
    await store.save({ ...record, completed: [{ step: 'old_step', result: 1 }] });
    const log = newLog();
    const outcome = await createSaga(restarted(log), { store }).resume('crash-1');
    expect(outcome.status).toBe('failed');
    expect(outcome.compensationFailures.map((f) => [f.step, f.error.code])).toEqual([
      ['old_step', 'SWB_CONFIG_INVALID'],
    ]);
  });

  it('errors: no store, unknown id, another saga, a failing store', async () => {
    const log = newLog();
    const noStore = createSaga(loggingSaga(1, log));
    await expect(noStore.resume('x')).rejects.toSatisfy((e) => isSwitchboardError(e, 'SWB_CONFIG_INVALID'));
    await expect(noStore.recover()).rejects.toSatisfy((e) => isSwitchboardError(e, 'SWB_CONFIG_INVALID'));
    const store = memorySagaStore();
    const saga = createSaga(loggingSaga(1, log), { store });
    await expect(saga.resume('nope')).rejects.toSatisfy((e) => isSwitchboardError(e, 'SWB_SAGA_NOT_FOUND'));
    await createSaga({ ...loggingSaga(1, log), name: 'another' }, { store }).run(undefined, { sagaId: 'o' });
    await expect(saga.resume('o')).rejects.toSatisfy((e) => isSwitchboardError(e, 'SWB_SAGA_NOT_FOUND'));
    await expect(saga.run(undefined, { sagaId: 'o' })).rejects.toSatisfy((e) =>
      isSwitchboardError(e, 'SWB_SAGA_NOT_FOUND'),
    );
    const broken = createSaga(loggingSaga(1, log), {
      store: {
        save: async () => {},
        load: () => Promise.reject(new Error('connection refused')),
        list: () => Promise.reject(new Error('connection refused')),
        delete: async () => {},
      },
    });
    await expect(broken.resume('x')).rejects.toSatisfy(
      (e) => isSwitchboardError(e, 'SWB_STORE_UNAVAILABLE') && e.retryable,
    );
    await expect(broken.recover()).rejects.toSatisfy((e) => isSwitchboardError(e, 'SWB_STORE_UNAVAILABLE'));
  });
});
