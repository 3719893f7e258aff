import { afterEach, describe, expect, it, vi } from 'vitest';
import { fromWireMessage, toWireMessage } from '../../src/envelope/binding.js';
import { createEnvelope } from '../../src/envelope/create.js';
import { jsonCodec } from '../../src/envelope/json-codec.js';
import { resolveLimits } from '../../src/envelope/limits.js';
import { percentDecode, percentEncode } from '../../src/envelope/percent.js';
import { protobufCodec } from '../../src/envelope/protobuf-codec.js';
import { isExpired, nowRfc3339Nano, parseRfc3339 } from '../../src/envelope/time.js';
import type { WireMessage } from '../../src/envelope/types.js';
import { validateEnvelope } from '../../src/envelope/validate.js';
import { isSwitchboardError } from '../../src/errors.js';
import { newProtoRoot } from './fixtures.js';

function errorOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (isSwitchboardError(error)) return error;
    throw error;
  }
  throw new Error('expected a SwitchboardError');
}

const base = { type: 'task.created.v1', source: 'backend-api', data: { taskId: 't-1' } };

describe('createEnvelope', () => {
  it('fills in id (UUID v7), time (RFC 3339 with nanoseconds), specversion and datacontenttype', () => {
    const envelope = createEnvelope(base);
    expect(envelope.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(envelope.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
    expect(envelope.specversion).toBe('1.0');
    expect(envelope.datacontenttype).toBe('application/json');
    expect(Object.isFrozen(envelope)).toBe(true);
    expect(Object.keys(envelope)).not.toContain('subject');
  });

  it('keeps given attributes and extensions', () => {
    const envelope = createEnvelope({
      ...base,
      id: 'custom',
      subject: 'task-1',
      correlationid: 'c',
      expirytime: '2030-01-01T00:00:00+02:00',
      extensions: { tenant: 'acme', skipped: undefined as unknown as string },
    });
    expect(envelope).toMatchObject({
      id: 'custom',
      subject: 'task-1',
      correlationid: 'c',
      extensions: { tenant: 'acme' },
    });
    expect(Object.isFrozen(envelope.extensions)).toBe(true);
  });

  const invalid: [string, Record<string, unknown>, string, string][] = [
    ['empty type', { type: '' }, 'type', 'must not be empty'],
    ['non-string source', { source: 5 }, 'source', 'must be a string'],
    ['control character in subject', { subject: 'a\nb' }, 'subject', 'must not contain control characters'],
    ['lone surrogate', { subject: 'a\ud800' }, 'subject', 'must not contain lone surrogates'],
    ['bad time', { time: '2026-13-01T00:00:00Z' }, 'time', 'must be an RFC 3339 timestamp'],
    ['bad expiry', { expirytime: 'tomorrow' }, 'expirytime', 'must be an RFC 3339 timestamp'],
    ['bad media type', { datacontenttype: 'json' }, 'datacontenttype', 'must be a media type (type/subtype)'],
    ['relative dataschema', { dataschema: '/schemas/1' }, 'dataschema', 'must be an absolute URI'],
    ['bad schemaversion', { schemaversion: '1.0' }, 'schemaversion', 'must be a semantic version (1.2.0)'],
    ['bad specversion', { specversion: '0.3' }, 'specversion', "must be '1.0'"],
    [
      'zero trace id',
      { traceparent: `00-${'0'.repeat(32)}-b7ad6b7169203331-01` },
      'traceparent',
      expect.any(String) as never,
    ],
    ['bad tracestate', { tracestate: 'é' }, 'tracestate', 'must be at most 512 printable ASCII characters'],
    [
      'extension with upper case',
      { extensions: { Tenant: 'x' } },
      'extensions.Tenant',
      expect.any(String) as never,
    ],
    [
      'reserved extension name',
      { extensions: { subject: 'x' } },
      'extensions.subject',
      'name is reserved for an envelope attribute',
    ],
    ['non-string extension', { extensions: { n: 1 } }, 'extensions.n', 'must be a string'],
    ['extensions not an object', { extensions: ['x'] }, 'extensions', 'must be an object of strings'],
  ];
  for (const [label, patch, field, reason] of invalid) {
    it(`rejects ${label}, naming the field and the reason`, () => {
      const error = errorOf(() => createEnvelope({ ...base, ...patch } as never));
      expect(error.code).toBe('SWB_ENVELOPE_INVALID');
      expect(error.retryable).toBe(false);
      expect(error.details).toEqual({ field, reason });
      expect(error.message).toContain(field);
    });
  }

  it('rejects a non-object input', () => {
    expect(errorOf(() => createEnvelope(null as never)).code).toBe('SWB_ENVELOPE_INVALID');
  });
});

describe('validateEnvelope', () => {
  it('returns a frozen copy with only defined attributes, and the same object when already checked', () => {
    const raw = { ...createEnvelope(base), subject: undefined };
    const checked = validateEnvelope(raw);
    expect(checked).not.toBe(raw);
    expect(Object.keys(checked)).not.toContain('subject');
    expect(validateEnvelope(checked)).toBe(checked);
  });

  it('rejects unknown top-level attributes and missing required ones', () => {
    const envelope = createEnvelope(base);
    expect(errorOf(() => validateEnvelope({ ...envelope, tenant: 'x' })).details).toEqual({
      field: 'tenant',
      reason: 'is not an envelope attribute (put extensions in `extensions`)',
    });
    const { time: _time, ...withoutTime } = envelope;
    expect(errorOf(() => validateEnvelope(withoutTime)).details).toEqual({
      field: 'time',
      reason: 'is required',
    });
    expect(errorOf(() => validateEnvelope('x')).code).toBe('SWB_ENVELOPE_INVALID');
  });
});

describe('time', () => {
  afterEach(() => vi.useRealTimers());

  it('nowRfc3339Nano is strictly increasing and close to the wall clock', () => {
    const values = Array.from({ length: 1000 }, () => nowRfc3339Nano());
    for (let i = 1; i < values.length; i++) expect(values[i]! > values[i - 1]!).toBe(true);
    expect(Math.abs(parseRfc3339(values[0]!)! - Date.now())).toBeLessThan(5000);
  });

  it('re-anchors on the wall clock when it jumps', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2040-01-01T00:00:00Z'));
    expect(nowRfc3339Nano().startsWith('2040-01-01T00:00:00.')).toBe(true);
  });

  it('parses RFC 3339 with offsets, fractions and leap seconds, and rejects impossible dates', () => {
    expect(parseRfc3339('2026-11-21T20:39:37.5+01:00')).toBe(Date.UTC(2026, 10, 21, 19, 39, 37, 500));
    expect(parseRfc3339('2026-11-21t20:39:37-00:30')).toBe(Date.UTC(2026, 10, 21, 21, 9, 37));
    expect(parseRfc3339('2016-12-31T23:59:60Z')).toBe(Date.UTC(2016, 11, 31, 23, 59, 59));
    expect(parseRfc3339('2026-02-29T00:00:00Z')).toBeUndefined();
    expect(parseRfc3339('2026-01-01T24:00:00Z')).toBeUndefined();
    expect(parseRfc3339('2026-01-01T00:00:00+24:00')).toBeUndefined();
    expect(parseRfc3339('2026-01-01 00:00:00Z')).toBeUndefined();
  });

  it('isExpired compares expirytime with now', () => {
    const deadline = Date.UTC(2030, 0, 1);
    const envelope = { expirytime: '2030-01-01T00:00:00Z' };
    expect(isExpired(envelope, deadline - 1)).toBe(false);
    expect(isExpired(envelope, deadline)).toBe(false);
    expect(isExpired(envelope, deadline + 1)).toBe(true);
    expect(isExpired({}, deadline)).toBe(false);
    expect(isExpired({ expirytime: 'garbage' })).toBe(true);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(deadline + 1000);
    expect(isExpired(envelope)).toBe(true);
  });
});

describe('percent-encoding', () => {
  it('escapes space, quote, percent and non-ASCII, and nothing else', () => {
    expect(percentEncode('plain-ASCII_~!#$&')).toBe('plain-ASCII_~!#$&');
    expect(percentEncode('Grüße "100%"')).toBe('Gr%C3%BC%C3%9Fe%20%22100%25%22');
    expect(percentDecode('Gr%C3%BC%C3%9Fe%20%22100%25%22')).toBe('Grüße "100%"');
    expect(percentEncode('😀')).toBe('%F0%9F%98%80');
  });

  it('rejects broken escapes', () => {
    expect(errorOf(() => percentDecode('%zz', 'ce-subject')).code).toBe('SWB_HEADER_INVALID');
    expect(errorOf(() => percentDecode('%C3')).code).toBe('SWB_HEADER_INVALID');
  });
});

describe('bindings', () => {
  const envelope = createEnvelope({
    ...base,
    partitionkey: 'task-1',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    tracestate: 'vendor=x',
    extensions: { tenant: 'Zürich' },
  });

  it('Kafka binary: ce_ headers, content-type, record key, plain trace headers', () => {
    const wire = toWireMessage(envelope, { style: 'kafka' });
    expect(wire.key).toBe('task-1');
    expect(wire.headers).toMatchObject({
      ce_id: envelope.id,
      ce_specversion: '1.0',
      'content-type': 'application/json',
      ce_tenant: 'Zürich',
      traceparent: envelope.traceparent,
      tracestate: 'vendor=x',
    });
    expect(wire.headers.ce_datacontenttype).toBeUndefined();
    expect(Object.keys(wire.headers).every((h) => h === h.toLowerCase())).toBe(true);
  });

  it('NATS binary: ce- headers, ce-datacontenttype, percent-encoded values', () => {
    const wire = toWireMessage(envelope, { style: 'nats' });
    expect(wire.headers['ce-tenant']).toBe('Z%C3%BCrich');
    expect(wire.headers['ce-datacontenttype']).toBe('application/json');
    expect(wire.headers['content-type']).toBeUndefined();
  });

  it('structured: cloudevents+json body with the data inline', () => {
    const wire = toWireMessage(envelope, { style: 'nats', mode: 'structured' });
    expect(wire.headers['content-type']).toBe('application/cloudevents+json');
    const event = JSON.parse(Buffer.from(wire.body).toString()) as Record<string, unknown>;
    expect(event).toMatchObject({ id: envelope.id, tenant: 'Zürich', data: { taskId: 't-1' } });
  });

  it('uses the record key when no partitionkey header came, and the plain trace headers', () => {
    const wire = toWireMessage(createEnvelope(base), { style: 'kafka' });
    const decoded = fromWireMessage(
      {
        ...wire,
        key: 'k-9',
        headers: { ...wire.headers, traceparent: envelope.traceparent!, tracestate: 'a=b' },
      },
      { style: 'kafka' },
    );
    expect(decoded).toMatchObject({
      partitionkey: 'k-9',
      traceparent: envelope.traceparent,
      tracestate: 'a=b',
    });
  });

  it('carries undefined data as an empty body, and null as JSON null', () => {
    for (const mode of ['binary', 'structured'] as const) {
      const none = createEnvelope({ ...base, data: undefined });
      expect(
        fromWireMessage(toWireMessage(none, { style: 'nats', mode }), { style: 'nats' }).data,
      ).toBeUndefined();
      const nil = createEnvelope({ ...base, data: null });
      expect(fromWireMessage(toWireMessage(nil, { style: 'nats', mode }), { style: 'nats' }).data).toBeNull();
    }
  });

  it('replaces a media type that does not match the codec', () => {
    const codec = protobufCodec(newProtoRoot().lookupType('test.Nest'));
    const wire = toWireMessage(createEnvelope({ ...base, data: { name: 'x' } }), { style: 'kafka', codec });
    expect(wire.headers['content-type']).toBe('application/protobuf');
    const textual = createEnvelope({ ...base, datacontenttype: 'text/plain', data: 'hi' });
    expect(toWireMessage(textual, { style: 'kafka' }).headers['content-type']).toBe('application/json');
  });

  it('decodes structured extensions written as booleans and integers, as strings', () => {
    const body = Buffer.from(
      JSON.stringify({
        specversion: '1.0',
        id: '1',
        source: 's',
        type: 't',
        time: '2026-01-01T00:00:00Z',
        flag: true,
        n: 3,
        empty: null,
      }),
    );
    const decoded = fromWireMessage(
      {
        headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
        body: new Uint8Array(body),
      },
      { style: 'kafka' },
    );
    expect(decoded.extensions).toEqual({ flag: 'true', n: '3' });
    expect(decoded.datacontenttype).toBe('application/json');
  });

  const structured = (event: unknown, contentType = 'application/cloudevents+json'): WireMessage => ({
    headers: { 'content-type': contentType },
    body: new Uint8Array(Buffer.from(JSON.stringify(event))),
  });
  const minimal = { specversion: '1.0', id: '1', source: 's', type: 't', time: '2026-01-01T00:00:00Z' };

  const failures: [string, WireMessage, string][] = [
    ['a batch', structured([minimal], 'application/cloudevents-batch+json'), 'SWB_UNSUPPORTED_CONTENT_TYPE'],
    ['a non-object event', structured([minimal]), 'SWB_DECODE_FAILED'],
    ['a float extension', structured({ ...minimal, ratio: 1.5 }), 'SWB_ENVELOPE_INVALID'],
    ['bad base64', structured({ ...minimal, data_base64: '*&^' }), 'SWB_ENVELOPE_INVALID'],
    [
      'an unknown media type',
      structured({ ...minimal, datacontenttype: 'application/avro', data_base64: 'AA==' }),
      'SWB_UNSUPPORTED_CONTENT_TYPE',
    ],
    [
      'invalid UTF-8',
      { headers: { 'content-type': 'application/cloudevents+json' }, body: new Uint8Array([0xff, 0xfe]) },
      'SWB_DECODE_FAILED',
    ],
    [
      'a missing id',
      { headers: { 'ce-specversion': '1.0' }, body: new Uint8Array() },
      'SWB_ENVELOPE_INVALID',
    ],
    [
      'a bad extension header',
      {
        headers: {
          ...structured(minimal).headers,
          'content-type': 'application/json',
          'ce-id': '1',
          'ce-source': 's',
          'ce-type': 't',
          'ce-specversion': '1.0',
          'ce-time': '2026-01-01T00:00:00Z',
          'ce-x': '%07',
        },
        body: new Uint8Array(),
      },
      'SWB_ENVELOPE_INVALID',
    ],
    ['a body that is not bytes', { headers: {}, body: 'x' as never }, 'SWB_DECODE_FAILED'],
    ['a wire message that is not an object', null as never, 'SWB_DECODE_FAILED'],
  ];
  for (const [label, wire, code] of failures) {
    it(`rejects ${label} with ${code}`, () => {
      const error = errorOf(() => fromWireMessage(wire, { style: 'nats' }));
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(false);
    });
  }

  it('wraps failures of user codecs without their messages', () => {
    const broken = {
      contentType: 'application/x-broken',
      encode: () => {
        throw new Error('secret value 42');
      },
      decode: () => {
        throw new Error('secret bytes');
      },
    };
    const envelope2 = createEnvelope({ ...base, datacontenttype: 'application/x-broken' });
    const encodeError = errorOf(() => toWireMessage(envelope2, { style: 'kafka', codec: broken }));
    expect(encodeError.code).toBe('SWB_ENCODE_FAILED');
    expect(encodeError.message).not.toContain('secret');
    const wire: WireMessage = {
      headers: {
        ce_id: '1',
        ce_source: 's',
        ce_type: 't',
        ce_specversion: '1.0',
        ce_time: '2026-01-01T00:00:00Z',
        'content-type': 'application/x-broken',
      },
      body: new Uint8Array([1]),
    };
    const decodeError = errorOf(() => fromWireMessage(wire, { style: 'kafka', codecs: [broken] }));
    expect(decodeError.code).toBe('SWB_DECODE_FAILED');
    expect(decodeError.message).not.toContain('secret');
  });

  it('reports unserialisable data as SWB_ENCODE_FAILED in both modes', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const envelope3 = createEnvelope({ ...base, data: cyclic });
    expect(errorOf(() => toWireMessage(envelope3, { style: 'kafka' })).code).toBe('SWB_ENCODE_FAILED');
    expect(errorOf(() => toWireMessage(envelope3, { style: 'kafka', mode: 'structured' })).code).toBe(
      'SWB_ENCODE_FAILED',
    );
    expect(errorOf(() => jsonCodec().encode(10n as never)).code).toBe('SWB_ENCODE_FAILED');
  });

  it('applies a custom depth limit to the default JSON codec', () => {
    const deep = createEnvelope({ ...base, data: [[[[1]]]] });
    const wire = toWireMessage(deep, { style: 'kafka' });
    expect(errorOf(() => fromWireMessage(wire, { style: 'kafka', limits: { maxDepth: 3 } })).code).toBe(
      'SWB_DEPTH_EXCEEDED',
    );
  });
});

