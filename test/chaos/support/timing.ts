/**
 * Waiting helpers of the chaos scenarios.
 *
 * @module
 */

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check()` holds (polled every `everyMs`); rejects after `timeoutMs` naming `what`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Resolves once `value()` has not changed for `quietMs` (polled every 50 ms), or after `timeoutMs`. Used after the
 * main condition held, to give late duplicates the chance to show up before counting.
 */
export async function settle(
  value: () => number | Promise<number>,
  quietMs: number,
  timeoutMs = quietMs * 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await value();
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(50);
    const now = await value();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}
