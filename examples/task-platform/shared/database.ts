/**
 * The platform's database: PostgreSQL when `DATABASE_URL` is set, else an embedded PGlite, with the same SQL.
 *
 * @module
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { pglitePool } from './pglite-pool.js';
import { platformSchemaSql } from './schema.js';

/** Runs statements: a pool, or the client of an open transaction. */
export interface Sql {
  /** Runs one statement with `$n` parameters and returns its rows. */
  rows<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<R[]>;
  /** The underlying client, for `outbox.enqueue(client, ...)` inside the same transaction. */
  readonly client: pg.PoolClient | pg.Pool;
}

/** A database the services share (in one process) or each open (one process per service). */
export interface Database {
  readonly kind: 'postgres' | 'pglite';
  /** What the library's outbox and idempotency store take: a real pool or PGlite's stand-in. */
  readonly pool: pg.Pool;
  /** Whether NOTIFY can wake the outbox relay (PostgreSQL) or it has to poll (PGlite: one connection). */
  readonly canListen: boolean;
  /** Statements outside a transaction. */
  readonly sql: Sql;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /** `SELECT 1`, rejecting when the database does not answer. */
  ping(): Promise<void>;
  /** Closes the pool or the embedded database (only if this object opened it). */
  close(): Promise<void>;
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** `postgres://...`; without it an embedded PGlite database is opened (in memory unless `dataDir`). */
  readonly url?: string | undefined;
  /** PGlite's data directory (e.g. `./.data/tasks`); in memory when absent. */
  readonly dataDir?: string | undefined;
  /** Statement timeout on PostgreSQL, ms. Default 10 000 (the seed's database timeout). */
  readonly queryTimeoutMs?: number;
  /** Create the platform's tables when missing. Default `true`. */
  readonly migrate?: boolean;
}

function sqlOf(client: pg.PoolClient | pg.Pool): Sql {
  return {
    client,
    async rows<R extends Record<string, unknown>>(text: string, values: readonly unknown[] = []) {
      const result = await client.query({ text, values: values as unknown[] });
      return result.rows as R[];
    },
  };
}

/**
 * Opens the database and creates the platform's tables (users, tasks, reminders, notifications).
 *
 * @example
 * ```ts
 * const db = await openDatabase({ url: process.env.DATABASE_URL });
 * const rows = await db.sql.rows('SELECT count(*)::int AS n FROM tasks');
 * await db.close();
 * ```
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  let pool: pg.Pool;
  let closeUnderlying: () => Promise<void>;
  let kind: Database['kind'];
  if (options.url !== undefined && options.url !== '') {
    const timeout = options.queryTimeoutMs ?? 10_000;
    const real = new pg.Pool({
      connectionString: options.url,
      max: 10,
      connectionTimeoutMillis: timeout,
      query_timeout: timeout,
    });
    // An idle connection that dies emits 'error' on the pool; the next query reports it instead.
    real.on('error', () => {});
    pool = real;
    closeUnderlying = () => real.end();
    kind = 'postgres';
  } else {
    const embedded = new PGlite(options.dataDir);
    await embedded.waitReady;
    pool = pglitePool(embedded);
    closeUnderlying = () => embedded.close();
    kind = 'pglite';
  }
  let closed: Promise<void> | undefined;
  const database: Database = {
    kind,
    pool,
    canListen: kind === 'postgres',
    sql: sqlOf(pool),
    async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: unknown;
      try {
        await client.query('BEGIN');
        const result = await work(sqlOf(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        broken = error;
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release(broken === undefined ? undefined : true);
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    close() {
      closed ??= closeUnderlying();
      return closed;
    },
  };
  if (options.migrate !== false) await pool.query(platformSchemaSql());
  return database;
}