describe('limits', () => {
  it('fills defaults and rejects nonsense', () => {
    expect(resolveLimits({ maxBytes: 10 })).toMatchObject({ maxBytes: 10, maxDepth: 64 });
    expect(errorOf(() => resolveLimits({ maxDepth: 0 })).code).toBe('SWB_CONFIG_INVALID');
    expect(errorOf(() => resolveLimits({ maxBytes: 1.5 })).code).toBe('SWB_CONFIG_INVALID');
  });
});

describe('protobuf codec options', () => {
  const root = newProtoRoot();
  const Nest = root.lookupType('test.Nest');

  it('verifies values before encoding', () => {
    const error = errorOf(() => protobufCodec(Nest).encode({ name: 5 } as never));
    expect(error.code).toBe('SWB_ENCODE_FAILED');
    expect(error.details?.problem).toMatch(/name/);
  });

  it('can convert with fromObject and decode into plain objects', () => {
    const codec = protobufCodec(Nest, { fromObject: true, toObject: { defaults: false } });
    const decoded = codec.decode(codec.encode({ name: 'a', child: { name: 'b' } }));
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(decoded).toEqual({ name: 'a', child: { name: 'b' } });
    expect(errorOf(() => codec.encode({ child: 5 } as never)).code).toBe('SWB_ENCODE_FAILED');
  });
});

