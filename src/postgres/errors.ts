/**
 * Maps `pg` failures to Switchboard errors: retryable when the server or the network may recover.
 *
 * @module
 */
import { type ErrorCode, isSwitchboardError, SwitchboardError } from '../errors.js';

// SQLSTATE classes and codes that mean "not now": connection exceptions, shutdowns, too many connections, out of
// resources, serialization failures and deadlocks, lock and statement timeouts.
const TRANSIENT_CLASSES = ['08', '53', '57P'];
const TRANSIENT_CODES = new Set(['40001', '40P01', '55P03', '57014']);

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether a `pg` error may go away on retry. An error with a SQLSTATE is transient only in the classes above
 * (an undefined table or a constraint violation never heals by itself); an error without one comes from the
 * connection (refused, reset, terminated, timed out) and is transient.
 *
 * @example
 * ```ts
 * isTransientPgError({ code: '40P01' }); // true: deadlock detected
 * ```
 */
export function isTransientPgError(error: unknown): boolean {
  const state = sqlState(error);
  if (state === undefined) return true;
  return TRANSIENT_CODES.has(state) || TRANSIENT_CLASSES.some((prefix) => state.startsWith(prefix));
}

/**
 * Wraps a `pg` error as `code` (by default `SWB_STORE_UNAVAILABLE`). The message names the component and the
 * operation, plus the SQLSTATE or error name: never keys, rows or payloads.
 *
 * @example
 * ```ts
 * catch (err) { throw pgError('postgres idempotency store', 'reserve', err); }
 * ```
 */
export function pgError(
  component: string,
  op: string,
  error: unknown,
  code: ErrorCode = 'SWB_STORE_UNAVAILABLE',
): SwitchboardError {
  if (isSwitchboardError(error)) return error;
  const state = sqlState(error);
  const reason = state ?? (error instanceof Error ? error.name : typeof error);
  return new SwitchboardError(code, `${component}: ${op} failed (${reason})`, {
    retryable: isTransientPgError(error),
    cause: error,
    details: { store: 'postgres', op, ...(state === undefined ? {} : { sqlState: state }) },
  });
}
