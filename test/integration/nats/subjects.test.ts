import { MsgHdrsImpl } from '@nats-io/transport-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromNatsHeaders, toNatsHeaders } from '../../../src/transport/nats/headers.js';
import {
  assertTopic,
  decodeKeyToken,
  defaultStreamName,
  encodeKeyToken,
  keyFromSubject,
  messageSubject,
  SubjectReader,
  safeName,
} from '../../../src/transport/nats/subjects.js';

// Pure mapping logic; lives with the nats tests because it is the NATS transport's, and needs no server.
describe('NATS subject mapping', () => {
  it('every key becomes one valid subject token that decodes back to it', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: 'grapheme', maxLength: 60 }), { nil: undefined }), (key) => {
        const token = encodeKeyToken(key);
        expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeKeyToken(token)).toBe(key);
        expect(keyFromSubject(messageSubject('p.', 'orders.eu', key))).toBe(key);
      }),
    );
  });

  it('encodes a key the same the second time (remembered plain keys) and still refuses long ones', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.string({ maxLength: 80 }), { nil: undefined }), { maxLength: 30 }),
        (keys) => {
          for (const key of [...keys, ...keys]) {
            if (key !== undefined && key.length > 700) continue;
            expect(decodeKeyToken(encodeKeyToken(key))).toBe(key);
          }
        },
      ),
    );
    expect(() => encodeKeyToken('y'.repeat(1025))).toThrow(
      expect.objectContaining({ code: 'SWB_PUBLISH_FAILED' }),
    );
    expect(() => encodeKeyToken('y'.repeat(1025))).toThrow(
      expect.objectContaining({ code: 'SWB_PUBLISH_FAILED' }),
    );
  });

  it('reads subjects and keys of received messages, reusing the last only when the bytes are the same', () => {
    const encoder = new TextEncoder();
    const received = (subject: string) => ({ _msg: { subject: encoder.encode(subject) }, subject });
    const reader = new SubjectReader();
    const subjects = fc.constantFrom(
      'o.a',
      'o.b',
      'o.ab',
      'o._',
      'o.__',
      messageSubject('', 'o', 'x.y'),
      'p.b',
    );
    fc.assert(
      fc.property(fc.array(subjects, { minLength: 1, maxLength: 20 }), (list) => {
        for (const subject of list) {
          reader.read(received(subject));
          expect(reader.subject).toBe(subject);
          expect(reader.key).toBe(keyFromSubject(subject));
        }
      }),
    );
    // Without nats.js internals it reads the subject property.
    expect(reader.read({ subject: 'o.zz' })).toBe(true);
    expect(reader.key).toBe('zz');
    expect(reader.read(received('o.zz'))).toBe(true);
    expect(reader.read(received('o.zz'))).toBe(false);
  });

  it('keeps plain keys readable and tells the special ones apart', () => {
    expect(encodeKeyToken('task-42')).toBe('task-42');
    expect(encodeKeyToken(undefined)).toBe('_');
    expect(encodeKeyToken('')).toBe('__');
    expect(encodeKeyToken('a.b')).toBe(`_${Buffer.from('a.b').toString('base64url')}`);
    expect(() => encodeKeyToken('x'.repeat(2000))).toThrow(
      expect.objectContaining({ code: 'SWB_PUBLISH_FAILED' }),
    );
  });

  it('accepts dotted topics and refuses wildcards, spaces and empty tokens', () => {
    expect(() => assertTopic('orders.eu')).not.toThrow();
    for (const bad of ['', 'a..b', '.a', 'a.', 'a b', 'a.*', 'a.>']) {
      expect(() => assertTopic(bad), bad).toThrow(expect.objectContaining({ code: 'SWB_CONFIG_INVALID' }));
    }
  });

  it('makes safe, distinct stream and consumer names', () => {
    expect(defaultStreamName('SWB_', 'orders.eu')).toBe('SWB_orders_eu');
    expect(safeName('workers')).toBe('workers');
    expect(safeName('a.b')).not.toBe(safeName('a/b'));
    expect(safeName('a.b', 'g_')).toMatch(/^g_[A-Za-z0-9_-]+$/);
  });
});

describe('NATS header mapping', () => {
  it('round-trips any value without CR, LF or NUL, byte for byte', () => {
    const value = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((v) => !/[\r\n\0]/.test(v));
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/).filter((n) => n !== 'swb-encoded-headers');
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 6 }), (headers) => {
        const encoded = toNatsHeaders(headers);
        // Through the wire format, as a receiver decodes it.
        const decoded =
          encoded === undefined ? undefined : MsgHdrsImpl.decode((encoded as MsgHdrsImpl).encode());
        expect(fromNatsHeaders(decoded)).toEqual(headers);
      }),
    );
  });

  it('refuses CR, LF, NUL and bad names, and drops server headers on receipt', () => {
    expect(() => toNatsHeaders({ a: 'x\ny' })).toThrow(
      expect.objectContaining({ code: 'SWB_HEADER_INVALID' }),
    );
    expect(() => toNatsHeaders({ 'a b': 'x' })).toThrow(
      expect.objectContaining({ code: 'SWB_HEADER_INVALID' }),
    );
    expect(() => toNatsHeaders({ 'swb-encoded-headers': 'x' })).toThrow(
      expect.objectContaining({ code: 'SWB_HEADER_INVALID' }),
    );
    const hdrs = toNatsHeaders({ 'ce-id': '1' });
    hdrs?.set('Nats-Msg-Id', 'm1');
    expect(fromNatsHeaders(hdrs)).toEqual({ 'ce-id': '1' });
    expect(fromNatsHeaders(undefined)).toEqual({});
    const hostile = fromNatsHeaders(toNatsHeaders(JSON.parse('{"__proto__":"x"}') as Record<string, string>));
    expect(Object.getPrototypeOf(hostile)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(hostile, '__proto__')?.value).toBe('x');
  });
});
