import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextOccurrence } from '../../../examples/task-platform/recurring/recurrence.js';
import { isSwitchboardError } from '../../../src/index.js';

const at = (iso: string) => new Date(iso);
const next = (iso: string, rule: Parameters<typeof nextOccurrence>[1]) => nextOccurrence(at(iso), rule);

describe('task platform: next occurrence of a recurring task', () => {
  it('daily, every n days, keeping the time of day', () => {
    expect(next('2026-01-05T09:30:00Z', { pattern: 'daily', interval: 1 })?.dueAt.toISOString()).toBe(
      '2026-01-06T09:30:00.000Z',
    );
    expect(next('2026-12-30T09:30:00Z', { pattern: 'daily', interval: 3 })?.dueAt.toISOString()).toBe(
      '2027-01-02T09:30:00.000Z',
    );
  });

  it('weekly on given weekdays: later this week, else the first weekday n weeks on', () => {
    // 2026-01-05 is a Monday (1).
    const rule = { pattern: 'weekly', interval: 1, days_of_week: [0, 3, 5] } as const;
    expect(next('2026-01-05T18:00:00Z', rule)?.dueAt.toISOString()).toBe('2026-01-07T18:00:00.000Z'); // Wed
    expect(next('2026-01-07T18:00:00Z', rule)?.dueAt.toISOString()).toBe('2026-01-09T18:00:00.000Z'); // Fri
    expect(next('2026-01-09T18:00:00Z', rule)?.dueAt.toISOString()).toBe('2026-01-11T18:00:00.000Z'); // Sun
    expect(next('2026-01-09T18:00:00Z', { ...rule, interval: 2 })?.dueAt.toISOString()).toBe(
      '2026-01-18T18:00:00.000Z',
    );
    expect(next('2026-01-05T18:00:00Z', { pattern: 'weekly', interval: 2 })?.dueAt.toISOString()).toBe(
      '2026-01-19T18:00:00.000Z',
    );
  });

  it('monthly: a day the month lacks falls back to its last day with a warning, and the anchor is kept', () => {
    const first = next('2026-01-31T08:00:00Z', { pattern: 'monthly', interval: 1 })!;
    expect(first.dueAt.toISOString()).toBe('2026-02-28T08:00:00.000Z');
    expect(first.warnings).toEqual([
      'day 31 does not exist in 2026-02; using the last day of the month (28)',
    ]);
    expect(first.recurrence.day_of_month).toBe(31);
    const second = nextOccurrence(first.dueAt, first.recurrence)!;
    expect(second.dueAt.toISOString()).toBe('2026-03-31T08:00:00.000Z');
    expect(second.warnings).toEqual([]);
    // The seed's Feb 30, in a leap year.
    const leap = next('2028-01-30T08:00:00Z', { pattern: 'monthly', interval: 1, day_of_month: 30 })!;
    expect(leap.dueAt.toISOString()).toBe('2028-02-29T08:00:00.000Z');
    expect(leap.warnings[0]).toContain('day 30 does not exist in 2028-02');
    expect(next('2026-11-15T08:00:00Z', { pattern: 'monthly', interval: 3 })?.dueAt.toISOString()).toBe(
      '2027-02-15T08:00:00.000Z',
    );
  });

  it('yearly: Feb 29 becomes Feb 28 in a common year, with a warning', () => {
    const leap = next('2028-02-29T12:00:00Z', { pattern: 'yearly', interval: 1 })!;
    expect(leap.dueAt.toISOString()).toBe('2029-02-28T12:00:00.000Z');
    expect(leap.warnings).toHaveLength(1);
    expect(next('2026-06-01T12:00:00Z', { pattern: 'yearly', interval: 2 })?.dueAt.toISOString()).toBe(
      '2028-06-01T12:00:00.000Z',
    );
  });

  it('stops after end_date', () => {
    const rule = { pattern: 'daily', interval: 1, end_date: '2026-01-06T00:00:00.000Z' } as const;
    expect(next('2026-01-05T09:00:00Z', rule)).toBeUndefined();
    expect(next('2026-01-04T09:00:00Z', rule)?.dueAt.toISOString()).toBe('2026-01-05T09:00:00.000Z');
  });

  it('refuses rules it cannot compute with a permanent error', () => {
    for (const rule of [
      { pattern: 'hourly', interval: 1 },
      { pattern: 'daily', interval: 0 },
      { pattern: 'weekly', interval: 1, days_of_week: [9] },
      { pattern: 'monthly', interval: 1, day_of_month: 32 },
    ]) {
      let caught: unknown;
      try {
        next('2026-01-05T09:00:00Z', rule as never);
      } catch (error) {
        caught = error;
      }
      expect(isSwitchboardError(caught) && caught.retryable === false, JSON.stringify(rule)).toBe(true);
    }
  });

  it('always moves forward, and weekly lands on a listed weekday within interval weeks (property)', () => {
    const dates = fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2090-01-01T00:00:00Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(
        dates,
        fc.constantFrom('daily', 'weekly', 'monthly', 'yearly'),
        fc.integer({ min: 1, max: 12 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }),
        (due, pattern, interval, days) => {
          const rule =
            pattern === 'weekly' ? { pattern, interval, days_of_week: days } : { pattern, interval };
          const result = nextOccurrence(due, rule)!;
          expect(result.dueAt.getTime()).toBeGreaterThan(due.getTime());
          expect(result.dueAt.getUTCHours()).toBe(due.getUTCHours());
          expect(result.dueAt.getUTCMinutes()).toBe(due.getUTCMinutes());
          if (pattern === 'weekly') {
            expect(days).toContain(result.dueAt.getUTCDay());
            expect(result.dueAt.getTime() - due.getTime()).toBeLessThanOrEqual(7 * interval * 86_400_000);
          }
          if (pattern === 'monthly') {
            const months =
              (result.dueAt.getUTCFullYear() - due.getUTCFullYear()) * 12 +
              result.dueAt.getUTCMonth() -
              due.getUTCMonth();
            expect(months).toBe(interval);
          }
        },
      ),
    );
  });
});
