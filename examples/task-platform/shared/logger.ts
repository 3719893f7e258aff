/**
 * Structured JSON logs in the seed's shape (`timestamp`, `level`, `service`, `trace_id`, `message`, fields),
 * one line each; it fits the bus's `Logger` interface.
 *
 * @module
 */
import type { Logger } from '../../../src/index.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;

/** A log level, or `silent`. */
export type LogLevel = keyof typeof LEVELS;

/**
 * A JSON-lines logger for `service`.
 *
 * @example
 * ```ts
 * const log = jsonLogger('backend-api', 'info');
 * log.info({ task_id: task.id, trace_id }, 'Task created successfully');
 * ```
 */
export function jsonLogger(
  service: string,
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const threshold = LEVELS[level];
  const at =
    (name: Exclude<LogLevel, 'silent'>) =>
    (fields: Record<string, unknown>, message?: string): void => {
      if (LEVELS[name] < threshold) return;
      const error = fields.error instanceof Error ? { error: fields.error.message } : {};
      write(
        JSON.stringify({
          timestamp: new Date().toISOString(),
          level: name,
          service,
          message: message ?? '',
          ...fields,
          ...error,
        }),
      );
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
