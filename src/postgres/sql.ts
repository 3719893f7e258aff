/**
 * Table names, the queryable shape and timeouts shared by the PostgreSQL store and the outbox.
 *
 * @module
 */
import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { SwitchboardError } from '../errors.js';

/**
 * Anything that runs a query: a `pg.Pool`, a `pg.Client`, or a `PoolClient` inside your transaction.
 *
 * @example
 * ```ts
 * const db: Queryable = new pg.Pool({ connectionString });
 * ```
 */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>>;
}

const PART = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A validated table name: its quoted SQL form and a plain stem for index and channel names. */
export interface TableName {
  /** `"schema"."table"` or `"table"`, safe to splice into SQL. */
  readonly sql: string;
  /** `schema_table` or `table`: letters, digits and `_` only. */
  readonly stem: string;
  /** The unquoted last part, for index names (indexes live in the table's schema). */
  readonly base: string;
}

/**
 * Validates `table` or `schema.table` (letters, digits, `_`; each part up to 63 characters) and quotes it.
 * Names come from configuration, never from messages, but a typo should fail loudly rather than build odd SQL.
 *
 * @example
 * ```ts
 * tableName('app.event_log').sql; // '"app"."event_log"'
 * ```
 */
export function tableName(name: string): TableName {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((part) => PART.test(part))) {
    throw new SwitchboardError(
      'SWB_CONFIG_INVALID',
      'table must be "name" or "schema.name" of letters, digits and underscores (at most 63 each)',
      { details: { table: name } },
    );
  }
  return {
    sql: parts.map((part) => `"${part}"`).join('.'),
    stem: parts.join('_'),
    base: parts[parts.length - 1] as string,
  };
}

/** An index or channel name derived from a table: at most 63 characters, as PostgreSQL truncates beyond. */
export function derivedName(stem: string, suffix: string): string {
  return `${stem.slice(0, 63 - suffix.length - 1)}_${suffix}`;
}

/**
 * Races `work` against `ms` milliseconds, for pools we did not create (whose `connectionTimeoutMillis` may be
 * unset, so a query could wait for a connection forever). The query itself may go on; the caller moves on.
 */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout exceeded')), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
