/**
 * Bounded polling for conformance scenarios.
 *
 * @module
 */

/**
 * Polls `predicate` every few milliseconds until it holds, or rejects after `timeoutMs` with a message that
 * says what was awaited and, through `progress`, how far it got. Scenarios wait with this rather than sleeping.
 *
 * @example
 * ```ts
 * await waitFor(() => received.size >= 100, 5_000, () => `${received.size}/100 messages`);
 * ```
 */
export function waitFor(
  predicate: () => boolean,
  timeoutMs: number,
  progress: string | (() => string) = 'condition',
): Promise<void> {
  try {
    if (predicate()) return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
  const deadline = Date.now() + timeoutMs;
  return new Promise<void>((resolve, reject) => {
    const poll = (): void => {
      let met: boolean;
      try {
        met = predicate();
      } catch (error) {
        reject(error);
        return;
      }
      if (met) {
        resolve();
      } else if (Date.now() >= deadline) {
        const what = typeof progress === 'function' ? progress() : progress;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      } else {
        setTimeout(poll, 5);
      }
    };
    setTimeout(poll, 1);
  });
}

/** Resolves after `ms`. Only for quiet windows that check something does NOT happen. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
