/**
 * Timestamps: RFC 3339 with nanoseconds for `time`, and parsing of RFC 3339 deadlines for `expirytime`.
 *
 * @module
 */

/** Re-anchor on the wall clock when the monotonic clock drifted this far from it (NTP steps, suspend). */
const MAX_DRIFT_MS = 1000;
const NS_PER_S = 1e9;

// The clock in plain numbers (BigInt arithmetic was most of the cost of a timestamp): whole seconds since the
// epoch plus nanoseconds within the second, so every value stays an exact integer in a double.
let anchorSecond = 0;
let anchorNanos = 0;
let anchorPerf = 0;
let lastSecond = Number.NEGATIVE_INFINITY;
let lastNanos = 0;
anchor(Date.now());

function anchor(wallMs: number): void {
  anchorSecond = Math.floor(wallMs / 1000);
  anchorNanos = (wallMs - anchorSecond * 1000) * 1e6;
  anchorPerf = performance.now();
}

/**
 * The current time as RFC 3339 in UTC with nanoseconds (`2026-11-21T20:39:37.123456789Z`).
 *
 * The nanoseconds come from the monotonic `performance.now()` anchored to the wall clock when the module loads (and
 * re-anchored when the two drift apart by more than a second). Successive calls in one process return strictly
 * increasing values, so `time` orders events produced by one service even within the same microsecond.
 *
 * @example
 * ```ts
 * nowRfc3339Nano(); // '2026-11-21T20:39:37.123456789Z'
 * ```
 */
export function nowRfc3339Nano(): string {
  // performance.now() is monotonic with sub-nanosecond resolution as a double of milliseconds.
  const sinceAnchor = anchorNanos + Math.floor((performance.now() - anchorPerf) * 1e6);
  let second = anchorSecond + Math.floor(sinceAnchor / NS_PER_S);
  let nanos = sinceAnchor % NS_PER_S;
  const wallMs = Date.now();
  const driftMs = second * 1000 + nanos / 1e6 - wallMs;
  if (driftMs > MAX_DRIFT_MS || driftMs < -MAX_DRIFT_MS) {
    anchor(wallMs);
    second = anchorSecond;
    nanos = anchorNanos;
  }
  if (second < lastSecond || (second === lastSecond && nanos <= lastNanos)) {
    second = lastSecond;
    nanos = lastNanos + 1;
    if (nanos === NS_PER_S) {
      second++;
      nanos = 0;
    }
  }
  lastSecond = second;
  lastNanos = nanos;
  return format(second, nanos);
}

/** Formats nanoseconds since the epoch as RFC 3339 UTC with nine fractional digits. */
export function formatNanos(ns: bigint): string {
  const seconds = ns / NS_PER_SECOND;
  return format(Number(seconds), Number(ns - seconds * NS_PER_SECOND));
}

function format(second: number, nanos: number): string {
  // Events come in bursts within one second: write the date part once per second.
  if (second !== cachedSecond) {
    cachedSecond = second;
    const date = new Date(second * 1000).toISOString(); // 2026-11-21T20:39:37.000Z
    for (let i = 0; i < 19; i++) stamp[i] = date.charCodeAt(i);
  }
  let fraction = nanos;
  for (let i = 28; i >= 20; i--) {
    stamp[i] = 48 + (fraction % 10);
    fraction = (fraction / 10) | 0;
  }
  // One flat string in one step inside V8 (Buffer#toString crossed into C++ on every call).
  const t = stamp;
  // biome-ignore format: 30 arguments, ten to a line
  return String.fromCharCode(
    t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, t[9]!,
    t[10]!, t[11]!, t[12]!, t[13]!, t[14]!, t[15]!, t[16]!, t[17]!, t[18]!, t[19]!,
    t[20]!, t[21]!, t[22]!, t[23]!, t[24]!, t[25]!, t[26]!, t[27]!, t[28]!, t[29]!,
  );
}

/**
 * The timestamp being formatted, as ASCII (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`). One flat string comes out of it per
 * call; concatenating the parts made cons strings that cost more memory than the text for as long as the
 * envelope lives.
 */
const stamp = new Uint8Array([...'0000-00-00T00:00:00.000000000Z'].map((c) => c.charCodeAt(0)));
const NS_PER_SECOND = 1_000_000_000n;
let cachedSecond = Number.NaN;

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

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS[month - 1]!;
}

/**
 * Tells whether `text` is an RFC 3339 timestamp naming a real date, without building any object: this runs
 * for every decoded message, so it reads character codes instead of running a regular expression.
 *
 * @example
 * ```ts
 * isRfc3339('2026-11-21T20:39:37.123456789Z'); // true
 * ```
 */
export function isRfc3339(text: string): boolean {
  const n = text.length;
  if (n < 20) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return false;
  if (minute < 0 || minute > 59 || second < 0 || second > 60 || day > daysInMonth(year, month)) return false;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58) return false;
  if (text.charCodeAt(16) !== 58 || (text.charCodeAt(10) | 0x20) !== 116 /* t */) return false;
  let i = 19;
  if (text.charCodeAt(i) === 46 /* . */) {
    const start = ++i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    if (i === start || i - start > 12) return false;
  }
  const zone = text.charCodeAt(i);
  if ((zone | 0x20) === 122 /* z */) return i + 1 === n;
  if (zone !== 43 && zone !== 45) return false;
  if (i + 6 !== n || text.charCodeAt(i + 3) !== 58) return false;
  const offsetH = digits(text, i + 1, 2);
  const offsetM = digits(text, i + 4, 2);
  return offsetH >= 0 && offsetH <= 23 && offsetM >= 0 && offsetM <= 59;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

// The number spelt by `count` ASCII digits at `at`, or -1.
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
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
