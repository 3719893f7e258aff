/**
 * The PostgreSQL idempotency store: an event log table, as seed 002's `EventLog`.
 *
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { SwitchboardError } from '../errors.js';
import type { IdempotencyStore, ReserveResult } from '../idempotency/types.js';
import { assertKey, durationMs } from '../idempotency/validate.js';
import { pgError } from './errors.js';
import { derivedName, type Queryable, tableName, withTimeout } from './sql.js';

/** Options of {@link postgresIdempotencyStore}: give `pool` or `connectionString`. */
export interface PostgresIdempotencyStoreOptions {
  /** A pool (or client) you already have. The store never ends it. */
  readonly pool?: Queryable;
  /**
   * `postgres://user@host:5432/db` for a pool the store creates and ends on `close()`, with
   * `connectionTimeoutMillis` and `query_timeout` set to `timeoutMs`.
   */
  readonly connectionString?: string;
  /** Size of a pool the store creates. Default 10. */
  readonly poolSize?: number;
  /** The event log table, `name` or `schema.name`. Default `switchboard_event_log`. */
  readonly table?: string;
  /**
   * Who deduplicates: the consuming service or consumer group. One table serves many consumers; each sees only
   * its own rows, so two services handling the same event both handle it once.
   */
  readonly consumer: string;
  /** Longest wait for one operation, connection included, in milliseconds. Default 5000. */
  readonly timeoutMs?: number;
  /**
   * Runs {@link PostgresIdempotencyStore.cleanupExpired} every this many milliseconds (the timer does not keep
   * the process alive; `close()` stops it). Default: never; call it from your own scheduler instead.
   */
  readonly cleanupIntervalMs?: number;
  /** Batch size of the periodic cleanup. Default 1000. */
  readonly cleanupBatchSize?: number;
  /** Told about failures of the periodic cleanup, which has no caller to reject. */
  readonly onCleanupError?: (error: SwitchboardError) => void;
}

/** Options of {@link PostgresIdempotencyStore.cleanupExpired}. */
export interface CleanupOptions {
  /** Rows deleted per statement. Default 1000. */
  readonly batchSize?: number;
  /** Statements at most, so one call never runs unbounded. Default 100. */
  readonly maxBatches?: number;
}

/** The PostgreSQL store: an {@link IdempotencyStore} plus schema and cleanup. */
export interface PostgresIdempotencyStore extends IdempotencyStore {
  /** The quoted table name, for your own queries and migrations. */
  readonly table: string;
  /**
   * Creates the event log table and its index when missing. Safe to run from several processes at once (it
   * serialises on an advisory lock).
   */
  ensureSchema(): Promise<void>;
  /**
   * Deletes expired rows (committed records past their TTL, reservations past their lease) of every consumer in
   * batches of `batchSize`, oldest first, skipping rows another statement holds. Returns how many it deleted.
   */
  cleanupExpired(options?: CleanupOptions): Promise<number>;
  /** Stops the periodic cleanup and ends a pool the store created; leaves a pool you passed alone. */
  close(): Promise<void>;
  /** Runs `SELECT 1` within `timeoutMs`. Never throws. */
  health(): Promise<{ ok: boolean; detail?: string }>;
}

/**
 * The SQL of the event log, for migrations kept elsewhere. `table` is validated as in the store.
 *
 * @example
 * ```ts
 * await pool.query(eventLogSchemaSql('app.event_log'));
 * ```
 */
export function eventLogSchemaSql(table = 'switchboard_event_log'): string {
  const t = tableName(table);
  return `CREATE TABLE IF NOT EXISTS ${t.sql} (
  consumer     text        NOT NULL,
  event_id     text        NOT NULL,
  status       text        NOT NULL CHECK (status IN ('reserved', 'done')),
  owner        text,
  reserved_at  timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX IF NOT EXISTS "${derivedName(t.base, 'expires_at_idx')}" ON ${t.sql} (expires_at);`;
}