describe('header limits on the decode path', () => {
  const envelope = createEnvelope({ ...base, extensions: { a: '1', b: '2' } });
  for (const style of ['kafka', 'nats'] as const) {
    it(`${style}: too many, too large or badly named headers are SWB_HEADER_INVALID`, () => {
      const wire = toWireMessage(envelope, { style });
      expect(errorOf(() => fromWireMessage(wire, { style, limits: { maxHeaderCount: 3 } })).code).toBe(
        'SWB_HEADER_INVALID',
      );
      expect(errorOf(() => fromWireMessage(wire, { style, limits: { maxHeaderBytes: 60 } })).code).toBe(
        'SWB_HEADER_INVALID',
      );
      const badName = { ...wire, headers: { ...wire.headers, 'x y': '1' } };
      expect(errorOf(() => fromWireMessage(badName, { style })).code).toBe('SWB_HEADER_INVALID');
      const badValue = { ...wire, headers: { ...wire.headers, other: 5 as unknown as string } };
      expect(errorOf(() => fromWireMessage(badValue, { style })).code).toBe('SWB_HEADER_INVALID');
      expect(errorOf(() => fromWireMessage({ ...wire, headers: null as never }, { style })).code).toBe(
        'SWB_DECODE_FAILED',
      );
      // Unrelated headers pass through untouched.
      expect(
        fromWireMessage({ ...wire, headers: { ...wire.headers, 'x-request-id': 'r' } }, { style }).extensions,
      ).toEqual({ a: '1', b: '2' });
    });
  }
});

