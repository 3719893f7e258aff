/**
 * The outbox table and the statements the outbox and its relay run, built once per table name.
 *
 * @module
 */
import { derivedName, type TableName, tableName } from './sql.js';

/**
 * The SQL that creates the outbox table and its indexes when missing, for migrations kept elsewhere.
 *
 * Pending rows are found through partial indexes (`WHERE sent_at IS NULL`), so sent rows kept for audit cost
 * the relay nothing until {@link Outbox.cleanupSent} deletes them.
 *
 * @example
 * ```ts
 * await pool.query(outboxSchemaSql('app.outbox'));
 * ```
 */
export function outboxSchemaSql(table = 'switchboard_outbox'): string {
  const t = tableName(table);
  return `CREATE TABLE IF NOT EXISTS ${t.sql} (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic           text        NOT NULL,
  partition_key   text,
  message_id      text        NOT NULL,
  message_key     text,
  headers         jsonb       NOT NULL,
  body            bytea       NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer     NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  sent_at         timestamptz
);
CREATE INDEX IF NOT EXISTS "${derivedName(t.base, 'pending_idx')}" ON ${t.sql} (id) WHERE sent_at IS NULL;
CREATE INDEX IF NOT EXISTS "${derivedName(t.base, 'pending_key_idx')}" ON ${t.sql} (partition_key, id)
  WHERE sent_at IS NULL;
CREATE INDEX IF NOT EXISTS "${derivedName(t.base, 'sent_at_idx')}" ON ${t.sql} (sent_at) WHERE sent_at IS NOT NULL;`;
}

/** The statements of one outbox table. */
export interface OutboxStatements {
  readonly table: TableName;
  readonly enqueue: string;
  readonly heads: string;
  readonly followers: string;
  readonly markSent: string;
  readonly markFailed: string;
  readonly cleanupSent: string;
  readonly pending: string;
}

const COLUMNS =
  'o.id::text AS id, o.topic, o.partition_key, o.message_id, o.message_key, o.headers, o.body, o.attempts';

/** Builds the statements for `table` (validated). */
export function outboxStatements(table: string): OutboxStatements {
  const name = tableName(table);
  const t = name.sql;
  return {
    table: name,
    enqueue: `WITH ins AS (
  INSERT INTO ${t} (topic, partition_key, message_id, message_key, headers, body)
  VALUES ($1, $2, $3, $4, $5, $6) RETURNING id)
SELECT id::text AS id, pg_notify($7, '') FROM ins`,
    // The rows a relay may publish now: the oldest pending row of each partition key (a row with no key is its
    // own key), locked, skipping rows another relay holds. A row whose key has an older unsent row is never
    // taken, whoever holds that older row: that is what keeps per-key order with several relays. The scan walks
    // the pending index in id order and stops at the batch size; the upper bound (the id `$2` rows into the
    // pending rows) keeps it short when one key has a long backlog, whose rows all fail the NOT EXISTS.
    heads: `SELECT ${COLUMNS} FROM ${t} o
WHERE o.sent_at IS NULL AND o.next_attempt_at <= now()
  AND o.id <= COALESCE((SELECT w.id FROM ${t} w WHERE w.sent_at IS NULL AND w.next_attempt_at <= now()
    ORDER BY w.id OFFSET $2 LIMIT 1), 9223372036854775807)
  AND (o.partition_key IS NULL OR NOT EXISTS (
    SELECT 1 FROM ${t} p WHERE p.partition_key = o.partition_key AND p.sent_at IS NULL AND p.id < o.id))
ORDER BY o.id
LIMIT $1
FOR UPDATE OF o SKIP LOCKED`,
    // More rows of keys whose head this transaction holds: nobody else can take them (their head is ours), so
    // NOWAIT only trips in the rare case of enqueue transactions committing out of id order; the relay then
    // publishes the heads alone. No retry-time filter: the head governs its key, and skipping a middle row would
    // break the order.
    followers: `SELECT ${COLUMNS} FROM ${t} o
WHERE o.partition_key = ANY($1::text[]) AND o.sent_at IS NULL AND NOT (o.id = ANY($2::bigint[]))
ORDER BY o.id
LIMIT $3
FOR UPDATE NOWAIT`,
    markSent: `UPDATE ${t} SET sent_at = now(), attempts = attempts + 1, last_error = NULL
WHERE id = ANY($1::bigint[])`,
    // The failed row waits for its back-off, and so do the later rows of its key, so they do not crowd the
    // relay's window while they cannot go anyway.
    markFailed: `WITH failed AS (
  UPDATE ${t} SET attempts = attempts + 1, last_error = $2,
    next_attempt_at = now() + $3::double precision * interval '1 millisecond'
  WHERE id = $1::bigint RETURNING partition_key, next_attempt_at)
UPDATE ${t} o SET next_attempt_at = GREATEST(o.next_attempt_at, f.next_attempt_at) FROM failed f
WHERE f.partition_key IS NOT NULL AND o.partition_key = f.partition_key AND o.sent_at IS NULL
  AND o.id <> $1::bigint`,
    cleanupSent: `DELETE FROM ${t} WHERE id = ANY (ARRAY(
  SELECT id FROM ${t} WHERE sent_at IS NOT NULL
    AND sent_at <= now() - $2::double precision * interval '1 millisecond'
  ORDER BY sent_at LIMIT $1 FOR UPDATE SKIP LOCKED))`,
    pending: `SELECT count(*)::int AS n FROM ${t} WHERE sent_at IS NULL`,
  };
}
