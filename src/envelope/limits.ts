/**
 * Limits on what a decoder accepts, and header validation. Every check here runs before any payload byte is
 * parsed, so an oversized or malformed message costs almost nothing to reject.
 *
 * @module
 */
import { failure, invalidHeader } from './fail.js';
import type { WireHeaders } from './types.js';

/** Bounds a decoder enforces on every incoming message. */
export interface EnvelopeLimits {
  /** Largest body accepted, in bytes, checked before decoding. Default 1 MiB. */
  readonly maxBytes?: number;
  /** Most headers accepted. Default 64. */
  readonly maxHeaderCount?: number;
  /** Largest total size of all header names plus values, in UTF-8 bytes. Default 16 KiB. */
  readonly maxHeaderBytes?: number;
  /** Deepest nesting of objects and arrays accepted in the data. Default 64. */
  readonly maxDepth?: number;
}

/** {@link EnvelopeLimits} with every field set. */
export type ResolvedLimits = Required<EnvelopeLimits>;

/**
 * The defaults: 1 MiB body, 64 headers, 16 KiB of headers, depth 64.
 *
 * @example
 * ```ts
 * import { createBus, DEFAULT_LIMITS } from 'switchboard';
 *
 * // accept bodies up to 4 MiB; the other limits keep their defaults
 * const bus = createBus({ transport, source: 'media-service', limits: { maxBytes: 4 * DEFAULT_LIMITS.maxBytes } });
 * ```
 */
export const DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  maxBytes: 1024 * 1024,
  maxHeaderCount: 64,
  maxHeaderBytes: 16 * 1024,
  maxDepth: 64,
});

/**
 * Fills in defaults and checks that every limit is a positive integer.
 *
 * @throws SwitchboardError `SWB_CONFIG_INVALID` for a limit that is not a positive integer.
 * @example
 * ```ts
 * const limits = resolveLimits({ maxBytes: 256 * 1024 }); // other limits take their defaults
 * ```
 */
export function resolveLimits(limits: EnvelopeLimits = {}): ResolvedLimits {
  const resolved = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ResolvedLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw failure('SWB_CONFIG_INVALID', `envelope limit '${key}' must be a positive integer`, {
        limit: key,
      });
    }
    resolved[key] = value;
  }
  return Object.freeze(resolved);
}

// RFC 9110 token characters.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FORBIDDEN_VALUE_CHARS = /[\r\n\0]/;

/**
 * Checks headers against the limits: at most `maxHeaderCount` of them, names that are RFC 9110 tokens, values
 * without CR, LF or NUL, and names plus values no larger than `maxHeaderBytes` in total.
 *
 * @throws SwitchboardError `SWB_HEADER_INVALID` naming the header and the reason (never the value).
 * @example
 * ```ts
 * validateHeaders({ 'ce-id': '42' }, { maxHeaderCount: 32 });
 * ```
 */
export function validateHeaders(headers: WireHeaders, limits: EnvelopeLimits = DEFAULT_LIMITS): void {
  if (typeof headers !== 'object' || headers === null) throw invalidHeader('set must be an object');
  const maxCount = limits.maxHeaderCount ?? DEFAULT_LIMITS.maxHeaderCount;
  const maxBytes = limits.maxHeaderBytes ?? DEFAULT_LIMITS.maxHeaderBytes;
  let count = 0;
  let chars = 0;
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    if (++count > maxCount) {
      throw failure('SWB_HEADER_INVALID', `more than ${maxCount} headers`, {
        reason: 'too many headers',
        limit: maxCount,
      });
    }
    const value = headers[name];
    if (!TOKEN.test(name)) {
      // Such a name may hold anything, a payload included: report where it is, not what it says.
      throw failure('SWB_HEADER_INVALID', `header #${count} has a name that is not a token`, {
        reason: 'name is not a token',
        index: count,
      });
    }
    if (typeof value !== 'string') throw invalidHeader('value is not a string', name);
    if (FORBIDDEN_VALUE_CHARS.test(value)) throw invalidHeader('value contains CR, LF or NUL', name);
    chars += name.length + value.length;
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes, so only near the limit is the exact byte count worth computing.
  if (chars * 3 > maxBytes) {
    let bytes = 0;
    for (const name in headers) {
      if (Object.hasOwn(headers, name)) bytes += name.length + Buffer.byteLength(headers[name]!, 'utf8');
    }
    if (bytes > maxBytes) {
      throw failure('SWB_HEADER_INVALID', `headers larger than ${maxBytes} bytes`, {
        reason: 'headers too large',
        limit: maxBytes,
      });
    }
  }
}

/**
 * Rejects a body larger than `maxBytes`, before any decoding.
 *
 * @throws SwitchboardError `SWB_MESSAGE_TOO_LARGE`.
 * @example
 * ```ts
 * checkBodySize(message.body, resolveLimits());
 * ```
 */
export function checkBodySize(body: Uint8Array, limits: Pick<ResolvedLimits, 'maxBytes'>): void {
  if (!(body instanceof Uint8Array))
    throw failure('SWB_DECODE_FAILED', 'body must be a Uint8Array', { reason: 'body type' });
  if (body.byteLength > limits.maxBytes) {
    throw failure(
      'SWB_MESSAGE_TOO_LARGE',
      `body of ${body.byteLength} bytes exceeds the limit of ${limits.maxBytes}`,
      {
        size: body.byteLength,
        limit: limits.maxBytes,
      },
    );
  }
}