describe('RFC 3339 validation of time attributes', () => {
  const ok = [
    '2026-01-01T00:00:00Z',
    '2026-01-01t00:00:00.1z',
    '2024-02-29T23:59:60.123456789012+14:00',
    '2026-01-01T00:00:00-00:30',
  ];
  const bad = [
    '2026-01-01T00:00:00',
    '2026-01-01T00:00:00.Z',
    '2026-01-01T00:00:00.1234567890123Z',
    '2025-02-29T00:00:00Z',
    '2026-01-01T00:00:00+1:00',
    '2026-01-01T00:00:00+24:00',
    '2026-01-01X00:00:00Z',
    '2026-1-01T00:00:00Z',
    '2026-01-01T00:60:00Z',
  ];
  for (const time of ok)
    it(`accepts ${time}`, () => expect(createEnvelope({ ...base, time }).time).toBe(time));
  for (const time of bad)
    it(`rejects ${time}`, () =>
      expect(errorOf(() => createEnvelope({ ...base, time })).code).toBe('SWB_ENVELOPE_INVALID'));
});

describe('traceparent versions', () => {
  it('accepts future versions with extra fields and rejects version ff', () => {
    const id = '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(createEnvelope({ ...base, traceparent: `01-${id}-extra` }).traceparent).toBe(`01-${id}-extra`);
    expect(errorOf(() => createEnvelope({ ...base, traceparent: `ff-${id}` })).code).toBe(
      'SWB_ENVELOPE_INVALID',
    );
    expect(errorOf(() => createEnvelope({ ...base, traceparent: `00-${id}-extra` })).code).toBe(
      'SWB_ENVELOPE_INVALID',
    );
  });
});
