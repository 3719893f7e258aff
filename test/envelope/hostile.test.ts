import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { avroCodec } from '../../src/envelope/avro-codec.js';
import { fromWireMessage, toWireMessage } from '../../src/envelope/binding.js';
import { createEnvelope } from '../../src/envelope/create.js';
import { jsonCodec } from '../../src/envelope/json-codec.js';
import { validateHeaders } from '../../src/envelope/limits.js';
import { protobufCodec } from '../../src/envelope/protobuf-codec.js';
import { createEnvelopeSerializer } from '../../src/envelope/serializer.js';
import type { WireMessage } from '../../src/envelope/types.js';
import { isSwitchboardError } from '../../src/errors.js';
import { newJsonAvroType, newProtoRoot, toProto } from './fixtures.js';

/** The hostile key, read as plain data (the decoders keep it as an own property of null-prototype objects). */
const PROTO_KEY = '__proto__';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (!isSwitchboardError(error)) throw error;
    expect(error.retryable).toBe(false);
    return error.code;
  }
  throw new Error('expected a SwitchboardError');
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

afterEach(() => {
  // Every test here would leave a trace on Object.prototype if a defence failed.
  expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('JSON prototype pollution', () => {
  const codec = jsonCodec();
  const removing = jsonCodec({ protoAction: 'remove' });

  it('rejects __proto__ keys by default', () => {
    expect(codeOf(() => codec.decode(bytes('{"a":1,"__proto__":{"polluted":true}}')))).toBe(
      'SWB_DECODE_FAILED',
    );
  });

  it('rejects constructor.prototype by default', () => {
    expect(codeOf(() => codec.decode(bytes('{"constructor":{"prototype":{"polluted":true}}}')))).toBe(
      'SWB_DECODE_FAILED',
    );
  });

  it('rejects __proto__ spelt with unicode escapes, nested in arrays', () => {
    expect(codeOf(() => codec.decode(bytes('[{"x":[{"\\u005f_proto__":{"polluted":true}}]}]')))).toBe(
      'SWB_DECODE_FAILED',
    );
  });

  it("with protoAction 'remove', drops the keys and leaves the result's prototype untouched", () => {
    const value = removing.decode(
      bytes('{"a":1,"__proto__":{"polluted":true},"b":{"constructor":{"prototype":{"polluted":true}}}}'),
    ) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(value.b)).toBe(Object.prototype);
    expect(value).toEqual({ a: 1, b: {} });
    expect(value.polluted).toBeUndefined();
    // Merging the result the naive way must not pollute either.
    const merged = Object.assign({}, value);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });

  it('keeps an innocent constructor key (a string) and ordinary Unicode escapes', () => {
    expect(codec.decode(bytes('{"constructor":"Ada","s":"\\u00e9"}'))).toEqual({
      constructor: 'Ada',
      s: 'é',
    });
  });

  it('rejects pollution through a whole structured-mode message', () => {
    const body = bytes(
      '{"specversion":"1.0","id":"1","source":"s","type":"t","time":"2026-01-01T00:00:00Z","data":{"__proto__":{"polluted":true}}}',
    );
    const wire: WireMessage = { headers: { 'content-type': 'application/cloudevents+json' }, body };
    expect(codeOf(() => fromWireMessage(wire, { style: 'nats' }))).toBe('SWB_DECODE_FAILED');
  });
});

describe('JSON depth cap', () => {
  it('rejects nesting deeper than the default 64 before parsing', () => {
    const deep = `${'['.repeat(65)}${']'.repeat(65)}`;
    expect(codeOf(() => jsonCodec().decode(bytes(deep)))).toBe('SWB_DEPTH_EXCEEDED');
    expect(jsonCodec().decode(bytes(`${'['.repeat(64)}${']'.repeat(64)}`))).toBeDefined();
  });

  it('does not count brackets inside strings', () => {
    const text = JSON.stringify({ s: '['.repeat(500), t: 'a\\"{{{{' });
    expect(jsonCodec({ maxDepth: 2 }).decode(bytes(text))).toEqual(JSON.parse(text));
  });

  it('rejects a million-level bomb quickly', () => {
    const started = performance.now();
    expect(codeOf(() => jsonCodec().decode(bytes('['.repeat(1_000_000))))).toBe('SWB_DEPTH_EXCEEDED');
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('Avro hostile input', () => {
  it('rejects a block-count bomb (5 bytes declaring 2^26 items) in under 50 ms', () => {
    const codec = avroCodec({ type: 'array', items: 'null' });
    // zig-zag(2^26) = 2^27 as a varint: 80 80 80 40, then the end-of-array 00.
    const bomb = new Uint8Array([0x80, 0x80, 0x80, 0x40, 0x00]);
    const started = performance.now();
    expect(codeOf(() => codec.decode(bomb))).toBe('SWB_DECODE_FAILED');
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('rejects bombs hidden in a record, in maps and in negative (sized) blocks', () => {
    const codec = avroCodec({
      type: 'record',
      name: 'Task',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'tags', type: { type: 'array', items: 'long' } },
        { name: 'labels', type: { type: 'map', values: 'string' } },
      ],
    });
    const id = [0x02, 0x61]; // "a"
    const started = performance.now();
    expect(codeOf(() => codec.decode(new Uint8Array([...id, 0x80, 0x80, 0x80, 0x40, 0x00, 0x00])))).toBe(
      'SWB_DECODE_FAILED',
    );
    expect(codeOf(() => codec.decode(new Uint8Array([...id, 0x00, 0x80, 0x80, 0x80, 0x40, 0x00])))).toBe(
      'SWB_DECODE_FAILED',
    );
    // Negative count -2^26 followed by a block size of 2 bytes.
    expect(
      codeOf(() => codec.decode(new Uint8Array([...id, 0xff, 0xff, 0xff, 0x3f, 0x04, 0x00, 0x00, 0x00]))),
    ).toBe('SWB_DECODE_FAILED');
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('rejects truncated data, trailing bytes and bad union indexes', () => {
    const codec = avroCodec(newJsonAvroType());
    const good = codec.encode({ v: [{ v: 'x' }] });
    expect(codeOf(() => codec.decode(good.subarray(0, good.length - 1)))).toBe('SWB_DECODE_FAILED');
    expect(codeOf(() => codec.decode(new Uint8Array([...good, 0])))).toBe('SWB_DECODE_FAILED');
    expect(codeOf(() => codec.decode(new Uint8Array([0x7e])))).toBe('SWB_DECODE_FAILED');
  });

  it('rejects nesting deeper than the limit', () => {
    const codec = avroCodec(newJsonAvroType(), { maxDepth: 10 });
    let value: unknown = { v: null };
    for (let i = 0; i < 10; i++) value = { v: [value] };
    expect(codeOf(() => codec.decode(codec.encode(value)))).toBe('SWB_DEPTH_EXCEEDED');
  });

  it('decodes map keys __proto__ and constructor into null-prototype objects, leaving prototypes alone', () => {
    const codec = avroCodec({ type: 'map', values: { type: 'map', values: 'string' } });
    const hostile = JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":"yes"}}');
    const decoded = codec.decode(codec.encode(hostile)) as Record<string, Record<string, string>>;
    expect(Object.getPrototypeOf(decoded)).toBeNull();
    expect(Object.keys(decoded)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(decoded[PROTO_KEY]!)).toBeNull();
    expect(decoded[PROTO_KEY]!.polluted).toBe('yes');
    expect(decoded.constructor!.prototype).toBe('yes');
  });

  it('keeps null-prototype maps when resolving a writer schema and when given a prebuilt avsc Type', () => {
    const writer = avro.Type.forSchema({
      type: 'record',
      name: 'R',
      fields: [{ name: 'm', type: { type: 'map', values: 'int' } }],
    });
    const reader = avro.Type.forSchema({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'm', type: { type: 'map', values: 'long' } },
        { name: 'n', type: 'int', default: 7 },
      ],
    });
    const codec = avroCodec(reader, { writerSchema: writer });
    const data = writer.toBuffer({ m: JSON.parse('{"__proto__":1}') });
    const decoded = codec.decode(data) as { m: Record<string, number>; n: number };
    expect(Object.getPrototypeOf(decoded.m)).toBeNull();
    expect(decoded.m[PROTO_KEY]).toBe(1);
    expect(decoded.n).toBe(7);
  });
});

describe('Protobuf hostile input', () => {
  const root = newProtoRoot();
  const Nest = root.lookupType('test.Nest');

  // Hand-built: protobufjs's encoder itself refuses to go past its recursion limit.
  function nested(levels: number): Uint8Array {
    let inner = Buffer.from([0x12, 0x01, 0x78]); // name = "x"
    for (let i = 0; i < levels; i++) {
      inner = Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]);
    }
    return new Uint8Array(inner);
  }

  it('rejects a message nested 101 deep', () => {
    expect(codeOf(() => protobufCodec(Nest).decode(nested(101)))).toBe('SWB_DEPTH_EXCEEDED');
  });

  it("enforces our limit (default 64) below protobufjs's own 100", () => {
    const codec = protobufCodec(Nest);
    expect(() => codec.decode(nested(64))).not.toThrow();
    expect(codeOf(() => codec.decode(nested(65)))).toBe('SWB_DEPTH_EXCEEDED');
    expect(codeOf(() => protobufCodec(Nest, { maxDepth: 5 }).decode(nested(6)))).toBe('SWB_DEPTH_EXCEEDED');
    // A limit above protobufjs's is capped at it.
    expect(codeOf(() => protobufCodec(Nest, { maxDepth: 500 }).decode(nested(101)))).toBe(
      'SWB_DEPTH_EXCEEDED',
    );
  });

  it('rejects __proto__ map keys, which protobufjs would write into an ordinary object', () => {
    const Value = root.lookupType('test.Value');
    const codec = protobufCodec(Value);
    const bytes = Value.encode(
      Value.fromObject(toProto(JSON.parse('{"__proto__":{"polluted":true}}'))),
    ).finish();
    expect(codeOf(() => codec.decode(bytes))).toBe('SWB_DECODE_FAILED');
  });

  it('rejects garbage', () => {
    expect(codeOf(() => protobufCodec(Nest).decode(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f])))).toBe(
      'SWB_DECODE_FAILED',
    );
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

describe('headers', () => {
  const base = { 'ce-id': '1' };
  for (const [label, value] of [
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['NUL', 'a\0b'],
  ] as const) {
    it(`rejects ${label} in a header value`, () => {
      expect(codeOf(() => validateHeaders({ ...base, 'ce-subject': value }))).toBe('SWB_HEADER_INVALID');
      const wire: WireMessage = { headers: { ...base, 'ce-subject': value }, body: new Uint8Array() };
      expect(codeOf(() => fromWireMessage(wire, { style: 'nats' }))).toBe('SWB_HEADER_INVALID');
    });
  }

  it('rejects header names that are not tokens', () => {
    expect(codeOf(() => validateHeaders({ 'ce id': '1' }))).toBe('SWB_HEADER_INVALID');
    expect(codeOf(() => validateHeaders({ 'ce\r\nx': '1' }))).toBe('SWB_HEADER_INVALID');
    expect(codeOf(() => validateHeaders({ '': '1' }))).toBe('SWB_HEADER_INVALID');
  });

  it('caps the header count and total size', () => {
    const many = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`h${i}`, 'v']));
    expect(codeOf(() => validateHeaders(many, { maxHeaderCount: 4 }))).toBe('SWB_HEADER_INVALID');
    expect(() => validateHeaders(many, { maxHeaderCount: 5 })).not.toThrow();
    expect(codeOf(() => validateHeaders({ h: 'é'.repeat(10) }, { maxHeaderBytes: 20 }))).toBe(
      'SWB_HEADER_INVALID',
    );
    expect(() => validateHeaders({ h: 'é'.repeat(9) }, { maxHeaderBytes: 20 })).not.toThrow();
  });

  it('rejects non-string header values', () => {
    expect(codeOf(() => validateHeaders({ h: 1 as unknown as string }))).toBe('SWB_HEADER_INVALID');
  });
});

describe('size limit', () => {
  const envelope = createEnvelope({ type: 't', source: 's', data: { text: 'x'.repeat(100) } });

  it('rejects a body one byte over the limit, before decoding', () => {
    const wire = toWireMessage(envelope, { style: 'kafka' });
    const limit = wire.body.byteLength;
    expect(fromWireMessage(wire, { style: 'kafka', limits: { maxBytes: limit } }).data).toEqual(
      envelope.data,
    );
    const over = { ...wire, body: new Uint8Array([...wire.body, 0x20]) };
    expect(codeOf(() => fromWireMessage(over, { style: 'kafka', limits: { maxBytes: limit } }))).toBe(
      'SWB_MESSAGE_TOO_LARGE',
    );
    // Garbage over the limit is reported as too large: nothing was parsed.
    const garbage = { ...wire, body: new Uint8Array(limit + 1).fill(0x7b) };
    expect(codeOf(() => fromWireMessage(garbage, { style: 'kafka', limits: { maxBytes: limit } }))).toBe(
      'SWB_MESSAGE_TOO_LARGE',
    );
  });

  it('applies to structured mode too', () => {
    const serializer = createEnvelopeSerializer({
      style: 'nats',
      mode: 'structured',
      limits: { maxBytes: 50 },
    });
    expect(codeOf(() => serializer.decode(serializer.encode(envelope)))).toBe('SWB_MESSAGE_TOO_LARGE');
  });
});

describe('errors never carry payload bytes', () => {
  const secret = 'S3CRET-PAYLOAD';
  const cases: [string, () => unknown][] = [
    ['invalid JSON', () => jsonCodec().decode(bytes(`{"a":"${secret}"`))],
    [
      'avro mismatch',
      () =>
        avroCodec({ type: 'record', name: 'A', fields: [{ name: 'a', type: 'int' }] }).encode({ a: secret }),
    ],
    [
      'protobuf mismatch',
      () => protobufCodec(newProtoRoot().lookupType('test.Nest')).encode({ name: 5, x: secret } as never),
    ],
    ['bad header', () => validateHeaders({ h: `${secret}\n` })],
    ['bad header name', () => validateHeaders({ [`${secret} x`]: 'v' })],
    ['bad attribute', () => createEnvelope({ type: 't', source: 's', data: 1, subject: `${secret}\u0007` })],
  ];
  for (const [label, fn] of cases) {
    it(label, () => {
      try {
        fn();
        expect.unreachable();
      } catch (error) {
        expect(isSwitchboardError(error)).toBe(true);
        const text =
          JSON.stringify(error) + String((error as Error).message) + String((error as Error).cause ?? '');
        expect(text).not.toContain(secret);
      }
    });
  }
});

describe('serializer options', () => {
  it('rejects a content mode other than binary or structured, instead of falling back to binary', () => {
    let thrown: unknown;
    try {
      createEnvelopeSerializer({ style: 'nats', mode: 'both' as 'binary' });
    } catch (error) {
      thrown = error;
    }
    expect(isSwitchboardError(thrown, 'SWB_CONFIG_INVALID')).toBe(true);
    expect((thrown as { details?: { path?: string } }).details?.path).toBe('mode');
    expect(() => createEnvelopeSerializer({ style: 'kafka', mode: 'structured' })).not.toThrow();
  });
});