/**
 * Creates an {@link IdempotencyStore} on PostgreSQL: one row per (consumer, event id) in an event log table.
 *
 * - `reserve` is one statement: `INSERT ... ON CONFLICT (consumer, event_id) DO UPDATE ... WHERE expires_at <=
 *   now()`, so a free key and an expired row (a crashed worker's reservation, a record past its TTL) are taken in
 *   the same atomic step; the row lock makes exactly one of many racing workers win. Only when it did not win
 *   does a second query read the row to tell `duplicate` from `in-progress`.
 * - `commit` is an unconditional upsert to `done` with the TTL (the contract's rule for a late commit: the side
 *   effect happened, remember it).
 * - `release` deletes the row only while it is this store instance's reservation.
 * - Time is the database's `now()`, so workers with skewed clocks agree on expiry.
 * - Statements are prepared once per connection. An unreachable database rejects with a retryable
 *   `SWB_STORE_UNAVAILABLE` within `timeoutMs`; callers fail closed.
 *
 * @example
 * ```ts
 * import { postgresIdempotencyStore } from 'switchboard/postgres';
 *
 * const store = postgresIdempotencyStore({ connectionString: process.env.DATABASE_URL, consumer: 'notifications' });
 * await store.ensureSchema();
 * const result = await store.reserve('backend-api:0190a3c4', 30_000);
 * ```
 */
