/**
 * WireMessage headers to NATS headers and back, byte for byte.
 *
 * Names go on the wire exactly as given (Switchboard's names are lower-case; NATS header names are
 * case-sensitive, so `ce-id` stays `ce-id`). Values: CR, LF and NUL cannot travel in a NATS header line and are
 * refused (`SWB_HEADER_INVALID`). NATS clients trim spaces around header values, so a value with leading or
 * trailing whitespace is sent percent-encoded (`encodeURIComponent`) and its name listed in the header
 * `swb-encoded-headers` (comma-separated); the receiving transport decodes those and drops the list. Every other
 * value travels as it is.
 *
 * On receipt, headers in the canonical `Nats-` form (`Nats-Msg-Id` and others set by the server) are dropped, and
 * a repeated header keeps its first value.
 *
 * @module
 */
import { type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';
import type { WireHeaders } from '../../envelope/types.js';
import { SwitchboardError } from '../../errors.js';

/** Lists the headers whose values were percent-encoded to keep their surrounding whitespace. */
export const ENCODED_HEADERS_HEADER = 'swb-encoded-headers';

const BAD_NAME = /[^\x21-\x39\x3b-\x7e]/;
const BAD_VALUE = /[\r\n\0]/;
const PADDED = /^\s|\s$/;

/** Builds NATS headers from wire headers; `undefined` when there are none. */
export function toNatsHeaders(wire: WireHeaders): MsgHdrs | undefined {
  let result: MsgHdrs | undefined;
  let encoded: string[] | undefined;
  for (const name in wire) {
    const value = wire[name] as string;
    if (name === '' || BAD_NAME.test(name) || name === ENCODED_HEADERS_HEADER) {
      throw new SwitchboardError('SWB_HEADER_INVALID', 'header name not allowed in NATS headers', {
        details: { header: name.replace(BAD_NAME, '?') },
      });
    }
    if (BAD_VALUE.test(value)) {
      throw new SwitchboardError('SWB_HEADER_INVALID', 'header value has CR, LF or NUL', {
        details: { header: name },
      });
    }
    result ??= natsHeaders();
    if (PADDED.test(value)) {
      encoded ??= [];
      encoded.push(name);
      put(result, name, encodeURIComponent(value));
    } else {
      put(result, name, value);
    }
  }
  if (encoded !== undefined) result?.set(ENCODED_HEADERS_HEADER, encoded.join(','));
  return result;
}

/**
 * Appends one header that passed the checks above. nats.js's `append` canonicalises the name, scans every key
 * already set and tests the value again on each call (quadratic in the header count, and most of the cost of a
 * publish); names here are unique and already checked, so the value list is set directly when the headers
 * object has the map nats.js keeps them in.
 */
function put(hdrs: MsgHdrs, name: string, value: string): void {
  const map = (hdrs as unknown as { headers?: unknown }).headers;
  if (map instanceof Map) map.set(name, [value]);
  else hdrs.append(name, value);
}

/** What a received nats.js message keeps internally: its raw bytes and where the headers end. */
interface RawMsg {
  readonly _msg?: { readonly hdr?: number };
  readonly _rdata?: Uint8Array;
}

const utf8 = new TextDecoder();
const BAD_HEADER_LINE = /[\r\n]/;

/**
 * The wire headers of a received message. Reads them from the message's raw header block when nats.js exposes
 * it (one pass, no `MsgHdrs` built: its decoder appends header by header, quadratic in the count); falls back to
 * {@link fromNatsHeaders} on anything unusual, so both paths give the same result.
 */
export function wireHeadersOf(message: { readonly headers?: MsgHdrs | undefined }): WireHeaders {
  const raw = ((message as { msg?: RawMsg }).msg ?? message) as RawMsg;
  const end = raw._msg?.hdr;
  const data = raw._rdata;
  if (typeof end !== 'number' || !(data instanceof Uint8Array)) return fromNatsHeaders(message.headers);
  if (end < 0) return {};
  const lines = utf8.decode(data.subarray(0, end)).split('\r\n');
  const wire: WireHeaders = {};
  let encoded = '';
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon);
    if (name === '' || BAD_NAME.test(name) || BAD_HEADER_LINE.test(line))
      return fromNatsHeaders(message.headers);
    if (name === ENCODED_HEADERS_HEADER) {
      encoded ||= line.slice(colon + 1).trim();
      continue;
    }
    if (name.startsWith('Nats-') || Object.hasOwn(wire, name)) continue;
    define(wire, name, line.slice(colon + 1).trim());
  }
  if (encoded !== '') decodeListed(wire, encoded);
  return wire;
}

function define(wire: WireHeaders, name: string, value: string): void {
  // A header called __proto__ must stay an ordinary own property: defineProperty for it (the only accessor on
  // Object.prototype), plain assignment for the rest (defineProperty on every header made the object slow).
  if (name === '__proto__') {
    Object.defineProperty(wire, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    (wire as Record<string, string>)[name] = value;
  }
}

/** Reads NATS headers back into wire headers. */
export function fromNatsHeaders(hdrs: MsgHdrs | undefined): WireHeaders {
  const wire: WireHeaders = {};
  if (hdrs === undefined) return wire;
  for (const [name, values] of hdrs) {
    if (name.startsWith('Nats-') || name === ENCODED_HEADERS_HEADER) continue;
    const first = values[0];
    if (first !== undefined && !Object.hasOwn(wire, name)) define(wire, name, first);
  }
  const encoded = hdrs.get(ENCODED_HEADERS_HEADER);
  decodeListed(wire, encoded);
  return wire;
}

/** Percent-decodes the values listed in `swb-encoded-headers`. */
function decodeListed(wire: WireHeaders, encoded: string): void {
  if (encoded !== '') {
    for (const name of encoded.split(',')) {
      const value = wire[name];
      if (value === undefined || !Object.hasOwn(wire, name)) continue;
      try {
        Object.defineProperty(wire, name, {
          value: decodeURIComponent(value),
          enumerable: true,
          writable: true,
        });
      } catch {
        // Not ours after all (a foreign publisher): keep the value as it came.
      }
    }
  }
}
