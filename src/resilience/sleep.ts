/**
 * An abortable delay that leaves neither a timer nor a listener behind.
 *
 * @module
 */
import { abortError } from './errors.js';
import { type ExecutionScope, NEVER_ABORTED } from './scope.js';

/** Waits `ms`, or rejects (SWB_ABORTED or the abort reason) as soon as `scope` aborts. */
export function sleep(ms: number, scope: ExecutionScope): Promise<void> {
  if (scope.isAborted()) return Promise.reject(abortError(scope.abortReason()));
  if (ms <= 0) return Promise.resolve();
  const signal = scope.signal;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal.reason));
    };
    const timer = setTimeout(() => {
      if (signal !== NEVER_ABORTED) signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal !== NEVER_ABORTED) signal.addEventListener('abort', onAbort, { once: true });
  });
}
