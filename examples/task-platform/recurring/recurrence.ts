/**
 * Next due dates of recurring tasks: daily, weekly (on given weekdays), monthly (on a day of the month) and
 * yearly, every `interval` units, in UTC with the time of day kept. Days a month lacks (the seed's Feb 30)
 * fall back to the month's last day, with a warning.
 *
 * @module
 */
import { permanentError } from '../../../src/index.js';
import type { Recurrence } from '../shared/task.js';

/** The next occurrence. */
export interface NextOccurrence {
  readonly dueAt: Date;
  /** The rule to store on the next task: as given, with the monthly anchor day made explicit. */
  readonly recurrence: Recurrence;
  /** Fallbacks taken (a day the month lacks), for the log. */
  readonly warnings: readonly string[];
}

const DAY_MS = 86_400_000;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** The same time of day on `day` of the month `months` after `from`'s, clamped to the month's last day. */
function addMonths(from: Date, months: number, day: number, warnings: string[]): Date {
  const total = from.getUTCFullYear() * 12 + from.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month = total % 12;
  const last = daysInMonth(year, month);
  if (day > last) {
    const label = `${year}-${String(month + 1).padStart(2, '0')}`;
    warnings.push(`day ${day} does not exist in ${label}; using the last day of the month (${last})`);
  }
  const next = new Date(from);
  next.setUTCFullYear(year, month, Math.min(day, last));
  return next;
}

function invalid(message: string): Error {
  return permanentError(`invalid recurrence: ${message}`);
}

/**
 * The occurrence after one due at `dueAt`, or `undefined` when it would fall after the rule's `end_date`.
 * Throws a permanent error for a rule that cannot be computed (data corruption, in the seed's words).
 *
 * @example
 * ```ts
 * nextOccurrence(new Date('2026-01-31T09:00:00Z'), { pattern: 'monthly', interval: 1 });
 * // { dueAt: 2026-02-28T09:00:00Z, recurrence: { ..., day_of_month: 31 }, warnings: ['day 31 does not exist in 2026-02; ...'] }
 * ```
 */
export function nextOccurrence(dueAt: Date, rule: Recurrence): NextOccurrence | undefined {
  if (Number.isNaN(dueAt.getTime())) throw invalid('the task has no valid due date');
  const interval = rule.interval ?? 1;
  if (!Number.isInteger(interval) || interval < 1) throw invalid(`interval ${String(interval)}`);
  const warnings: string[] = [];
  let next: Date;
  let recurrence: Recurrence = rule;
  switch (rule.pattern) {
    case 'daily':
      next = new Date(dueAt.getTime() + interval * DAY_MS);
      break;
    case 'weekly': {
      const days = rule.days_of_week ?? [];
      if (!days.every((day) => Number.isInteger(day) && day >= 0 && day <= 6)) throw invalid('days_of_week');
      if (days.length === 0) {
        next = new Date(dueAt.getTime() + 7 * interval * DAY_MS);
        break;
      }
      const sorted = [...days].sort((a, b) => a - b);
      const today = dueAt.getUTCDay();
      const later = sorted.find((day) => day > today);
      // A later weekday this week; otherwise the first listed weekday `interval` weeks on (weeks start Sunday).
      const offset = later !== undefined ? later - today : 7 * interval - today + sorted[0]!;
      next = new Date(dueAt.getTime() + offset * DAY_MS);
      break;
    }
    case 'monthly': {
      const anchor = rule.day_of_month ?? dueAt.getUTCDate();
      if (!Number.isInteger(anchor) || anchor < 1 || anchor > 31) throw invalid('day_of_month');
      next = addMonths(dueAt, interval, anchor, warnings);
      // Keep the anchor: after Jan 31 -> Feb 28, March is the 31st again, not the 28th.
      recurrence = { ...rule, day_of_month: anchor };
      break;
    }
    case 'yearly': {
      const day = dueAt.getUTCDate();
      next = addMonths(dueAt, 12 * interval, day, warnings);
      break;
    }
    default:
      throw invalid(`unknown pattern '${String((rule as { pattern: unknown }).pattern)}'`);
  }
  if (rule.end_date !== undefined && next.getTime() > Date.parse(rule.end_date)) return undefined;
  return { dueAt: next, recurrence, warnings };
}
