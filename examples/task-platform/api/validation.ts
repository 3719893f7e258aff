/**
 * Input validation of task requests (the seed's "Pydantic model validation"): every field is checked, unknown
 * fields are refused, and the first problem is reported as a 422 with its field and value.
 *
 * @module
 */
import type { Priority, Recurrence, ReminderRule } from '../shared/task.js';
import { ApiError } from './errors.js';

/** A validated task for create (every field) or update (only those given). */
export interface TaskInput {
  readonly title: string;
  readonly description: string | null;
  readonly priority: Priority;
  readonly tags: readonly string[];
  readonly due_at: string | null;
  readonly recurrence: Recurrence | null;
  readonly reminders: readonly ReminderRule[];
}

const PRIORITIES: readonly Priority[] = ['low', 'medium', 'high', 'urgent'];
const PATTERNS = ['daily', 'weekly', 'monthly', 'yearly'] as const;
const FIELDS = ['title', 'description', 'priority', 'tags', 'due_at', 'recurrence', 'reminders'];
const RECURRENCE_FIELDS = ['pattern', 'interval', 'days_of_week', 'day_of_month', 'end_date'];
const REMINDER_FIELDS = ['minutes_before', 'channels'];
/** RFC 3339 date-time with an offset (`2026-01-08T18:00:00Z`). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function invalid(field: string, value: unknown, message: string): ApiError {
  const shown = typeof value === 'string' && value.length > 100 ? `${value.slice(0, 100)}…` : value;
  return new ApiError('VALIDATION_ERROR', message, { field, value: shown ?? null });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function onlyKnown(body: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key))
      throw invalid(`${prefix}${key}`, body[key], `Unknown field '${prefix}${key}'`);
  }
}

function title(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length < 1 || value.length > 500) {
    throw invalid('title', value, 'Title must be between 1 and 500 characters');
  }
  return value.trim();
}

function description(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || value.length > 5000) {
    throw invalid('description', value, 'Description must be a string of at most 5000 characters');
  }
  return value;
}

function priority(value: unknown): Priority {
  if (value === undefined) return 'medium';
  if (!PRIORITIES.includes(value as Priority)) {
    throw invalid('priority', value, `Priority must be one of ${PRIORITIES.join(', ')}`);
  }
  return value as Priority;
}

function tags(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 20) {
    throw invalid('tags', value, 'Tags must be a list of at most 20 strings');
  }
  value.forEach((tag, index) => {
    if (typeof tag !== 'string' || tag.trim().length < 1 || tag.length > 50) {
      throw invalid(`tags[${index}]`, tag, 'Each tag must be between 1 and 50 characters');
    }
  });
  return [...new Set(value.map((tag: string) => tag.trim()))];
}

function dateTime(field: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || !DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalid(field, value, `${field} must be an RFC 3339 date-time such as 2026-01-08T18:00:00Z`);
  }
  return new Date(value).toISOString();
}

function recurrence(value: unknown): Recurrence | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw invalid('recurrence', value, 'Recurrence must be an object');
  onlyKnown(value, RECURRENCE_FIELDS, 'recurrence.');
  const pattern = value.pattern;
  if (!PATTERNS.includes(pattern as (typeof PATTERNS)[number])) {
    throw invalid('recurrence.pattern', pattern, `Pattern must be one of ${PATTERNS.join(', ')}`);
  }
  const interval = value.interval ?? 1;
  if (!isInteger(interval, 1, 365)) {
    throw invalid('recurrence.interval', interval, 'Interval must be an integer between 1 and 365');
  }
  const rule: { -readonly [K in keyof Recurrence]: Recurrence[K] } = {
    pattern: pattern as Recurrence['pattern'],
    interval,
  };
  if (value.days_of_week !== undefined && value.days_of_week !== null) {
    const days = value.days_of_week;
    if (pattern !== 'weekly') {
      throw invalid('recurrence.days_of_week', days, 'days_of_week applies to the weekly pattern only');
    }
    if (!Array.isArray(days) || days.length === 0 || !days.every((day) => isInteger(day, 0, 6))) {
      throw invalid(
        'recurrence.days_of_week',
        days,
        'days_of_week must be a non-empty list of 0 (Sunday) to 6',
      );
    }
    rule.days_of_week = [...new Set(days as number[])].sort((a, b) => a - b);
  }
  if (value.day_of_month !== undefined && value.day_of_month !== null) {
    if (pattern !== 'monthly') {
      throw invalid(
        'recurrence.day_of_month',
        value.day_of_month,
        'day_of_month applies to the monthly pattern only',
      );
    }
    if (!isInteger(value.day_of_month, 1, 31)) {
      throw invalid('recurrence.day_of_month', value.day_of_month, 'day_of_month must be between 1 and 31');
    }
    rule.day_of_month = value.day_of_month;
  }
  const end = dateTime('recurrence.end_date', value.end_date);
  if (end !== null) rule.end_date = end;
  return rule;
}

function reminders(value: unknown): ReminderRule[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 5) {
    throw invalid('reminders', value, 'Reminders must be a list of at most 5');
  }
  return value.map((item: unknown, index) => {
    const field = `reminders[${index}]`;
    if (!isObject(item)) throw invalid(field, item, 'A reminder must be an object');
    onlyKnown(item, REMINDER_FIELDS, `${field}.`);
    if (!isInteger(item.minutes_before, 0, 40_320)) {
      throw invalid(
        `${field}.minutes_before`,
        item.minutes_before,
        'minutes_before must be 0 to 40320 (4 weeks)',
      );
    }
    const channels = item.channels ?? ['email', 'push'];
    if (
      !Array.isArray(channels) ||
      channels.length === 0 ||
      !channels.every((channel) => channel === 'email' || channel === 'push')
    ) {
      throw invalid(`${field}.channels`, channels, "Channels must be a non-empty list of 'email' and 'push'");
    }
    return { minutes_before: item.minutes_before, channels: [...new Set(channels as ('email' | 'push')[])] };
  });
}

function consistent(input: Pick<TaskInput, 'due_at' | 'recurrence' | 'reminders'>): void {
  if (input.due_at === null && input.recurrence !== null) {
    throw invalid('due_at', null, 'A recurring task needs due_at');
  }
  if (input.due_at === null && input.reminders.length > 0) {
    throw invalid('due_at', null, 'A task with reminders needs due_at');
  }
}

function body(value: unknown): Record<string, unknown> {
  if (!isObject(value)) throw new ApiError('BAD_REQUEST', 'The request body must be a JSON object');
  onlyKnown(value, FIELDS, '');
  return value;
}

/**
 * Validates the body of `POST /tasks`.
 *
 * @example
 * ```ts
 * const input = validateCreate({ title: 'Buy groceries', due_at: '2026-01-08T18:00:00Z' });
 * ```
 */
