/**
 * The transactional outbox on PostgreSQL: write outgoing messages in the same transaction as the business rows,
 * and let a relay publish them.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { WireMessage } from '../envelope/types.js';
import { SwitchboardError } from '../errors.js';
import { pgError } from './errors.js';
import {
  type OutboxRelay,
  type OutboxRelayOptions,
  type RelayBatchResult,
  relayBatch,
  resolveRelayOptions,
} from './outbox-relay.js';
import { type OutboxStatements, outboxSchemaSql, outboxStatements } from './outbox-sql.js';
import { derivedName, type Queryable } from './sql.js';

/** Options of {@link createOutbox}. */
export interface OutboxOptions {
  /** The pool the relay and the maintenance calls use. `enqueue` uses whatever client you give it. */
  readonly pool: pg.Pool;
  /** The outbox table, `name` or `schema.name`. Default `switchboard_outbox`. */
  readonly table?: string;
  /** The `NOTIFY` channel. Default derived from the table (`<table>_pending`). */
  readonly channel?: string;
}

/** One outgoing message for {@link Outbox.enqueue}. */
export interface OutboxEntry {
  /** The topic to publish to. */
  readonly topic: string;
  /** Key, headers and body as the transport will publish them (for example from the bus's encoder). */
  readonly message: WireMessage;
  /**
   * Id for deduplication downstream and broker-side (JetStream `Nats-Msg-Id`). Default: the `ce_id` / `ce-id`
   * header, else a fresh UUID.
   */
  readonly messageId?: string;
  /**
   * Rows with the same partition key are published in the order they were enqueued, one after another. Default:
   * `message.key`. Without either, a row is ordered with nothing.
   */
  readonly partitionKey?: string;
}

/** What {@link Outbox.enqueue} wrote. */
export interface EnqueueResult {
  /** The row id (a bigint, as a string). */
  readonly id: string;
  /** The message id the relay will publish with. */
  readonly messageId: string;
}

/** Options of {@link Outbox.cleanupSent}. */
export interface CleanupSentOptions {
  /** Keep rows sent less than this long ago, in milliseconds. Default 0. */
  readonly olderThanMs?: number;
  /** Rows deleted per statement. Default 1000. */
  readonly batchSize?: number;
  /** Statements at most. Default 100. */
  readonly maxBatches?: number;
}

/** A transactional outbox. */
export interface Outbox {
  /** The quoted table name. */
  readonly table: string;
  /** The `NOTIFY` channel. */
  readonly channel: string;
  /** Creates the table and its indexes when missing; safe from several processes at once. */
  ensureSchema(): Promise<void>;
  /**
   * Writes `entry` through `db`: pass the client of your open transaction (`BEGIN` ... `COMMIT`), so the message
   * exists exactly when your business rows do. The relay is notified when that transaction commits (nothing is
   * sent if it rolls back). With a pool instead of a transaction client, the row commits on its own.
   */
  enqueue(db: Queryable, entry: OutboxEntry): Promise<EnqueueResult>;
  /** Runs one relay batch now (tests, cron-style relays). */
  relayOnce(options: OutboxRelayOptions): Promise<RelayBatchResult>;
  /**
   * Starts a relay: batches of pending rows are published through `transport.publish`, marked sent, and retried
   * with back-off when publishing fails; rows of one partition key go in enqueue order. Several relays (in one
   * process or many) may run at once: each claims rows with `FOR UPDATE SKIP LOCKED` and never takes a row
   * whose key has an older unsent row. Delivery is at least once: a relay that dies between publish and mark
   * leaves the rows to be published again, so consumers deduplicate by message id (the idempotency stores).
   */
  startRelay(options: OutboxRelayOptions): OutboxRelay;
  /** Rows not yet sent. */
  pending(): Promise<number>;
  /** Deletes sent rows in bounded batches; returns how many. */
  cleanupSent(options?: CleanupSentOptions): Promise<number>;
}

function checkEntry(entry: OutboxEntry): void {
  if (typeof entry?.topic !== 'string' || entry.topic.length === 0) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', 'outbox entry needs a non-empty topic');
  }
  const message = entry.message as Partial<WireMessage> | undefined;
  if (
    !(message?.body instanceof Uint8Array) ||
    typeof message.headers !== 'object' ||
    message.headers === null ||
    !Object.values(message.headers).every((value) => typeof value === 'string')
  ) {
    throw new SwitchboardError(
      'SWB_ENVELOPE_INVALID',
      'outbox entry needs a wire message: string headers and a Uint8Array body',
      { details: { topic: entry.topic } },
    );
  }
}

