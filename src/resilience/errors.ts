/**
 * Constructors for the errors the resilience policies raise, so codes, flags and details stay consistent.
 *
 * @module
 */
import { isSwitchboardError, SwitchboardError } from '../errors.js';

/** The error a timeout policy or deadline rejects with: retryable, since a later attempt may be faster. */
export function timeoutError(policy: string, timeoutMs: number): SwitchboardError {
  return new SwitchboardError('SWB_TIMEOUT', `${policy}: timed out after ${timeoutMs} ms`, {
    retryable: true,
    details: { policy, timeoutMs },
  });
}

/**
 * Turns an abort reason into the error a caller sees: a reason that already is a SwitchboardError (an outer
 * timeout, for one) passes through; anything else becomes SWB_ABORTED, which is not retryable because the
 * caller asked to stop.
 */
export function abortError(reason: unknown, policy?: string): SwitchboardError {
  if (isSwitchboardError(reason)) return reason;
  return new SwitchboardError('SWB_ABORTED', policy === undefined ? 'aborted' : `${policy}: aborted`, {
    retryable: false,
    cause: reason,
    ...(policy === undefined ? {} : { details: { policy } }),
  });
}
