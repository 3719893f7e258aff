/** Polls `predicate` until it holds or `timeoutMs` passes; then fails with `message`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 2000,
  message = 'condition not met in time',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${message} (after ${timeoutMs} ms)`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
