/**
 * Maps ioredis failures to `SWB_STORE_UNAVAILABLE`, retryable unless Redis itself said the command can never work.
 *
 * @module
 */
import { isSwitchboardError, SwitchboardError } from '../errors.js';

// Replies that mean "not now" rather than "never": the server is loading, busy with a script, failing over, or
// out of memory for the moment.
const TRANSIENT_REPLIES = [
  'LOADING',
  'BUSY',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'MASTERDOWN',
  'READONLY',
  'NOREPLICAS',
  'OOM',
];

/**
 * Wraps an ioredis error. Connection errors, timeouts and a closed stream are retryable; an error reply such as
 * `WRONGTYPE` (the key holds something else) is not. The message names the operation only: keys never appear.
 *
 * @example
 * ```ts
 * catch (err) { throw redisStoreError('reserve', err); }
 * ```
 */
export function redisStoreError(op: string, error: unknown): SwitchboardError {
  if (isSwitchboardError(error)) return error;
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : '';
  const reply = name === 'ReplyError';
  const retryable = !reply || TRANSIENT_REPLIES.some((prefix) => message.startsWith(prefix));
  const reason = reply ? message.split(' ', 1)[0] : name;
  return new SwitchboardError('SWB_STORE_UNAVAILABLE', `redis idempotency store: ${op} failed (${reason})`, {
    retryable,
    cause: error,
    details: { store: 'redis', op },
  });
}
