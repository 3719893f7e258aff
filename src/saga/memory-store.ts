/**
 * The in-memory saga store: for tests, and for orchestrators that share one process.
 *
 * @module
 */
import type { SagaListFilter, SagaRecord, SagaStore } from './store.js';

/**
 * The store {@link memorySagaStore} returns.
 *
 * @example
 * ```ts
 * import { createSaga, memorySagaStore } from 'switchboard/saga';
 *
 * const store = memorySagaStore();
 * await createSaga(agentSpawningSaga, { store }).run({ agentId: 'agent-7' }, { sagaId: 'spawn-agent-7' });
 * (await store.load('spawn-agent-7'))?.status; // 'completed', 'compensated' or 'failed'
 * const unfinished = await store.list({ statuses: ['running', 'compensating'] });
 * ```
 */
export class MemorySagaStore implements SagaStore {
  readonly #records = new Map<string, SagaRecord>();

  /** Number of records held. */
  get size(): number {
    return this.#records.size;
  }

  save(record: SagaRecord): Promise<void> {
    // A copy, as a database would keep: later changes to the caller's objects must not leak into the store.
    this.#records.set(record.sagaId, structuredClone(record));
    return Promise.resolve();
  }

  load(sagaId: string): Promise<SagaRecord | undefined> {
    const record = this.#records.get(sagaId);
    return Promise.resolve(record === undefined ? undefined : structuredClone(record));
  }

  list(filter: SagaListFilter = {}): Promise<readonly SagaRecord[]> {
    const found: SagaRecord[] = [];
    for (const record of this.#records.values()) {
      if (filter.saga !== undefined && record.saga !== filter.saga) continue;
      if (filter.statuses !== undefined && !filter.statuses.includes(record.status)) continue;
      found.push(structuredClone(record));
    }
    return Promise.resolve(found);
  }

  delete(sagaId: string): Promise<void> {
    this.#records.delete(sagaId);
    return Promise.resolve();
  }
}

/**
 * Creates an in-memory {@link SagaStore}. Records are copied in and out (as a database would), but they live in
 * this process only: a crashed process loses them. Use it in tests, or to hand sagas between orchestrators of
 * one process; give a real deployment a store over its database.
 *
 * @example
 * ```ts
 * import { createSaga, memorySagaStore } from 'switchboard/saga';
 *
 * const store = memorySagaStore();
 * const spawning = createSaga(agentSpawningSaga, { store });
 * // after a restart, on the same store:
 * await createSaga(agentSpawningSaga, { store }).recover();
 * ```
 */
export function memorySagaStore(): MemorySagaStore {
  return new MemorySagaStore();
}
