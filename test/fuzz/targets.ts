/**
 * Fuzz targets shared by the CI fuzz tests (`test/fuzz/*.test.ts`) and the long run (`scripts/fuzz.ts`): every
 * decoder with an input generator that mixes random bytes with mutations of valid encodings, and the oracle
 * "returns, or throws a non-retryable SwitchboardError". Plain fast-check, no vitest, so the script can use it.
 */
import fc from 'fast-check';
import protobuf from 'protobufjs';
import {
  avroCodec,
  createEnvelope,
  createEnvelopeSerializer,
  fromWireMessage,
  jsonCodec,
  protobufCodec,
  toWireMessage,
} from '../../src/envelope/index.js';
import type { Codec, WireMessage } from '../../src/envelope/types.js';
import { isSwitchboardError } from '../../src/errors.js';
import { secureCodec } from '../../src/security/index.js';

/** One fuzz target: a generator and a check that throws on a finding, else names the outcome. */
export interface FuzzTarget<T = unknown> {
  readonly name: string;
  readonly input: fc.Arbitrary<T>;
  /** `'accepted'` or the code of the typed rejection; throws on a finding. */
  readonly check: (input: T) => string;
}

/** Throws unless `error` is a non-retryable SwitchboardError: anything else escaping a decoder is a finding. */
export function assertTypedRejection(error: unknown, where: string): void {
  if (!isSwitchboardError(error)) {
    throw new Error(
      `${where}: escaped as ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
  if (error.retryable) throw new Error(`${where}: bad input rejected as retryable (${error.code})`);
}

function decodes<T>(where: string, decode: (input: T) => unknown): (input: T) => string {
  return (input) => {
    try {
      decode(input);
      return 'accepted';
    } catch (error) {
      assertTypedRejection(error, where);
      return (error as { code: string }).code;
    }
  };
}

/** Random edits of a valid byte string: bit flips, truncation, insertion, duplicated slices, length bytes. */
export function mutatedBytes(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
    fc.record({ op: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
    fc.record({
      op: fc.constant('set' as const),
      at: fc.nat(),
      value: fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x01, 0xfe),
    }),
  );
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 }))
    .map(([seed, edits]) => {
      let bytes: Uint8Array = Uint8Array.from(seed);
      for (const e of edits) {
        const at = bytes.length === 0 ? 0 : e.at % (bytes.length + 1);
        if (e.op === 'flip' && bytes.length > 0) bytes[at % bytes.length]! ^= 1 << e.bit;
        else if (e.op === 'cut') bytes = bytes.subarray(0, at);
        else if (e.op === 'insert') bytes = concat(bytes.subarray(0, at), e.bytes, bytes.subarray(at));
        else if (e.op === 'dup')
          bytes = concat(bytes.subarray(0, at), bytes.subarray(at, at + e.len), bytes.subarray(at));
        else if (e.op === 'set' && bytes.length > 0) bytes[at % bytes.length] = e.value;
      }
      return bytes;
    });
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** JSON-ish text with the usual hostile keys and deep nesting mixed in. */
const hostileJson = fc.oneof(
  fc.json({ depthSize: 'medium' }),
  fc.constantFrom(
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`,
    '"\\ud800"',
    '1e999999',
    '',
  ),
);

const bytesOrJson = (seeds: readonly Uint8Array[]) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    { weight: 2, arbitrary: hostileJson.map(utf8) },
    { weight: 3, arbitrary: mutatedBytes(seeds) },
  );

// Schemas with the features decoders get wrong: recursion, arrays, maps, unions, nested records.
const AVRO_SCHEMA = {
  type: 'record',
  name: 'Node',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'count', type: 'long' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: ['null', 'string'] } },
    { name: 'next', type: ['null', 'Node'], default: null },
  ],
} as const;

const PROTO = protobuf.parse(`
  syntax = "proto3";
  package fuzz;
  message Node {
    string id = 1;
    int64 count = 2;
    repeated string tags = 3;
    map<string, double> attrs = 4;
    Node next = 5;
    oneof choice { string text = 6; bytes blob = 7; }
  }
`).root;

const jsonSample = { id: 'n-1', count: 3, tags: ['a', 'b'], attrs: { x: 1.5 }, next: { id: 'n-2' } };
const avroSample = {
  id: 'n-1',
  count: 3,
  tags: ['a', 'b'],
  attrs: { x: 'a', y: null },
  next: { id: 'n-2', count: 0, tags: [], attrs: {}, next: null },
};
const protoSample = { id: 'n-1', count: 3, tags: ['a'], attrs: { x: 1.5 }, next: { id: 'n-2' }, text: 'hi' };

/** The codecs under test, each with valid encodings to mutate. */
export function codecs(): { name: string; codec: Codec; seeds: Uint8Array[] }[] {
  const json = jsonCodec();
  const avro = avroCodec(AVRO_SCHEMA as never);
  const proto = protobufCodec(PROTO.lookupType('fuzz.Node'), { fromObject: true });
  return [
    { name: 'json', codec: json, seeds: [json.encode(jsonSample), json.encode([1, 'two', null])] },
    { name: 'avro', codec: avro, seeds: [avro.encode(avroSample)] },
    {
      name: 'protobuf',
      codec: proto,
      seeds: [proto.encode(protoSample), proto.encode({ next: { next: { id: 'deep' } } })],
    },
  ];
}

const ATTRIBUTE_NAMES = [
  'id',
  'source',
  'type',
  'specversion',
  'time',
  'datacontenttype',
  'subject',
  'dataschema',
  'correlationid',
  'partitionkey',
  'schemaversion',
  'expirytime',
  'traceparent',
  'myext',
];

