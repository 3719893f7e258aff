/**
 * The Backend API's SQL: users, tasks and their reminders. Parameterised statements only (the seed's "SQL
 * parameterization"); the same text on PostgreSQL and PGlite.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Sql } from '../shared/database.js';
import type { Channel, ReminderDueEvent } from '../shared/events.js';
import type { Recurrence, ReminderRule, Task } from '../shared/task.js';
import type { TaskInput } from './validation.js';

type Row = Record<string, unknown>;

const iso = (value: unknown): string | null =>
  value === null || value === undefined ? null : new Date(value as string | Date).toISOString();

function toTask(row: Row): Task {
  return {
    id: String(row.id),
    user_id: String(row.user_id),
    title: String(row.title),
    description: (row.description as string | null) ?? null,
    priority: row.priority as Task['priority'],
    status: row.status as Task['status'],
    tags: (row.tags as string[]) ?? [],
    due_at: iso(row.due_at),
    recurrence: (row.recurrence as Recurrence | null) ?? null,
    reminders: (row.reminders as ReminderRule[]) ?? [],
    completed_at: iso(row.completed_at),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

/** The task's own columns, in the order `insertTask` and `updateTask` bind them: title ... reminders. */
function fieldParams(input: TaskInput): unknown[] {
  return [
    input.title,
    input.description,
    input.priority,
    JSON.stringify(input.tags),
    input.due_at,
    input.recurrence === null ? null : JSON.stringify(input.recurrence),
    JSON.stringify(input.reminders),
  ];
}

/**
 * The fields of a task as {@link TaskInput}, for partial updates.
 *
 * @example
 * ```ts
 * const { input } = validateUpdate(body, inputOf(current));
 * ```
 */
export function inputOf(task: Task): TaskInput {
  return {
    title: task.title,
    description: task.description,
    priority: task.priority,
    tags: task.tags,
    due_at: task.due_at,
    recurrence: task.recurrence,
    reminders: task.reminders,
  };
}

/**
 * Records a user from the claims of a token (email and name may change between tokens).
 *
 * @example
 * ```ts
 * await upsertUser(db.sql, { id: claims.sub, email: claims.email, name: claims.name });
 * ```
 */
export async function upsertUser(
  sql: Sql,
  user: { id: string; email?: string | undefined; name?: string | undefined },
): Promise<void> {
  await sql.rows(
    `INSERT INTO users (id, email, name) VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET email = COALESCE(EXCLUDED.email, users.email),
  name = COALESCE(EXCLUDED.name, users.name), updated_at = now()
WHERE users.email IS DISTINCT FROM EXCLUDED.email OR users.name IS DISTINCT FROM EXCLUDED.name`,
    [user.id, user.email ?? null, user.name ?? null],
  );
}

/**
 * Stores a user's FCM registration token (push notifications); `null` removes it.
 *
 * @example
 * ```ts
 * await setFcmToken(db.sql, 'user-1', 'fcm-registration-token');
 * ```
 */
export async function setFcmToken(sql: Sql, userId: string, token: string | null): Promise<void> {
  await sql.rows(
    `INSERT INTO users (id, fcm_token) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET fcm_token = EXCLUDED.fcm_token, updated_at = now()`,
    [userId, token],
  );
}

async function writeReminders(tx: Sql, task: Task): Promise<void> {
  // Reminders not yet sent follow the task; sent ones are history.
  await tx.rows('DELETE FROM reminders WHERE task_id = $1 AND published_at IS NULL', [task.id]);
  if (task.due_at === null || task.status !== 'pending') return;
  const due = Date.parse(task.due_at);
  for (const rule of task.reminders) {
    await tx.rows(
      'INSERT INTO reminders (id, task_id, user_id, remind_at, channels) VALUES ($1, $2, $3, $4, $5)',
      [
        randomUUID(),
        task.id,
        task.user_id,
        new Date(due - rule.minutes_before * 60_000).toISOString(),
        JSON.stringify(rule.channels),
      ],
    );
  }
}

/**
 * Inserts a task and its reminders. With an idempotency key, a second call with the same key returns the task
 * the first created (`created: false`) instead of inserting another.
 *
 * @example
 * ```ts
 * const { task, created } = await insertTask(tx, 'user-1', input, 'next:0190...');
 * ```
 */
export async function insertTask(
  tx: Sql,
  userId: string,
  input: TaskInput,
  idempotencyKey?: string,
): Promise<{ task: Task; created: boolean }> {
  const rows = await tx.rows(
    `INSERT INTO tasks (id, user_id, title, description, priority, status, tags, due_at, recurrence, reminders,
  idempotency_key)
VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10)
ON CONFLICT (user_id, idempotency_key) DO NOTHING
RETURNING *`,
    [randomUUID(), userId, ...fieldParams(input), idempotencyKey ?? null],
  );
  if (rows[0] === undefined) {
    const existing = await tx.rows('SELECT * FROM tasks WHERE user_id = $1 AND idempotency_key = $2', [
      userId,
      idempotencyKey,
    ]);
    return { task: toTask(existing[0]!), created: false };
  }
  const task = toTask(rows[0]);
  await writeReminders(tx, task);
  return { task, created: true };
}

