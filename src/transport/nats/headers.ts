/**
 * WireMessage headers to NATS headers and back.
 *
 * Names go on the wire exactly as given (Switchboard's names are lower-case; NATS header names are
 * case-sensitive, so `ce-id` stays `ce-id`). Values are validated first: NATS headers are lines of text, so CR,
 * LF and NUL are refused (`SWB_HEADER_INVALID`), and the protocol trims spaces around values, so a value with
 * leading or trailing spaces is refused rather than silently changed. On receipt, headers in the canonical
 * `Nats-` form (`Nats-Msg-Id`, set by the transport itself or by the server) are dropped, and a repeated header
 * keeps its first value.
 *
 * @module
 */
import { type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';
import type { WireHeaders } from '../../envelope/types.js';
import { SwitchboardError } from '../../errors.js';

const BAD_NAME = /[^\x21-\x39\x3b-\x7e]/;
const BAD_VALUE = /[\r\n\0]/;

/** Builds NATS headers from wire headers (plus an optional `Nats-Msg-Id`); `undefined` when there are none. */
export function toNatsHeaders(wire: WireHeaders, messageId?: string): MsgHdrs | undefined {
  let result: MsgHdrs | undefined;
  for (const name in wire) {
    const value = wire[name] as string;
    if (name === '' || BAD_NAME.test(name)) {
      throw new SwitchboardError('SWB_HEADER_INVALID', 'header name not allowed in NATS headers', {
        details: { header: name.replace(BAD_NAME, '?') },
      });
    }
    if (BAD_VALUE.test(value) || value !== value.trim()) {
      throw new SwitchboardError('SWB_HEADER_INVALID', 'header value has CR, LF, NUL or surrounding spaces', {
        details: { header: name },
      });
    }
    result ??= natsHeaders();
    result.append(name, value);
  }
  if (messageId !== undefined) {
    result ??= natsHeaders();
    result.set('Nats-Msg-Id', messageId);
  }
  return result;
}

/** Reads NATS headers back into wire headers. */
export function fromNatsHeaders(hdrs: MsgHdrs | undefined): WireHeaders {
  const wire: WireHeaders = {};
  if (hdrs === undefined) return wire;
  for (const [name, values] of hdrs) {
    if (name.startsWith('Nats-')) continue;
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
  return wire;
}
