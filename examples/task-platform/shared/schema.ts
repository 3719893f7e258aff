/**
 * The platform's tables (seed 002's data model, trimmed to what the three services use). The outbox tables and
 * the event log are created by the library (`createOutbox().ensureSchema()`, `postgresIdempotencyStore()`).
 *
 * @module
 */

/**
 * The SQL that creates the platform's tables when missing; runs on PostgreSQL and PGlite alike. Serialised on an
 * advisory lock so several services starting at once against one server do not race.
 *
 * @example
 * ```ts
 * await pool.query(platformSchemaSql());
 * ```
 */
export function platformSchemaSql(): string {
  return `SELECT pg_advisory_xact_lock(hashtext('task-platform.schema'));
CREATE TABLE IF NOT EXISTS users (
  id         text        PRIMARY KEY,
  email      text,
  name       text,
  fcm_token  text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS tasks (
  id              uuid        PRIMARY KEY,
  user_id         text        NOT NULL,
  title           text        NOT NULL,
  description     text,
  priority        text        NOT NULL,
  status          text        NOT NULL,
  tags            jsonb       NOT NULL DEFAULT '[]',
  due_at          timestamptz,
  recurrence      jsonb,
  reminders       jsonb       NOT NULL DEFAULT '[]',
  idempotency_key text,
  completed_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS tasks_user_created_idx ON tasks (user_id, created_at);
CREATE TABLE IF NOT EXISTS reminders (
  id           uuid        PRIMARY KEY,
  task_id      uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  user_id      text        NOT NULL,
  remind_at    timestamptz NOT NULL,
  channels     jsonb       NOT NULL,
  published_at timestamptz
);
CREATE INDEX IF NOT EXISTS reminders_due_idx ON reminders (remind_at) WHERE published_at IS NULL;
CREATE TABLE IF NOT EXISTS notifications (
  id          uuid        PRIMARY KEY,
  event_id    text        NOT NULL,
  reminder_id text,
  task_id     text,
  user_id     text,
  channel     text        NOT NULL,
  status      text        NOT NULL CHECK (status IN ('sent', 'failed')),
  recipient   text,
  error       text,
  attempts    integer     NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, channel)
);`;
}
