/**
 * The task as the API returns it and the events carry it.
 *
 * @module
 */

/** How urgent a task is. */
export type Priority = 'low' | 'medium' | 'high' | 'urgent';

/** How a task repeats. */
export type RecurrencePattern = 'daily' | 'weekly' | 'monthly' | 'yearly';

/** A task's recurrence rule. */
export interface Recurrence {
  readonly pattern: RecurrencePattern;
  /** Every `interval` days, weeks, months or years. */
  readonly interval: number;
  /** Weekly only: weekdays, 0 = Sunday ... 6 = Saturday. */
  readonly days_of_week?: readonly number[];
  /** Monthly only: the day of the month (29-31 fall back to the month's last day). Default: the due date's. */
  readonly day_of_month?: number;
  /** No occurrence is due after this time. */
  readonly end_date?: string;
}

/** A reminder: notify `minutes_before` the task is due, on these channels. */
export interface ReminderRule {
  readonly minutes_before: number;
  readonly channels: readonly ('email' | 'push')[];
}

/** A task. */
export interface Task {
  readonly id: string;
  readonly user_id: string;
  readonly title: string;
  readonly description: string | null;
  readonly priority: Priority;
  readonly status: 'pending' | 'completed';
  readonly tags: readonly string[];
  readonly due_at: string | null;
  readonly recurrence: Recurrence | null;
  readonly reminders: readonly ReminderRule[];
  readonly completed_at: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}
