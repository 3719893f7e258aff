/**
 * PostgreSQL helpers for the store tests: unique table names and their removal.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** A table name no other test run uses: `swb_<label>_<random>`. */
export function uniqueTable(label: string): string {
  return `swb_${label}_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
}

/** Runs one query on a short-lived connection. */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Drops the given tables if they exist. */
export async function dropTables(url: string, ...tables: string[]): Promise<void> {
  for (const table of tables) await sql(url, `DROP TABLE IF EXISTS "${table}"`);
}
