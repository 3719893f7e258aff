/**
 * The one error type Switchboard throws, with a prefixed code from a fixed list.
 *
 * @module
 */

/**
 * Every code Switchboard can throw; each starts with `SWB_`. Grouped by area; append, never rename.
 *
 * @example
 * ```ts
 * import { DEAD_LETTER_HEADERS, ERROR_CODES } from 'switchboard';
 *
 * const codes = new Set<string>(ERROR_CODES);
 * // `dlq-error-code` holds a Switchboard code, or the name of a handler's own error (`TypeError`)
 * const code = letter.headers[DEAD_LETTER_HEADERS.errorCode] ?? '';
 * const origin = codes.has(code) ? 'switchboard' : 'handler';
 * ```
 */
export const ERROR_CODES = [
  // envelope and validation
  'SWB_ENVELOPE_INVALID',
  'SWB_ENVELOPE_EXPIRED',
  // decoding and encoding
  'SWB_DECODE_FAILED',
  'SWB_ENCODE_FAILED',
  'SWB_MESSAGE_TOO_LARGE',
  'SWB_DEPTH_EXCEEDED',
  'SWB_HEADER_INVALID',
  'SWB_UNSUPPORTED_CONTENT_TYPE',
  // schema registry
  'SWB_SCHEMA_NOT_FOUND',
  'SWB_SCHEMA_INCOMPATIBLE',
  'SWB_SCHEMA_INVALID',
  // configuration
  'SWB_CONFIG_INVALID',
  // resilience
  'SWB_TIMEOUT',
  'SWB_CIRCUIT_OPEN',
  'SWB_CIRCUIT_HALF_OPEN_REJECTED',
  'SWB_CIRCUIT_ISOLATED',
  'SWB_BULKHEAD_REJECTED',
  'SWB_RATE_LIMITED',
  'SWB_RETRIES_EXHAUSTED',
  'SWB_ABORTED',
  // transport and bus
  'SWB_TRANSPORT_CLOSED',
  'SWB_TRANSPORT_UNAVAILABLE',
  'SWB_PUBLISH_FAILED',
  'SWB_SUBSCRIBE_FAILED',
  'SWB_NOT_SUPPORTED',
  'SWB_NO_HANDLER',
  'SWB_HANDLER_FAILED',
  'SWB_REQUEST_TIMEOUT',
  'SWB_REMOTE_ERROR',
  'SWB_DEAD_LETTERED',
  'SWB_CONSUMER_DELETED',
  // idempotency and stores
  'SWB_IDEMPOTENCY_UNAVAILABLE',
  'SWB_STORE_UNAVAILABLE',
  // security
  'SWB_SIGNATURE_INVALID',
  'SWB_SIGNATURE_MISSING',
  'SWB_UNKNOWN_KEY',
  'SWB_DECRYPT_FAILED',
  'SWB_REPLAY_DETECTED',
  'SWB_STALE_MESSAGE',
  // sagas
  'SWB_SAGA_NOT_FOUND',
  'SWB_COMPENSATION_FAILED',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Options accepted by the {@link SwitchboardError} constructor. */
export interface SwitchboardErrorOptions {
  /** Whether trying the same operation again may succeed. Defaults to `false`. */
  retryable?: boolean;
  /** The underlying error, kept as `cause` (ES2022). */
  cause?: unknown;
  /** Structured, non-sensitive facts about the failure (field names, limits, topic). Never payloads or keys. */
  details?: Readonly<Record<string, unknown>>;
}

const BRAND: unique symbol = Symbol.for('switchboard.error');

/**
 * The error every Switchboard API throws or rejects with.
 *
 * Its fields are enumerable so `JSON.stringify(err)` keeps `code`, `retryable` and `details`. It carries a
 * brand so {@link isSwitchboardError} recognises it even when two copies of the package are installed.
 *
 * @example
 * ```ts
 * import { SwitchboardError, isSwitchboardError } from 'switchboard';
 *
 * try {
 *   throw new SwitchboardError('SWB_TIMEOUT', 'fraud check took longer than 250 ms', { retryable: true });
 * } catch (err) {
 *   if (isSwitchboardError(err) && err.retryable) console.log('try again:', err.code);
 * }
 * ```
 */
export class SwitchboardError extends Error {
  /** The prefixed, stable code of this failure. */
  declare readonly code: ErrorCode;
  /** Whether the same operation may succeed when tried again. */
  declare readonly retryable: boolean;
  /** Structured, non-sensitive facts about the failure. */
  declare readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: SwitchboardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Own enumerable data properties so JSON.stringify and structured logging keep them.
    Object.defineProperty(this, 'name', { value: 'SwitchboardError', enumerable: true, writable: true });
    Object.defineProperty(this, 'code', { value: code, enumerable: true });
    Object.defineProperty(this, 'retryable', { value: options.retryable ?? false, enumerable: true });
    Object.defineProperty(this, 'details', {
      value: options.details,
      enumerable: options.details !== undefined,
    });
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  /** A plain object for logs and wire transfer: name, code, message, retryable and details (never `cause`). */
  toJSON(): {
    name: string;
    code: ErrorCode;
    message: string;
    retryable: boolean;
    details?: Record<string, unknown>;
  } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details === undefined ? {} : { details: { ...this.details } }),
    };
  }
}

/**
 * Tells whether `value` is a {@link SwitchboardError}, by brand rather than `instanceof`, so it works across
 * two installed copies of the package. With `code`, also checks the code.
 *
 * @example
 * ```ts
 * if (isSwitchboardError(err, 'SWB_CIRCUIT_OPEN')) return cachedResponse;
 * ```
 */
export function isSwitchboardError(value: unknown, code?: ErrorCode): value is SwitchboardError {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (value as SwitchboardError).code === code;
}

/**
 * Tells whether an error is worth retrying: a {@link SwitchboardError} marked `retryable`, or a transient
 * network error from Node (`ECONNRESET`, `ETIMEDOUT`, ...). Anything else is treated as permanent.
 *
 * @example
 * ```ts
 * if (isRetryable(err)) await delay(100);
 * ```
 */
export function isRetryable(error: unknown): boolean {
  if (isSwitchboardError(error)) return error.retryable;
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true;
    if ((error as { canRetry?: unknown }).canRetry === true) return true;
  }
  return false;
}

const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTCONN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Wraps any thrown value as a {@link SwitchboardError} with `code` unless it already is one.
 *
 * @example
 * ```ts
 * catch (err) { throw toSwitchboardError(err, 'SWB_PUBLISH_FAILED', 'publish to task-events failed'); }
 * ```
 */
export function toSwitchboardError(
  error: unknown,
  code: ErrorCode,
  message: string,
  options: Omit<SwitchboardErrorOptions, 'cause'> = {},
): SwitchboardError {
  if (isSwitchboardError(error)) return error;
  return new SwitchboardError(code, message, { retryable: isRetryable(error), ...options, cause: error });
}
