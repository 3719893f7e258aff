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
      result.append(name, encodeURIComponent(value));
    } else {
      result.append(name, value);
    }
  }
  if (encoded !== undefined) result?.set(ENCODED_HEADERS_HEADER, encoded.join(','));
  return result;
}

/** Reads NATS headers back into wire headers. */
export function fromNatsHeaders(hdrs: MsgHdrs | undefined): WireHeaders {
  const wire: WireHeaders = {};
  if (hdrs === undefined) return wire;
  for (const [name, values] of hdrs) {
    if (name.startsWith('Nats-') || name === ENCODED_HEADERS_HEADER) continue;
    const first = values[0];
    if (first !== undefined && !Object.hasOwn(wire, name)) {
      Object.defineProperty(wire, name, {
        value: first,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  const encoded = hdrs.get(ENCODED_HEADERS_HEADER);
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
  return wire;
}