export function postgresIdempotencyStore(options: PostgresIdempotencyStoreOptions): PostgresIdempotencyStore {
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new SwitchboardError(
      'SWB_CONFIG_INVALID',
      'postgresIdempotencyStore needs exactly one of pool or connectionString',
    );
  }
  if (typeof options.consumer !== 'string' || options.consumer.length === 0) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', 'postgresIdempotencyStore needs a non-empty consumer');
  }
  const table = tableName(options.table ?? 'switchboard_event_log');
  const consumer = options.consumer;
  const timeoutMs = durationMs('timeoutMs', options.timeoutMs ?? 5000);
  const owned = options.pool === undefined;
  const ownedPool = owned
    ? new pg.Pool({
        connectionString: options.connectionString,
        max: options.poolSize ?? 10,
        connectionTimeoutMillis: timeoutMs,
        query_timeout: timeoutMs,
      })
    : undefined;
  // An idle pooled connection that dies emits 'error' on the pool; without a listener that would crash the
  // process. The next query gets a fresh connection or a clear error.
  ownedPool?.on('error', () => {});
  const db: Queryable = options.pool ?? (ownedPool as Queryable);
  const owner = `o:${randomUUID()}`;
  // Prepared statement names must differ per SQL text on one connection: include the table.
  const tag = createHash('sha1').update(table.sql).digest('hex').slice(0, 10);
  const t = table.sql;

  const reserveSql = {
    name: `swb_idem_reserve_${tag}`,
    text: `INSERT INTO ${t} AS e (consumer, event_id, status, owner, reserved_at, processed_at, expires_at)
VALUES ($1, $2, 'reserved', $3, now(), NULL, now() + $4::double precision * interval '1 millisecond')
ON CONFLICT (consumer, event_id) DO UPDATE
  SET status = 'reserved', owner = EXCLUDED.owner, reserved_at = EXCLUDED.reserved_at,
      processed_at = NULL, expires_at = EXCLUDED.expires_at
  WHERE e.expires_at <= now()`,
  };
  const statusSql = {
    name: `swb_idem_status_${tag}`,
    text: `SELECT status FROM ${t} WHERE consumer = $1 AND event_id = $2 AND expires_at > now()`,
  };
  const commitSql = {
    name: `swb_idem_commit_${tag}`,
    text: `INSERT INTO ${t} AS e (consumer, event_id, status, owner, reserved_at, processed_at, expires_at)
VALUES ($1, $2, 'done', NULL, now(), now(), now() + $3::double precision * interval '1 millisecond')
ON CONFLICT (consumer, event_id) DO UPDATE
  SET status = 'done', processed_at = EXCLUDED.processed_at, expires_at = EXCLUDED.expires_at`,
  };
  const releaseSql = {
    name: `swb_idem_release_${tag}`,
    text: `DELETE FROM ${t} WHERE consumer = $1 AND event_id = $2 AND status = 'reserved' AND owner = $3`,
  };
  const cleanupSql = {
    name: `swb_idem_cleanup_${tag}`,
    text: `DELETE FROM ${t} WHERE ctid = ANY (ARRAY(
  SELECT ctid FROM ${t} WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED))`,
  };

  let closed = false;

  async function query(op: string, config: { name?: string; text: string; values?: unknown[] }) {
    if (closed) {
      throw new SwitchboardError('SWB_STORE_UNAVAILABLE', 'postgres idempotency store is closed', {
        details: { store: 'postgres', op },
      });
    }
    try {
      const work = db.query(config);
      return await (owned ? work : withTimeout(work, timeoutMs));
    } catch (error) {
      throw pgError('postgres idempotency store', op, error);
    }
  }

  const store: PostgresIdempotencyStore = {
    table: t,

    async ensureSchema(): Promise<void> {
      // One simple-protocol query runs as one transaction, so the advisory lock covers both statements and two
      // processes creating the table at once do not collide on the catalog.
      const lockKey = `switchboard.schema.${table.stem}`;
      await query('ensureSchema', {
        text: `SELECT pg_advisory_xact_lock(hashtext('${lockKey}'));\n${eventLogSchemaSql(options.table)}`,
      });
    },

    async reserve(key: string, leaseMs: number): Promise<ReserveResult> {
      assertKey(key);
      const lease = durationMs('leaseMs', leaseMs);
      // A row that vanishes or expires between the two statements (cleanup, a release) is worth another try.
      for (let attempt = 0; attempt < 3; attempt++) {
        const inserted = await query('reserve', { ...reserveSql, values: [consumer, key, owner, lease] });
        if (inserted.rowCount === 1) return 'acquired';
        const current = await query('reserve', { ...statusSql, values: [consumer, key] });
        const status = (current.rows[0] as { status?: string } | undefined)?.status;
        if (status === 'done') return 'duplicate';
        if (status === 'reserved') return 'in-progress';
      }
      return 'in-progress';
    },

    async commit(key: string, ttlMs: number): Promise<void> {
      assertKey(key);
      const ttl = durationMs('ttlMs', ttlMs);
      await query('commit', { ...commitSql, values: [consumer, key, ttl] });
    },

    async release(key: string): Promise<void> {
      assertKey(key);
      await query('release', { ...releaseSql, values: [consumer, key, owner] });
    },

    async cleanupExpired(cleanup: CleanupOptions = {}): Promise<number> {
      const batchSize = cleanup.batchSize ?? 1000;
      const maxBatches = cleanup.maxBatches ?? 100;
      if (!Number.isInteger(batchSize) || batchSize < 1 || !Number.isInteger(maxBatches) || maxBatches < 1) {
        throw new SwitchboardError(
          'SWB_CONFIG_INVALID',
          'batchSize and maxBatches must be positive integers',
          {
            details: { batchSize: String(batchSize), maxBatches: String(maxBatches) },
          },
        );
      }
      let total = 0;
      for (let batch = 0; batch < maxBatches; batch++) {
        const deleted = (await query('cleanupExpired', { ...cleanupSql, values: [batchSize] })).rowCount ?? 0;
        total += deleted;
        if (deleted < batchSize) break;
      }
      return total;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      await ownedPool?.end();
    },

    async health(): Promise<{ ok: boolean; detail?: string }> {
      try {
        await query('health', { text: 'SELECT 1' });
        return { ok: true, detail: 'postgres: SELECT 1' };
      } catch (error) {
        return { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
    },
  };

  let timer: NodeJS.Timeout | undefined;
  if (options.cleanupIntervalMs !== undefined) {
    const every = durationMs('cleanupIntervalMs', options.cleanupIntervalMs);
    let running = false;
    timer = setInterval(() => {
      if (running) return;
      running = true;
      store
        .cleanupExpired({ batchSize: options.cleanupBatchSize ?? 1000 })
        .catch((error: unknown) =>
          options.onCleanupError?.(pgError('postgres idempotency store', 'cleanup', error)),
        )
        .finally(() => {
          running = false;
        });
    }, every);
    timer.unref();
  }

  return store;
}
