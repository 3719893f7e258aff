/**
 * Waiting for a broker under a caller's `AbortSignal`.
 *
 * @module
 */

/**
 * Races `promise` with `signal`: resolves or rejects as `promise` does, or rejects with `abortError()` when the
 * signal aborts first (the operation itself may still complete at the broker). The abort listener is removed once
 * either side settles, so long-lived signals collect no listeners.
 *
 * @example
 * ```ts
 * const receipt = await raceAbort(producer.send(records), options.signal, () => abortedError('kafka publish'));
 * ```
 */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  abortError: () => Error,
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
