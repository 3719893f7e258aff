/**
 * Internal helpers that build the envelope module's errors. Messages name fields and reasons, never values:
 * payloads and header values must not reach logs through an error.
 *
 * @internal
 */
import { type ErrorCode, SwitchboardError } from '../errors.js';

/** An envelope attribute is missing or malformed. */
export function invalidEnvelope(field: string, reason: string): SwitchboardError {
  return new SwitchboardError('SWB_ENVELOPE_INVALID', `envelope field '${field}' ${reason}`, {
    details: { field, reason },
  });
}

/** A header name or value is unacceptable. */
export function invalidHeader(reason: string, header?: string): SwitchboardError {
  const where = header === undefined ? '' : ` '${header}'`;
  return new SwitchboardError('SWB_HEADER_INVALID', `header${where} ${reason}`, {
    details: header === undefined ? { reason } : { header, reason },
  });
}

/** Bytes could not be turned into a value. `cause` is deliberately dropped: parser messages quote input. */
export function decodeFailed(reason: string, details: Record<string, unknown> = {}): SwitchboardError {
  return new SwitchboardError('SWB_DECODE_FAILED', `decode failed: ${reason}`, {
    details: { reason, ...details },
  });
}

/** A value could not be turned into bytes. */
export function encodeFailed(reason: string, details: Record<string, unknown> = {}): SwitchboardError {
  return new SwitchboardError('SWB_ENCODE_FAILED', `encode failed: ${reason}`, {
    details: { reason, ...details },
  });
}

/** Nesting deeper than the configured limit. */
export function depthExceeded(limit: number, details: Record<string, unknown> = {}): SwitchboardError {
  return new SwitchboardError('SWB_DEPTH_EXCEEDED', `nesting deeper than the limit of ${limit}`, {
    details: { limit, ...details },
  });
}

/** Anything else with a fixed code, never retryable: bad input stays bad. */
export function failure(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): SwitchboardError {
  return new SwitchboardError(code, message, details === undefined ? {} : { details });
}
