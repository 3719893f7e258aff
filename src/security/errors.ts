/**
 * The security module's errors. Messages name the check that failed and, at most, a key id; never a secret, a
 * signature, a header value or a payload byte, so errors can be logged and dead-lettered as they are.
 *
 * @internal
 */
import { type ErrorCode, SwitchboardError } from '../errors.js';

/** A rejected message: never retryable, since the same bytes fail the same check every time. */
export function rejected(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): SwitchboardError {
  return new SwitchboardError(code, message, { retryable: false, details });
}

/** A configuration mistake, found when the codec is built. */
export function invalidConfig(path: string, reason: string): SwitchboardError {
  return new SwitchboardError('SWB_CONFIG_INVALID', `security: '${path}' ${reason}`, {
    details: { path, reason },
  });
}
