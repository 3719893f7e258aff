/**
 * Keeping payloads, keys and signatures out of logs, errors and span attributes: a low-cardinality error type
 * for telemetry, a payload-free description of an error for logs, and a deep redaction of log fields.
 *
 * @module
 */
import { isSwitchboardError } from '../errors.js';

/**
 * What redacted values are replaced with.
 *
 * @example
 * ```ts
 * redact({ token: 't' }).token === REDACTED; // true
 * ```
 */
export const REDACTED = '[redacted]';

/**
 * Field names whose values never reach a log, compared without case, dashes or underscores: message payloads
 * and bodies, record keys, signatures and secrets.
 *
 * @example
 * ```ts
 * SENSITIVE_FIELDS.includes('signature'); // true
 * ```
 */
export const SENSITIVE_FIELDS: readonly string[] = [
  'data',
  'payload',
  'body',
  'value',
  'key',
  'partitionkey',
  'signature',
  'sig',
  'hmac',
  'secret',
  'password',
  'passphrase',
  'token',
  'accesstoken',
  'refreshtoken',
  'apikey',
  'authorization',
  'cookie',
  'setcookie',
  'credentials',
  'privatekey',
  'encryptionkey',
  'signingkey',
];

const SENSITIVE: ReadonlySet<string> = new Set(SENSITIVE_FIELDS);
const MAX_DEPTH = 6;

function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/**
 * The `error.type` of an error: its Switchboard code, or its class name (`TypeError`), never its message.
 *
 * @example
 * ```ts
 * errorType(new SwitchboardError('SWB_HANDLER_FAILED', 'boom')); // 'SWB_HANDLER_FAILED'
 * errorType(new TypeError('x is undefined'));                   // 'TypeError'
 * ```
 */
export function errorType(error: unknown): string {
  if (isSwitchboardError(error)) return error.code;
  if (error instanceof Error) return error.name || 'Error';
  return '_OTHER';
}

/** A payload-free description of an error, fit for a log line. */
export interface SafeError {
  readonly type: string;
  readonly name: string;
  /** Only for Switchboard errors: their messages are ours and never carry payloads. */
  readonly message?: string;
  readonly retryable?: boolean;
}

/**
 * Describes an error without anything that may carry user data: for a `SwitchboardError` its code, name,
 * message and retryable flag (never its `details` or `cause`); for any other error its class name only, since a
 * handler's own message may quote the payload it failed on.
 *
 * @example
 * ```ts
 * logger.warn({ error: safeError(err) }, 'handler failed');
 * ```
 */
export function safeError(error: unknown): SafeError {
  if (isSwitchboardError(error)) {
    return { type: error.code, name: error.name, message: error.message, retryable: error.retryable };
  }
  return { type: errorType(error), name: error instanceof Error ? error.name || 'Error' : typeof error };
}

/**
 * A deep copy of log fields with every sensitive field ({@link SENSITIVE_FIELDS}, plus `extraFields`) replaced
 * by `[redacted]`, byte arrays replaced by their length, errors by {@link safeError}, and nesting cut at six
 * levels. Cycles are cut too.
 *
 * @example
 * ```ts
 * redact({ topic: 'orders', data: { card: '4111...' }, headers: { authorization: 'Bearer x' } });
 * // { topic: 'orders', data: '[redacted]', headers: { authorization: '[redacted]' } }
 * ```
 */
export function redact(
  fields: Readonly<Record<string, unknown>>,
  extraFields: readonly string[] = [],
): Record<string, unknown> {
  const sensitive =
    extraFields.length === 0 ? SENSITIVE : new Set([...SENSITIVE, ...extraFields.map(normalise)]);
  return copy(fields, sensitive, 0, new WeakSet()) as Record<string, unknown>;
}

function copy(value: unknown, sensitive: ReadonlySet<string>, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return safeError(value);
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[nested]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => copy(item, sensitive, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    out[name] = sensitive.has(normalise(name)) ? REDACTED : copy(inner, sensitive, depth + 1, seen);
  }
  return out;
}
