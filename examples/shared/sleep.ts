/**
 * A delay that an abort signal cuts short: the simulated latency of the examples' in-memory databases and
 * providers.
 *
 * @module
 */

/**
 * Resolves after `ms`, or rejects with `signal.reason` as soon as `signal` aborts (at once when it already has).
 * (`node:timers/promises` would reject with its own `AbortError` instead, hiding the policy's timeout error.)
 *
 * @example
 * ```ts
 * await sleep(5, AbortSignal.timeout(1000));
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
