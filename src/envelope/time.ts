/**
 * Timestamps: RFC 3339 with nanoseconds for `time`, and parsing of RFC 3339 deadlines for `expirytime`.
 *
 * @module
 */

const NS_PER_MS = 1_000_000n;
/** Re-anchor on the wall clock when the monotonic clock drifted this far from it (NTP steps, suspend). */
const MAX_DRIFT_MS = 1000;

let anchorWallNs = BigInt(Date.now()) * NS_PER_MS;
let anchorHr = process.hrtime.bigint();
let lastNs = 0n;

/**
 * The current time as RFC 3339 in UTC with nanoseconds (`2026-11-21T20:39:37.123456789Z`).
 *
 * The nanoseconds come from `process.hrtime.bigint()` anchored to the wall clock when the module loads (and
 * re-anchored when the two drift apart by more than a second). Successive calls in one process return strictly
 * increasing values, so `time` orders events produced by one service even within the same microsecond.
 *
 * @example
 * ```ts
 * nowRfc3339Nano(); // '2026-11-21T20:39:37.123456789Z'
 * ```
 */
export function nowRfc3339Nano(): string {
  let ns = anchorWallNs + (process.hrtime.bigint() - anchorHr);
  const wallMs = Date.now();
  const driftMs = Number(ns / NS_PER_MS) - wallMs;
  if (driftMs > MAX_DRIFT_MS || driftMs < -MAX_DRIFT_MS) {
    anchorWallNs = BigInt(wallMs) * NS_PER_MS;
    anchorHr = process.hrtime.bigint();
    ns = anchorWallNs;
  }
  if (ns <= lastNs) ns = lastNs + 1n;
  lastNs = ns;
  return formatNanos(ns);
}

/** Formats nanoseconds since the epoch as RFC 3339 UTC with nine fractional digits. */
export function formatNanos(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  const iso = new Date(Number(ms)).toISOString(); // 2026-11-21T20:39:37.123Z
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,12}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 timestamp to milliseconds since the epoch (fractions below a millisecond are kept as a
 * fraction). Returns `undefined` when the text is not RFC 3339 or names an impossible date.
 *
 * @example
 * ```ts
 * parseRfc3339('2026-11-21T20:39:37.5+01:00'); // 1795203577500
 * ```
 */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  let ms = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  if (m[7] !== undefined) ms += Number(`0.${m[7]}`) * 1000;
  if (m[8] === undefined) {
    const offsetH = Number(m[10]);
    const offsetM = Number(m[11]);
    if (offsetH > 23 || offsetM > 59) return undefined;
    const offset = (offsetH * 60 + offsetM) * 60_000;
    ms += m[9] === '+' ? -offset : offset;
  }
  return ms;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Tells whether an envelope's `expirytime` deadline has passed. Envelopes without one never expire.
 *
 * @example
 * ```ts
 * if (isExpired(envelope)) return; // too late to act on it
 * ```
 */
export function isExpired(
  envelope: { readonly expirytime?: string | undefined },
  nowMs: number = Date.now(),
): boolean {
  if (envelope.expirytime === undefined) return false;
  const deadline = parseRfc3339(envelope.expirytime);
  // A deadline we cannot read is treated as passed: failing closed beats acting on a message past its time.
  return deadline === undefined || nowMs > deadline;
}