/**
 * Creates a transactional outbox on PostgreSQL: the fix for "the API call succeeds but the Kafka acknowledgement
 * fails" (seed 002). The business write and the outgoing message commit together; a relay publishes afterwards,
 * at least once, and consumers deduplicate with an idempotency store.
 *
 * @example
 * ```ts
 * import { createOutbox } from 'switchboard/postgres';
 *
 * const outbox = createOutbox({ pool });
 * await outbox.ensureSchema();
 *
 * const client = await pool.connect();
 * try {
 *   await client.query('BEGIN');
 *   await client.query('INSERT INTO tasks (id, title) VALUES ($1, $2)', [taskId, title]);
 *   await outbox.enqueue(client, { topic: 'task-events', message: wire, partitionKey: taskId });
 *   await client.query('COMMIT');
 * } catch (err) {
 *   await client.query('ROLLBACK');
 *   throw err;
 * } finally {
 *   client.release();
 * }
 *
 * const relay = outbox.startRelay({ transport, batchSize: 100, pollIntervalMs: 1000 });
 * // on shutdown
 * await relay.stop();
 * ```
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const sql: OutboxStatements = outboxStatements(options.table ?? 'switchboard_outbox');
  const channel = options.channel ?? derivedName(sql.table.stem, 'pending');
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(channel)) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', 'channel must be letters, digits and underscores', {
      details: { channel },
    });
  }
  const pool = options.pool;

  async function run<T>(op: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw pgError('postgres outbox', op, error);
    }
  }

  async function counted(op: string, text: string, values: unknown[], batchSize: number, maxBatches: number) {
    let total = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const deleted = (await run(op, () => pool.query(text, [batchSize, ...values]))).rowCount ?? 0;
      total += deleted;
      if (deleted < batchSize) break;
    }
    return total;
  }

  return {
    table: sql.table.sql,
    channel,

    async ensureSchema(): Promise<void> {
      const lockKey = `switchboard.schema.${sql.table.stem}`;
      await run('ensureSchema', () =>
        pool.query(
          `SELECT pg_advisory_xact_lock(hashtext('${lockKey}'));\n${outboxSchemaSql(options.table)}`,
        ),
      );
    },

    async enqueue(db: Queryable, entry: OutboxEntry): Promise<EnqueueResult> {
      checkEntry(entry);
      const headers = entry.message.headers;
      const messageId = entry.messageId ?? headers.ce_id ?? headers['ce-id'] ?? randomUUID();
      const body = entry.message.body;
      const result = await run('enqueue', () =>
        db.query<{ id: string }>({
          text: sql.enqueue,
          values: [
            entry.topic,
            entry.partitionKey ?? entry.message.key ?? null,
            messageId,
            entry.message.key ?? null,
            JSON.stringify(headers),
            Buffer.from(body.buffer, body.byteOffset, body.byteLength),
            channel,
          ],
        }),
      );
      return { id: (result.rows[0] as { id: string }).id, messageId };
    },

    relayOnce(relayOptions: OutboxRelayOptions): Promise<RelayBatchResult> {
      return relayBatch(pool, sql, resolveRelayOptions(relayOptions));
    },

    startRelay(relayOptions: OutboxRelayOptions): OutboxRelay {
      return startRelayLoop(pool, sql, channel, relayOptions);
    },

    async pending(): Promise<number> {
      const result = await run('pending', () => pool.query<{ n: number }>(sql.pending));
      return result.rows[0]?.n ?? 0;
    },

    async cleanupSent(cleanup: CleanupSentOptions = {}): Promise<number> {
      const batchSize = cleanup.batchSize ?? 1000;
      const maxBatches = cleanup.maxBatches ?? 100;
      const olderThanMs = cleanup.olderThanMs ?? 0;
      if (!Number.isInteger(batchSize) || batchSize < 1 || !Number.isInteger(maxBatches) || maxBatches < 1) {
        throw new SwitchboardError(
          'SWB_CONFIG_INVALID',
          'batchSize and maxBatches must be positive integers',
        );
      }
      return counted('cleanupSent', sql.cleanupSent, [olderThanMs], batchSize, maxBatches);
    },
  };
}

function startRelayLoop(
  pool: pg.Pool,
  sql: OutboxStatements,
  channel: string,
  relayOptions: OutboxRelayOptions,
): OutboxRelay {
  const options = resolveRelayOptions(relayOptions);
  let running = true;
  let woken = false;
  let wake: (() => void) | undefined;
  let listener: pg.PoolClient | undefined;
  let listening: Promise<void> | undefined;
  const stats = { published: 0, failed: 0, batches: 0 };

  const signal = () => {
    woken = true;
    wake?.();
  };

  function waitForWake(ms: number): Promise<void> {
    if (woken || !running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  function dropListener(client: pg.PoolClient, error?: unknown): void {
    if (listener !== client) return;
    listener = undefined;
    client.removeAllListeners('notification');
    client.release(error === undefined ? undefined : true);
  }

  async function listen(): Promise<void> {
    let client: pg.PoolClient | undefined;
    try {
      client = await pool.connect();
      const c = client;
      c.on('notification', signal);
      c.on('error', (error) => {
        options.onError(pgError('postgres outbox relay', 'listen', error));
        dropListener(c, error);
        // Poll at once: notifications may have been lost while the connection died.
        signal();
      });
      listener = c;
      await c.query(`LISTEN "${channel}"`);
    } catch (error) {
      options.onError(pgError('postgres outbox relay', 'listen', error));
      if (client !== undefined) dropListener(client, error);
    }
  }

  async function loop(): Promise<void> {
    let errorStreak = 0;
    while (running) {
      if (options.listen && listener === undefined) {
        listening ??= listen().finally(() => {
          listening = undefined;
        });
        await listening;
      }
      woken = false;
      let result: RelayBatchResult;
      try {
        result = await relayBatch(pool, sql, options);
        errorStreak = 0;
      } catch (error) {
        options.onError(pgError('postgres outbox relay', 'batch', error));
        errorStreak++;
        await waitForWake(Math.min(options.maxMs, options.initialMs * 2 ** Math.min(errorStreak - 1, 30)));
        continue;
      }
      stats.batches++;
      stats.published += result.published;
      stats.failed += result.failed;
      // A full batch suggests more rows wait: go again at once. Otherwise sleep until notified or polled.
      if (result.claimed >= options.batchSize && result.failed === 0) continue;
      await waitForWake(options.pollIntervalMs);
    }
  }

  const done = loop();
  let stopped: Promise<void> | undefined;

  return {
    get running() {
      return running;
    },
    stats: () => ({ ...stats }),
    stop(): Promise<void> {
      stopped ??= (async () => {
        running = false;
        signal();
        await done;
        await listening;
        const client = listener;
        if (client !== undefined) {
          await client.query(`UNLISTEN "${channel}"`).catch(() => {});
          dropListener(client);
        }
      })();
      return stopped;
    },
  };
}
