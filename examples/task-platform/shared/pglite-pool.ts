/**
 * A `pg.Pool` stand-in over one embedded PGlite database, so the library's PostgreSQL outbox and idempotency
 * store run unchanged on it (the same SQL as on a server).
 *
 * PGlite is a single connection: statements of two "clients" would interleave inside one another's
 * transactions. So a client checked out with `connect()` holds the database exclusively until `release()`, and
 * `pool.query()` waits its turn. LISTEN/NOTIFY needs a second connection, so the outbox relay polls here
 * (`listen: false`) and the services flush it right after their own commits.
 *
 * @module
 */
import type { PGlite, Results } from '@electric-sql/pglite';
import type pg from 'pg';

type QueryInput = string | { readonly text: string; readonly values?: readonly unknown[] };

/** A FIFO lock: one holder at a time, served in the order they asked. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();

  lock(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => held);
    return ready;
  }
}

function normalise(result: Results<Record<string, unknown>>): pg.QueryResult {
  const command = (result as { command?: string }).command ?? 'SELECT';
  const rowCount =
    command === 'SELECT' || result.affectedRows === undefined ? result.rows.length : result.affectedRows;
  return { rows: result.rows, rowCount, command, oid: 0, fields: [] } as unknown as pg.QueryResult;
}

async function run(db: PGlite, input: QueryInput, values?: readonly unknown[]): Promise<pg.QueryResult> {
  const text = typeof input === 'string' ? input : input.text;
  const params = (typeof input === 'string' ? values : input.values) ?? [];
  if (params.length === 0) {
    // The simple protocol runs several statements (schema scripts); the last one's rows are the answer.
    const results = await db.exec(text);
    const last = results[results.length - 1];
    return last === undefined ? normalise({ rows: [], fields: [] }) : normalise(last);
  }
  return normalise(await db.query<Record<string, unknown>>(text, params as unknown[]));
}

/**
 * Wraps a PGlite database as the subset of `pg.Pool` that `createOutbox` and `postgresIdempotencyStore` use:
 * `query` (text or config), `connect` (an exclusive client with `query` and `release`), `on` and `end`.
 *
 * @example
 * ```ts
 * const db = new PGlite();
 * const pool = pglitePool(db);
 * const outbox = createOutbox({ pool });
 * await outbox.ensureSchema();
 * ```
 */
export function pglitePool(db: PGlite): pg.Pool {
  const mutex = new Mutex();
  const pool = {
    async query(input: QueryInput, values?: readonly unknown[]): Promise<pg.QueryResult> {
      const unlock = await mutex.lock();
      try {
        return await run(db, input, values);
      } finally {
        unlock();
      }
    },
    async connect(): Promise<pg.PoolClient> {
      const unlock = await mutex.lock();
      let released = false;
      const client = {
        query: (input: QueryInput, values?: readonly unknown[]) => run(db, input, values),
        release(): void {
          if (released) return;
          released = true;
          unlock();
        },
        on: () => client,
        removeAllListeners: () => client,
      };
      return client as unknown as pg.PoolClient;
    },
    on: () => pool,
    end: async () => {},
  };
  return pool as unknown as pg.Pool;
}
