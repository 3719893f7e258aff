import { type Msg, headers as natsHeaders } from '@nats-io/transport-node';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  encodeNatsHeaders,
  fromNatsHeaders,
  toNatsHeaders,
  wireHeadersOf,
} from '../../../src/transport/nats/headers.js';
import { describeNats, rawConnection, uniqueName } from '../../support/nats-helpers.js';

type Connection = Awaited<ReturnType<typeof rawConnection>>;
type Received = Msg;

/** The bytes nats.js puts on the wire for a headers object (what its publish calls). */
function encodedBytes(headers: unknown): Uint8Array {
  return (headers as { encode(): Uint8Array }).encode();
}

// wireHeadersOf reads a received message's raw header block instead of nats.js's MsgHdrs; these tests hold it to
// the same result as the MsgHdrs path on real messages from a server.
describeNats('NATS headers: raw fast path', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await rawConnection();
  });
  afterAll(async () => {
    await connection.close();
  });

  async function roundTrip(build: () => ReturnType<typeof natsHeaders> | undefined): Promise<Received> {
    const subject = uniqueName('hdr');
    const received = new Promise<Received>((resolve) => {
      connection.subscribe(subject, { max: 1, callback: (_e, m) => resolve(m) });
    });
    await connection.flush();
    const hdrs = build();
    connection.publish(subject, new Uint8Array([1]), hdrs === undefined ? {} : { headers: hdrs });
    return received;
  }

  it('gives what the MsgHdrs path gives for any header set Switchboard writes', async () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/);
    const value = fc.string({ minLength: 1, maxLength: 40 }).filter((v) => !/[\r\n\0]/.test(v));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(name, value, { maxKeys: 12 }), async (wire) => {
        const message = await roundTrip(() => toNatsHeaders(wire));
        const fast = wireHeadersOf(message);
        expect(fast).toEqual(fromNatsHeaders(message.headers));
        expect(fast).toEqual(wire);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps the first of repeated headers, drops Nats- headers and keeps __proto__ an own property', async () => {
    const message = await roundTrip(() => {
      const h = natsHeaders();
      h.append('ce-type', 'a.v1');
      h.append('ce-type', 'b.v1');
      h.append('Nats-Msg-Id', 'x');
      h.append('__proto__', 'polluted');
      h.append('padded', '  kept?  ');
      return h;
    });
    const fast = wireHeadersOf(message);
    expect(fast).toEqual(fromNatsHeaders(message.headers));
    expect(fast['ce-type']).toBe('a.v1');
    expect(Object.hasOwn(fast, 'Nats-Msg-Id')).toBe(false);
    expect(Object.hasOwn(fast, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(fast)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns no headers for a message without any, and falls back without nats.js internals', async () => {
    const message = await roundTrip(() => undefined);
    expect(wireHeadersOf(message)).toEqual({});
    const h = natsHeaders();
    h.append('ce-id', '1');
    expect(wireHeadersOf({ headers: h })).toEqual({ 'ce-id': '1' });
    expect(wireHeadersOf({ headers: undefined })).toEqual({});
  });

  it('writes the same header block as MsgHdrs, and the reader gives it back, for any header set', async () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/);
    // Values with spaces at either end travel percent-encoded; non-ASCII text travels as UTF-8.
    const value = fc
      .string({ minLength: 0, maxLength: 40, unit: 'grapheme' })
      .filter((v) => !/[\r\n\0]/.test(v));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(name, value, { maxKeys: 12 }), async (wire) => {
        const fast = encodeNatsHeaders(wire);
        const slow = toNatsHeaders(wire);
        expect(fast === undefined).toBe(slow === undefined);
        if (fast === undefined || slow === undefined) return;
        expect(Buffer.from(encodedBytes(fast)).toString('hex')).toBe(
          Buffer.from(encodedBytes(slow)).toString('hex'),
        );
        const message = await roundTrip(() => fast as ReturnType<typeof natsHeaders>);
        expect(wireHeadersOf(message)).toEqual(wire);
      }),
      { numRuns: 60 },
    );
  });

  it('reads messages of one kind after another right when names, order or values change', async () => {
    // The reader reuses the names and values it saw at each position: each message must still read as sent.
    const sequence: Record<string, string>[] = [
      { 'ce-id': '1', 'ce-type': 'a.v1', 'ce-source': 's' },
      { 'ce-id': '2', 'ce-type': 'a.v1', 'ce-source': 's' },
      { 'ce-id': '3', 'ce-type': 'a.v2', 'ce-source': 's' },
      { 'ce-type': 'a.v1', 'ce-id': '4', 'ce-source': 's' },
      { 'ce-id': '5' },
      { 'ce-id': '6', 'ce-type': 'a.v1', 'ce-source': 's', extra: ' padded ' },
      { 'ce-id': '7', 'ce-typ': 'a.v1', 'ce-source': 'ś' },
      { 'ce-id': '8', 'ce-type': 'a.v1', 'ce-source': 's' },
    ];
    for (const wire of sequence) {
      const message = await roundTrip(() => encodeNatsHeaders(wire) as ReturnType<typeof natsHeaders>);
      expect(wireHeadersOf(message)).toEqual(wire);
    }
    // A repeated name keeps its first value, also when the position cache knows the name.
    const repeated = await roundTrip(() => {
      const h = natsHeaders();
      h.append('ce-id', '9');
      h.append('ce-id', '10');
      return h;
    });
    expect(wireHeadersOf(repeated)).toEqual({ 'ce-id': '9' });
  });

  it('refuses header names and values that cannot travel, like toNatsHeaders', () => {
    const invalid: Record<string, string>[] = [
      { 'bad name': 'x' },
      { 'a:b': 'x' },
      { ok: 'line\nbreak' },
      { ok: 'nul\0' },
      { '': 'x' },
    ];
    for (const wire of invalid) {
      expect(() => encodeNatsHeaders(wire)).toThrow(expect.objectContaining({ code: 'SWB_HEADER_INVALID' }));
      expect(() => toNatsHeaders(wire)).toThrow(expect.objectContaining({ code: 'SWB_HEADER_INVALID' }));
    }
    expect(encodeNatsHeaders({})).toBeUndefined();
  });
});
