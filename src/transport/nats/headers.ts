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
    checkName(name);
    if (BAD_VALUE.test(value)) throw badValue(name);
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

/** Names already checked (they repeat on every message); bounded, emptied when full. */
const checkedNames = new Set<string>();

function checkName(name: string): void {
  if (checkedNames.has(name)) return;
  if (name === '' || BAD_NAME.test(name) || name === ENCODED_HEADERS_HEADER) {
    throw new SwitchboardError('SWB_HEADER_INVALID', 'header name not allowed in NATS headers', {
      details: { header: name.replace(BAD_NAME, '?') },
    });
  }
  if (name.length <= 64) {
    if (checkedNames.size >= 256) checkedNames.clear();
    checkedNames.add(name);
  }
}

function badValue(name: string): SwitchboardError {
  return new SwitchboardError('SWB_HEADER_INVALID', 'header value has CR, LF or NUL', {
    details: { header: name },
  });
}

/**
 * The header block nats.js puts on the wire, built once: nats.js only calls `encode()` on the headers of a core
 * publish, request or reply, so this stands in for a `MsgHdrs` there (not for JetStream publishes, which add
 * their own headers).
 */
class EncodedHeaders {
  constructor(private readonly bytes: Uint8Array) {}

  encode(): Uint8Array {
    return this.bytes;
  }
}

const utf8Encoder = new TextEncoder();
/** A value that is sent percent-encoded or refused: CR, LF, NUL, or whitespace at either end. */
const UNUSUAL_VALUE = /[\r\n\0]|^\s|\s$/;

/**
 * The same header block as {@link toNatsHeaders} gives on the wire, written as one string and encoded once,
 * for core publishes, requests and replies (nats.js only encodes their headers). `undefined` when there are no
 * headers.
 */
export function encodeNatsHeaders(wire: WireHeaders): MsgHdrs | undefined {
  let block = 'NATS/1.0';
  let any = false;
  let encoded: string | undefined;
  for (const name in wire) {
    let value = wire[name] as string;
    checkName(name);
    if (UNUSUAL_VALUE.test(value)) {
      if (BAD_VALUE.test(value)) throw badValue(name);
      encoded = encoded === undefined ? name : `${encoded},${name}`;
      value = encodeURIComponent(value);
    }
    block += `\r\n${name}: ${value}`;
    any = true;
  }
  if (!any) return undefined;
  if (encoded !== undefined) block += `\r\n${ENCODED_HEADERS_HEADER}: ${encoded}`;
  return new EncodedHeaders(utf8Encoder.encode(`${block}\r\n\r\n`)) as unknown as MsgHdrs;
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
  const wire = readHeaderBlock(data, end);
  return wire ?? fromNatsHeaders(message.headers);
}

/**
 * Header names by position in the last header blocks read. Messages of one kind carry the same names in the same
 * order: a name string V8 already knows as a property key costs far less to set than a fresh slice (a
 * string-table look-up each, about 0.2 µs per header).
 */
const recentNames: string[] = [];
const MAX_RECENT_NAMES = 64;

/**
 * Reads the header block `data[0, end)`: decoded once, then cut line by line. `undefined` when it holds anything
 * unusual (non-ASCII text, a lone CR or LF, a name outside printable ASCII), which the caller reads the slow way.
 * Switchboard's own values are ASCII (the envelope percent-encodes the rest).
 */
function readHeaderBlock(data: Uint8Array, end: number): WireHeaders | undefined {
  const text = utf8.decode(data.subarray(0, end));
  // One character per byte only when every byte was ASCII: then byte and character positions agree.
  if (text.length !== end) return undefined;
  const wire: WireHeaders = {};
  let encoded = '';
  // Skip the status line (NATS/1.0 ...); each header line ends with CRLF.
  let start = text.indexOf('\r\n');
  if (start < 0) return wire;
  start += 2;
  for (let index = 0; start < end; index++) {
    let stop = text.indexOf('\r', start);
    if (stop < 0) stop = end;
    else if (text.charCodeAt(stop + 1) !== 0x0a) return undefined;
    const lf = text.indexOf('\n', start);
    if (lf >= 0 && lf < stop) return undefined;
    if (stop === start) {
      start = stop + 2;
      continue;
    }
    let name = index < recentNames.length ? (recentNames[index] as string) : '';
    let colon = start + name.length;
    let known = name !== '' && text.charCodeAt(colon) === 0x3a;
    for (let i = 0; known && i < name.length; i++) known = text.charCodeAt(start + i) === name.charCodeAt(i);
    if (!known) {
      colon = text.indexOf(':', start);
      if (colon < 0 || colon >= stop) {
        start = stop + 2;
        continue;
      }
      if (colon === start) return undefined;
      for (let i = start; i < colon; i++) {
        const c = text.charCodeAt(i);
        if (c < 0x21 || c > 0x7e) return undefined;
      }
      name = text.slice(start, colon);
      if (index < MAX_RECENT_NAMES) recentNames[index] = name;
    }
    const value = text.slice(colon + 1, stop).trim();
    if (name === ENCODED_HEADERS_HEADER) {
      encoded ||= value;
    } else if (!name.startsWith('Nats-') && !Object.hasOwn(wire, name)) {
      define(wire, name, value);
    }
    start = stop + 2;
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