export function validateCreate(value: unknown): TaskInput {
  const input = body(value);
  const task: TaskInput = {
    title: title(input.title),
    description: description(input.description),
    priority: priority(input.priority),
    tags: tags(input.tags),
    due_at: dateTime('due_at', input.due_at),
    recurrence: recurrence(input.recurrence),
    reminders: reminders(input.reminders),
  };
  consistent(task);
  return task;
}

/**
 * Validates the body of `PATCH /tasks/{id}` against the current task: only the fields given change.
 *
 * @example
 * ```ts
 * const { input, changed } = validateUpdate({ priority: 'high' }, current);
 * ```
 */
export function validateUpdate(value: unknown, current: TaskInput): { input: TaskInput; changed: string[] } {
  const patch = body(value);
  const changed = Object.keys(patch);
  if (changed.length === 0) throw new ApiError('BAD_REQUEST', 'Nothing to update');
  const has = (field: string): boolean => Object.hasOwn(patch, field);
  const input: TaskInput = {
    title: has('title') ? title(patch.title) : current.title,
    description: has('description') ? description(patch.description) : current.description,
    priority: has('priority') ? priority(patch.priority) : current.priority,
    tags: has('tags') ? tags(patch.tags) : current.tags,
    due_at: has('due_at') ? dateTime('due_at', patch.due_at) : current.due_at,
    recurrence: has('recurrence') ? recurrence(patch.recurrence) : current.recurrence,
    reminders: has('reminders') ? reminders(patch.reminders) : current.reminders,
  };
  consistent(input);
  return { input, changed };
}