/**
 * A user's tasks, newest first, with the total.
 *
 * @example
 * ```ts
 * const { tasks, total } = await listTasks(db.sql, 'user-1', { status: 'pending', limit: 50, offset: 0 });
 * ```
 */
export async function listTasks(
  sql: Sql,
  userId: string,
  filter: { status?: string | undefined; limit: number; offset: number },
): Promise<{ tasks: Task[]; total: number }> {
  const status = filter.status ?? null;
  const rows = await sql.rows(
    `SELECT * FROM tasks WHERE user_id = $1 AND ($2::text IS NULL OR status = $2)
ORDER BY created_at DESC, id LIMIT $3 OFFSET $4`,
    [userId, status, filter.limit, filter.offset],
  );
  const count = await sql.rows<{ n: number }>(
    'SELECT count(*)::int AS n FROM tasks WHERE user_id = $1 AND ($2::text IS NULL OR status = $2)',
    [userId, status],
  );
  return { tasks: rows.map(toTask), total: count[0]?.n ?? 0 };
}

/**
 * One task of a user, locked for update inside a transaction when `lock` is set; `undefined` when absent.
 *
 * @example
 * ```ts
 * const task = await findTask(tx, 'user-1', id, true);
 * ```
 */
export async function findTask(
  sql: Sql,
  userId: string,
  id: string,
  lock = false,
): Promise<Task | undefined> {
  const rows = await sql.rows(
    `SELECT * FROM tasks WHERE id = $1 AND user_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [id, userId],
  );
  return rows[0] === undefined ? undefined : toTask(rows[0]);
}

/**
 * Writes a task's fields and re-plans its unsent reminders.
 *
 * @example
 * ```ts
 * const task = await updateTask(tx, current, input);
 * ```
 */
export async function updateTask(tx: Sql, current: Task, input: TaskInput): Promise<Task> {
  const rows = await tx.rows(
    `UPDATE tasks SET title = $3, description = $4, priority = $5, tags = $6, due_at = $7, recurrence = $8,
  reminders = $9, updated_at = now()
WHERE id = $1 AND user_id = $2 RETURNING *`,
    [current.id, current.user_id, ...fieldParams(input)],
  );
  const task = toTask(rows[0]!);
  await writeReminders(tx, task);
  return task;
}

/**
 * Marks a pending task completed; `undefined` when it was not pending. Its unsent reminders are dropped.
 *
 * @example
 * ```ts
 * const done = await completeTask(tx, 'user-1', id);
 * ```
 */
export async function completeTask(tx: Sql, userId: string, id: string): Promise<Task | undefined> {
  const rows = await tx.rows(
    `UPDATE tasks SET status = 'completed', completed_at = now(), updated_at = now()
WHERE id = $1 AND user_id = $2 AND status = 'pending' RETURNING *`,
    [id, userId],
  );
  if (rows[0] === undefined) return undefined;
  await tx.rows('DELETE FROM reminders WHERE task_id = $1 AND published_at IS NULL', [id]);
  return toTask(rows[0]);
}

/**
 * Deletes a task (its reminders go with it); whether it existed.
 *
 * @example
 * ```ts
 * if (!(await deleteTask(tx, 'user-1', id))) throw notFound(id);
 * ```
 */
export async function deleteTask(tx: Sql, userId: string, id: string): Promise<boolean> {
  const rows = await tx.rows('DELETE FROM tasks WHERE id = $1 AND user_id = $2 RETURNING id', [id, userId]);
  return rows.length > 0;
}

/**
 * Claims up to `limit` reminders due at `now` for pending tasks (marking them published, skipping rows another
 * scheduler holds) and returns them as `reminder.due.v1` payloads. Run it in the transaction that enqueues
 * the events, so a reminder is published exactly when it is marked.
 *
 * @example
 * ```ts
 * const due = await claimDueReminders(tx, new Date(), 100);
 * ```
 */
export async function claimDueReminders(tx: Sql, now: Date, limit: number): Promise<ReminderDueEvent[]> {
  const rows = await tx.rows(
    `WITH due AS (
  SELECT r.id FROM reminders r JOIN tasks t ON t.id = r.task_id
  WHERE r.published_at IS NULL AND r.remind_at <= $1 AND t.status = 'pending'
  ORDER BY r.remind_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED),
claimed AS (
  UPDATE reminders r SET published_at = now() FROM due WHERE r.id = due.id
  RETURNING r.id, r.task_id, r.user_id, r.remind_at, r.channels)
SELECT c.id, c.task_id, c.user_id, c.remind_at, c.channels, t.title, t.due_at, u.email, u.fcm_token
FROM claimed c JOIN tasks t ON t.id = c.task_id LEFT JOIN users u ON u.id = c.user_id
ORDER BY c.remind_at`,
    [now.toISOString(), limit],
  );
  return rows.map((row) => ({
    reminder_id: String(row.id),
    task_id: String(row.task_id),
    user_id: String(row.user_id),
    title: String(row.title),
    due_at: iso(row.due_at),
    remind_at: iso(row.remind_at)!,
    channels: row.channels as Channel[],
    email: (row.email as string | null) ?? null,
    fcm_token: (row.fcm_token as string | null) ?? null,
  }));
}
