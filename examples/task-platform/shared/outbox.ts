/**
 * A service's transactional outbox on the library's PostgreSQL outbox: events commit with the rows that caused
 * them, and a relay publishes them. On PGlite (one connection, no LISTEN) the relay polls, and the service
 * flushes right after each commit so events leave at once.
 *
 * @module
 */
import type { WireMessage } from '../../../src/index.js';
import { createOutbox, type OutboxRelay } from '../../../src/postgres/index.js';
import type { Transport } from '../../../src/transport/types.js';
import type { Database, Sql } from './database.js';

/** What to write: the output of `bus.prepare(type, data, { key })`. */
export interface PreparedMessage {
  readonly topic: string;
  readonly message: WireMessage;
  readonly envelope: { readonly id: string };
}

/** A running outbox. */
export interface ServiceOutbox {
  /** Writes `prepared` in the transaction `tx`. */
  enqueue(tx: Sql, prepared: PreparedMessage): Promise<void>;
  /** Publishes what is pending now (after a commit, where no NOTIFY wakes the relay). Never rejects. */
  flush(): Promise<void>;
  /** Rows not yet published. */
  pending(): Promise<number>;
  /** Stops the relay after its batch in flight. */
  stop(): Promise<void>;
}

/** Options of {@link startOutbox}. */
export interface StartOutboxOptions {
  readonly db: Database;
  readonly transport: Pick<Transport, 'publish'>;
  /** The outbox table of this service. */
  readonly table: string;
  /** How often the relay polls, ms. Default 1000 on PostgreSQL (NOTIFY wakes it sooner), 250 on PGlite. */
  readonly pollIntervalMs?: number;
  /** Told about publish and database failures (rows are retried with back-off). */
  readonly onError?: (error: Error) => void;
}

/**
 * Creates the outbox table when missing and starts its relay.
 *
 * @example
 * ```ts
 * const outbox = await startOutbox({ db, transport: bus.transport, table: 'task_outbox' });
 * await db.transaction(async (tx) => {
 *   await tx.rows('INSERT INTO tasks ...', [...]);
 *   await outbox.enqueue(tx, bus.prepare('task.created.v1', event, { key: task.id }));
 * });
 * await outbox.flush();
 * ```
 */
export async function startOutbox(options: StartOutboxOptions): Promise<ServiceOutbox> {
  const outbox = createOutbox({ pool: options.db.pool, table: options.table });
  await outbox.ensureSchema();
  const onError = options.onError ?? (() => {});
  const relayOptions = {
    transport: options.transport,
    listen: options.db.canListen,
    pollIntervalMs: options.pollIntervalMs ?? (options.db.canListen ? 1000 : 250),
    backoff: { initialMs: 100, maxMs: 5000 },
    // The seed's publish timeout (Backend API -> Kafka: 5 s); rows not published by then are retried.
    publishTimeoutMs: 5000,
    onError,
  };
  const relay: OutboxRelay = outbox.startRelay(relayOptions);
  let flushing: Promise<void> = Promise.resolve();
  let stopped = false;
  return {
    async enqueue(tx, prepared) {
      await outbox.enqueue(tx.client, {
        topic: prepared.topic,
        message: prepared.message,
        messageId: prepared.envelope.id,
      });
    },
    flush() {
      if (options.db.canListen || stopped) return Promise.resolve();
      // One flush at a time: they would only queue on PGlite's single connection anyway.
      flushing = flushing.then(async () => {
        try {
          await outbox.relayOnce(relayOptions);
        } catch (error) {
          onError(error as Error);
        }
      });
      return flushing;
    },
    pending: () => outbox.pending(),
    async stop() {
      stopped = true;
      await flushing;
      await relay.stop();
    },
  };
}
