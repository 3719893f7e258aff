/**
 * The Notification Service's record of what it sent: one row per reminder event and channel (the seed's
 * notification records), which also makes a replayed event skip the channels already handled.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Sql } from '../shared/database.js';
import type { Channel } from '../shared/events.js';

/** A recorded notification. */
export interface NotificationRecord {
  readonly id: string;
  readonly event_id: string;
  readonly reminder_id: string;
  readonly task_id: string;
  readonly user_id: string;
  readonly channel: Channel;
  readonly status: 'sent' | 'failed';
  readonly recipient: string | null;
  readonly error: string | null;
  readonly attempts: number;
}

/**
 * The channels already recorded for an event.
 *
 * @example
 * ```ts
 * if ((await recordedChannels(db.sql, event.id)).has('email')) return;
 * ```
 */
export async function recordedChannels(sql: Sql, eventId: string): Promise<Set<Channel>> {
  const rows = await sql.rows<{ channel: Channel }>('SELECT channel FROM notifications WHERE event_id = $1', [
    eventId,
  ]);
  return new Set(rows.map((row) => row.channel));
}

/**
 * Records a notification; `undefined` when this event and channel were recorded already.
 *
 * @example
 * ```ts
 * await recordNotification(tx, { event_id, reminder_id, task_id, user_id, channel: 'email', status: 'sent', recipient, error: null, attempts: 1 });
 * ```
 */
export async function recordNotification(
  tx: Sql,
  record: Omit<NotificationRecord, 'id'>,
): Promise<NotificationRecord | undefined> {
  const id = randomUUID();
  const rows = await tx.rows(
    `INSERT INTO notifications (id, event_id, reminder_id, task_id, user_id, channel, status, recipient, error, attempts)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (event_id, channel) DO NOTHING RETURNING id`,
    [
      id,
      record.event_id,
      record.reminder_id,
      record.task_id,
      record.user_id,
      record.channel,
      record.status,
      record.recipient,
      record.error,
      record.attempts,
    ],
  );
  return rows.length === 0 ? undefined : { id, ...record };
}

/**
 * Every notification of a reminder, oldest first (for tests and support).
 *
 * @example
 * ```ts
 * const records = await notificationsOf(db.sql, reminderId);
 * ```
 */
export async function notificationsOf(sql: Sql, reminderId: string): Promise<NotificationRecord[]> {
  return sql.rows<NotificationRecord & Record<string, unknown>>(
    `SELECT id::text, event_id, reminder_id, task_id, user_id, channel, status, recipient, error, attempts
FROM notifications WHERE reminder_id = $1 ORDER BY created_at, channel`,
    [reminderId],
  );
}
