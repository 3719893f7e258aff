/**
 * The one rule for skipping a suite that needs a real broker or tool.
 *
 * Outside CI a developer without, say, Java still runs the rest of the suite: a broker-backed suite is skipped and
 * its title carries the reason the global setup found. With `CI=true` nothing is skipped: a missing broker throws
 * while the file is collected, so the run fails (the global setups already fail first; this keeps the rule true for
 * every file, whatever a setup does).
 */

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Whether to skip a suite that needs `what`. `unavailable` is why it cannot be reached, `''` when it can.
 *
 * @example
 * ```ts
 * describe.skipIf(skipWithout('Kafka', kafkaUnavailableReason))(`transport ${kafkaUnavailableReason}`, () => {});
 * ```
 */
export function skipWithout(what: string, unavailable: string): boolean {
  if (unavailable === '') return false;
  if (inCi) throw new Error(`${what} is required with CI=true and is not available: ${unavailable}`);
  return true;
}

/** The reason a store URL is missing, for {@link skipWithout}: `''` when the URL is there. */
export function missingUrl(url: string, reason: string, what: string): string {
  return url === '' ? reason || `no ${what} server could be reached or started` : '';
}
