/**
 * Percent-encoding of header values for the NATS (and HTTP) binding: space, `"`, `%` and everything outside
 * printable ASCII travel as `%XX` escapes of their UTF-8 bytes.
 *
 * @module
 */
import { invalidHeader } from './fail.js';

// Printable ASCII except space (0x20), '"' (0x22) and '%' (0x25), which the binding requires escaped.
const NEEDS_ESCAPE = /[^\x21\x23\x24\x26-\x7e]/;
const ESCAPE_RUNS = /[^\x21\x23\x24\x26-\x7e]+/g;

/**
 * Percent-encodes a header value as the CloudEvents HTTP/NATS bindings ask (UTF-8 bytes as `%XX`).
 *
 * @example
 * ```ts
 * percentEncode('Grüße 100%'); // 'Gr%C3%BC%C3%9Fe%20100%25'
 * ```
 */
export function percentEncode(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  // encodeURIComponent escapes exactly what we hand it; the runs only ever hold characters that need escaping.
  return value.replace(ESCAPE_RUNS, encodeURIComponent);
}

/**
 * Reverses {@link percentEncode}.
 *
 * @throws SwitchboardError `SWB_HEADER_INVALID` for broken escapes or escapes that are not UTF-8.
 * @example
 * ```ts
 * percentDecode('Gr%C3%BC%C3%9Fe'); // 'Grüße'
 * ```
 */
export function percentDecode(value: string, header?: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw invalidHeader('value has an invalid percent-encoding', header);
  }
}
