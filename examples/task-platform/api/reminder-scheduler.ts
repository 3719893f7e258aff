/**
 * The reminder scheduler: the seed's Dapr cron binding ("every 5 minutes") as a timer in the Backend API. Each
 * tick claims the due reminders and publishes `reminder.due.v1` through the outbox.
 *
 * @module
 */
import type { Logger } from '../../../src/index.js';

/** A running scheduler. */
export interface ReminderScheduler {
  /** Runs one scan now (also what each tick does); resolves with how many reminders it published. */
  tick(): Promise<number>;
  /** Stops the timer and waits for a scan in progress. */
  stop(): Promise<void>;
}

/**
 * Calls `scan` every `intervalMs` (default 5 minutes), never two at once; a failed scan is logged and the next
 * tick tries again.
 *
 * @example
 * ```ts
 * const scheduler = startReminderScheduler(() => tasks.publishDueReminders(), { intervalMs: 300_000 });
 * ```
 */
export function startReminderScheduler(
  scan: () => Promise<number>,
  options: { intervalMs?: number; logger?: Logger } = {},
): ReminderScheduler {
  let running: Promise<number> | undefined;
  const tick = (): Promise<number> => {
    running ??= scan()
      .then((count) => {
        if (count > 0) options.logger?.info({ count }, 'reminders published');
        return count;
      })
      .catch((error: unknown) => {
        options.logger?.error(
          { error: error instanceof Error ? error.message : String(error) },
          'reminder scan failed',
        );
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void tick(), options.intervalMs ?? 300_000);
  timer.unref();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