/** Header names worth trying in a style, known and odd. */
function headerName(style: 'kafka' | 'nats'): fc.Arbitrary<string> {
  const prefix = style === 'kafka' ? 'ce_' : 'ce-';
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(...ATTRIBUTE_NAMES.map((a) => prefix + a), 'content-type', 'traceparent'),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('__proto__', 'constructor', 'ce-__proto__', 'ce_', 'ce-', 'swb-signature'),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  );
}

const headerValue = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '1.0',
      'application/json',
      'application/cloudevents+json',
      'application/avro',
      'application/protobuf',
      '2026-11-21T20:39:37.123456789Z',
      '2026-02-30T25:61:61Z',
      '%00%0d%0a',
      '%zz',
      '1.2.3',
      'x'.repeat(20_000),
      '\r\n',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
);

/** Valid wire messages of a style, binary and structured, JSON and binary payloads. */
export function validWires(style: 'kafka' | 'nats'): WireMessage[] {
  const base = {
    source: 'fuzz',
    type: 'fuzz.happened.v1',
    subject: 'séance',
    partitionkey: 'k-1',
    extensions: { myext: 'v' },
  };
  const json = createEnvelope({ ...base, data: jsonSample });
  const raw = createEnvelope({
    ...base,
    data: new Uint8Array([1, 2, 3]),
    datacontenttype: 'application/octet-stream',
  });
  const out = [
    toWireMessage(json, { style }),
    toWireMessage(json, { style, mode: 'structured' }),
    toWireMessage(createEnvelope({ ...base, data: null }), { style }),
  ];
  try {
    out.push(toWireMessage(raw, { style, mode: 'structured' }));
  } catch {
    // Not every binding writes raw bytes in structured mode; the others are enough.
  }
  return out;
}

/** Random and mutated wire messages of a style. */
export function wireMessages(
  style: 'kafka' | 'nats',
  seeds: readonly WireMessage[],
): fc.Arbitrary<WireMessage> {
  const randomWire = fc.record({
    key: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    headers: fc.dictionary(headerName(style), headerValue, { maxKeys: 12 }),
    body: fc.oneof(fc.uint8Array({ maxLength: 128 }), hostileJson.map(utf8)),
  });
  const seedBodies = seeds.map((s) => s.body);
  const mutatedWire = fc
    .record({
      seed: fc.constantFrom(...seeds),
      body: fc.option(mutatedBytes(seedBodies), { nil: undefined }),
      set: fc.dictionary(headerName(style), headerValue, { maxKeys: 3 }),
      drop: fc.array(headerName(style), { maxLength: 2 }),
    })
    .map(({ seed, body, set, drop }) => {
      const headers: Record<string, string> = { ...seed.headers };
      for (const name of drop) delete headers[name];
      for (const [name, value] of Object.entries(set)) headers[name] = value;
      return { key: seed.key, headers, body: body ?? seed.body };
    });
  return fc.oneof({ weight: 1, arbitrary: randomWire }, { weight: 2, arbitrary: mutatedWire });
}

const SIGNING = { keys: [{ id: 'fuzz-sig', secret: Buffer.alloc(32, 7) }], activeKeyId: 'fuzz-sig' };
const ENCRYPTION = { keys: [{ id: 'fuzz-enc', secret: Buffer.alloc(32, 9) }], activeKeyId: 'fuzz-enc' };

/** Every decoder target, with `runs` cases each. */
export function decoderTargets(): FuzzTarget<never>[] {
  const targets: FuzzTarget<never>[] = [];
  const add = <T>(target: FuzzTarget<T>) => targets.push(target as unknown as FuzzTarget<never>);
  for (const { name, codec, seeds } of codecs()) {
    add({
      name: `${name} codec`,
      input: bytesOrJson(seeds),
      check: decodes(`${name} codec`, (b: Uint8Array) => codec.decode(b)),
    });
  }
  for (const style of ['kafka', 'nats'] as const) {
    const seeds = validWires(style);
    add({
      name: `fromWireMessage (${style})`,
      input: wireMessages(style, seeds),
      check: decodes(`fromWireMessage ${style}`, (w: WireMessage) => fromWireMessage(w, { style })),
    });
    const serializer = createEnvelopeSerializer({ style });
    add({
      name: `serializer (${style})`,
      input: wireMessages(style, seeds),
      check: decodes(`serializer ${style}`, (w: WireMessage) => serializer.decode(w)),
    });
    const secure = secureCodec(serializer, { signing: SIGNING, encryption: ENCRYPTION, replay: {} });
    const secureSeeds = [
      secure.encode(createEnvelope({ source: 'fuzz', type: 'fuzz.happened.v1', data: jsonSample })),
      secure.encode(createEnvelope({ source: 'fuzz', type: 'fuzz.happened.v1', subject: 's', data: [1, 2] })),
    ];
    add({
      name: `secureCodec (${style})`,
      input: wireMessages(style, [...secureSeeds, ...seeds]),
      check: (w: WireMessage) => {
        try {
          secure.decode(w);
        } catch (error) {
          assertTypedRejection(error, `secureCodec ${style}`);
          return (error as { code: string }).code;
        }
        // Anything that decodes must carry a seed's body byte for byte: every edit of a protected message is
        // caught. Compared by content, since an edit can leave the bytes as they were (a 'set' to the value
        // already there, a 'cut' at the end, a bit flipped twice).
        if (!secureSeeds.some((s) => Buffer.from(s.body).equals(w.body)))
          throw new Error(`secureCodec ${style}: accepted an edited body`);
        return 'accepted';
      },
    });
  }
  return targets;
}
