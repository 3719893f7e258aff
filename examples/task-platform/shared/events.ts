/**
 * The platform's messages (seed 002's `kafka-events.md`): their payloads, the topics they travel on and the
 * validation consumers run before trusting an event.
 *
 * @module
 */
import type { Task } from './task.js';

/** A task lifecycle event on `task-events` (created, updated, completed). */
export interface TaskEvent {
  readonly task_id: string;
  readonly user_id: string;
  readonly task: Task;
  /** What changed, for `task.updated.v1`. */
  readonly changed?: readonly string[];
}

/** `task.deleted.v1`: the task is gone, so only its ids travel. */
export interface TaskDeletedEvent {
  readonly task_id: string;
  readonly user_id: string;
}

/** A notification channel. */
export type Channel = 'email' | 'push';

/** `reminder.due.v1` on `reminders`: what the Notification Service needs to notify without a lookup. */
export interface ReminderDueEvent {
  readonly reminder_id: string;
  readonly task_id: string;
  readonly user_id: string;
  readonly title: string;
  readonly due_at: string | null;
  readonly remind_at: string;
  readonly channels: readonly Channel[];
  readonly email?: string | null;
  readonly fcm_token?: string | null;
}

/** `notification.sent.v1` / `notification.failed.v1` on `notifications`. */
export interface NotificationEvent {
  readonly notification_id: string;
  readonly reminder_id: string;
  readonly task_id: string;
  readonly user_id: string;
  readonly channel: Channel;
  readonly status: 'sent' | 'failed';
  readonly attempts: number;
  readonly error?: string;
}

/** Service invocation (the seed's Dapr service invocation), carried as a bus request: HTTP, minus the socket. */
export interface InvokeRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body, as text (so a malformed body reaches the API as it would over HTTP). */
  readonly body?: string;
}

/** The reply to an {@link InvokeRequest}: the status and JSON body the API answered. */
export interface InvokeResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Every message type of the platform and its payload. */
export interface PlatformEvents {
  'task.created.v1': TaskEvent;
  'task.updated.v1': TaskEvent;
  'task.completed.v1': TaskEvent;
  'task.deleted.v1': TaskDeletedEvent;
  'reminder.due.v1': ReminderDueEvent;
  'notification.sent.v1': NotificationEvent;
  'notification.failed.v1': NotificationEvent;
  'backend-api.invoke.v1': InvokeRequest;
}

/** The topics, by role. */
export interface PlatformTopics {
  readonly taskEvents: string;
  readonly reminders: string;
  readonly notifications: string;
  /** Where service invocations of the Backend API go. */
  readonly backendInvoke: string;
  readonly taskEventsDlq: string;
  readonly remindersDlq: string;
}

/**
 * The seed's topic names, optionally prefixed (tests on a shared broker use a unique prefix).
 *
 * @example
 * ```ts
 * platformTopics().taskEvents; // 'task-events'
 * platformTopics('t1-').remindersDlq; // 't1-reminders-dlq'
 * ```
 */
export function platformTopics(prefix = ''): PlatformTopics {
  return {
    taskEvents: `${prefix}task-events`,
    reminders: `${prefix}reminders`,
    notifications: `${prefix}notifications`,
    backendInvoke: `${prefix}backend-api-invoke`,
    taskEventsDlq: `${prefix}task-events-dlq`,
    remindersDlq: `${prefix}reminders-dlq`,
  };
}

/**
 * Type-to-topic routes for the bus.
 *
 * @example
 * ```ts
 * const bus = createBus<PlatformEvents>({ transport, source: 'backend-api', routes: platformRoutes(topics) });
 * ```
 */
export function platformRoutes(topics: PlatformTopics): Readonly<Record<keyof PlatformEvents, string>> {
  return {
    'task.created.v1': topics.taskEvents,
    'task.updated.v1': topics.taskEvents,
    'task.completed.v1': topics.taskEvents,
    'task.deleted.v1': topics.taskEvents,
    'reminder.due.v1': topics.reminders,
    'notification.sent.v1': topics.notifications,
    'notification.failed.v1': topics.notifications,
    'backend-api.invoke.v1': topics.backendInvoke,
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isTime = (value: unknown): value is string => isText(value) && !Number.isNaN(Date.parse(value));

/**
 * The fields of a `reminder.due.v1` that are missing or wrong (the seed's "missing required fields"); empty when
 * the event is valid.
 *
 * @example
 * ```ts
 * reminderProblems({ reminder_id: 'r' }); // ['task_id', 'user_id', 'title', 'remind_at', 'channels']
 * ```
 */
export function reminderProblems(data: unknown): string[] {
  if (!isObject(data)) return ['(payload)'];
  const problems: string[] = [];
  for (const field of ['reminder_id', 'task_id', 'user_id', 'title'] as const) {
    if (!isText(data[field])) problems.push(field);
  }
  if (!isTime(data.remind_at)) problems.push('remind_at');
  const channels = data.channels;
  if (
    !Array.isArray(channels) ||
    channels.length === 0 ||
    !channels.every((c) => c === 'email' || c === 'push')
  ) {
    problems.push('channels');
  }
  return problems;
}

/**
 * The fields of a `task.completed.v1` that are missing or wrong; empty when the event is valid.
 *
 * @example
 * ```ts
 * taskEventProblems({ task_id: 't', user_id: 'u' }); // ['task']
 * ```
 */
export function taskEventProblems(data: unknown): string[] {
  if (!isObject(data)) return ['(payload)'];
  const problems: string[] = [];
  if (!isText(data.task_id)) problems.push('task_id');
  if (!isText(data.user_id)) problems.push('user_id');
  const task = data.task;
  if (!isObject(task)) return [...problems, 'task'];
  if (!isText(task.title)) problems.push('task.title');
  if (task.due_at !== null && task.due_at !== undefined && !isTime(task.due_at)) problems.push('task.due_at');
  return problems;
}
