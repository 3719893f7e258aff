/**
 * Runs a handler under a deadline: its signal aborts when the deadline passes or the parent signal aborts, and
 * the call rejects with a retryable `SWB_TIMEOUT` at the deadline even if the handler ignores its signal.
 *
 * @module
 */
import { SwitchboardError } from '../errors.js';

/** Runs `fn` with a signal that aborts after `ms` or when `parent` aborts. */
export function runWithDeadline<T>(
  ms: number,
  parent: AbortSignal,
  fn: (signal: AbortSignal) => T | Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onParentAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const error = new SwitchboardError('SWB_TIMEOUT', `handler did not finish within ${ms} ms`, {
          retryable: true,
          details: { timeoutMs: ms },
        });
        controller.abort(error);
        reject(error);
      },
      Math.max(0, ms),
    );
  });
  return Promise.race([Promise.resolve().then(() => fn(controller.signal)), expired]).finally(() => {
    clearTimeout(timer);
    parent.removeEventListener('abort', onParentAbort);
  });
}
