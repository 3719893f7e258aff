/**
 * Dapr (Go) duration strings: `5s`, `1m30s`, `100ms`, `1.5h`, `250us`, `0`.
 *
 * @module
 */
import { configError } from './config-error.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const WHOLE = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/**
 * Parses a Go duration string into milliseconds; a number is taken as milliseconds already. Throws
 * SWB_CONFIG_INVALID naming `path` when the value is not a non-negative duration.
 *
 * @example
 * ```ts
 * parseDuration('1m30s'); // 90000
 * parseDuration('100ms'); // 100
 * ```
 */
export function parseDuration(value: unknown, path = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw configError(path, 'must be a duration >= 0');
    return value;
  }
  if (typeof value !== 'string') throw configError(path, 'must be a duration string such as "5s" or "1m30s"');
  const text = value.trim();
  if (text === '0') return 0;
  if (!WHOLE.test(text)) throw configError(path, 'must be a duration string such as "5s" or "1m30s"');
  let ms = 0;
  for (const match of text.matchAll(PART)) ms += Number(match[1]) * UNIT_MS[match[2]!]!;
  return ms;
}
