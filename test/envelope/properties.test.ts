import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { avroCodec } from '../../src/envelope/avro-codec.js';
import { fromWireMessage, toWireMessage } from '../../src/envelope/binding.js';
import { jsonCodec } from '../../src/envelope/json-codec.js';
import { protobufCodec } from '../../src/envelope/protobuf-codec.js';
import { createEnvelopeSerializer } from '../../src/envelope/serializer.js';
import type { Codec, Envelope, WireMessage } from '../../src/envelope/types.js';
import { validateEnvelope } from '../../src/envelope/validate.js';
import { isSwitchboardError } from '../../src/errors.js';
import {
  envelopeArb,
  fromAvro,
  fromProto,
  type Json,
  jsonData,
  newJsonAvroType,
  newProtoRoot,
  toAvro,
  toProto,
} from './fixtures.js';

const styles = ['kafka', 'nats'] as const;
const modes = ['binary', 'structured'] as const;

interface CodecCase {
  readonly name: string;
  readonly codec: Codec;
  readonly contentTypes: readonly string[];
  readonly toData: (json: Json) => unknown;
  readonly fromData: (data: unknown) => Json;
}

const protoValue = newProtoRoot().lookupType('test.Value');
const cases: CodecCase[] = [
  {
    name: 'json',
    codec: jsonCodec(),
    contentTypes: ['application/json', 'application/vnd.acme.task+json', 'application/json; charset=utf-8'],
    toData: (j) => j,
    fromData: (d) => d as Json,
  },
  {
    name: 'avro',
    codec: avroCodec(newJsonAvroType()),
    contentTypes: ['application/avro'],
    toData: toAvro,
    fromData: fromAvro,
  },
  {
    name: 'protobuf',
    codec: protobufCodec(protoValue),
    contentTypes: ['application/protobuf'],
    toData: toProto,
    fromData: fromProto,
  },
];

describe('envelope round trip (property)', () => {
  for (const c of cases) {
    for (const style of styles) {
      for (const mode of modes) {
        it(`${c.name} codec, ${style} headers, ${mode} mode: decode(encode(e)) is e`, () => {
          fc.assert(
            fc.property(envelopeArb(jsonData, c.contentTypes), (generated) => {
              const expected = validateEnvelope<Json>(generated);
              const envelope = validateEnvelope({ ...expected, data: c.toData(expected.data) });
              const wire = toWireMessage(envelope, { style, mode, codec: c.codec });
              const decoded = fromWireMessage(wire, { style, codecs: [c.codec] });
              expect({ ...decoded, data: c.fromData(decoded.data) }).toEqual(expected);
              expect(Object.isFrozen(decoded)).toBe(true);
            }),
            { numRuns: 60 },
          );
        });
      }
    }
  }

  it('the serializer decodes either mode whatever mode it encodes with', () => {
    fc.assert(
      fc.property(
        envelopeArb(jsonData, ['application/json']),
        fc.constantFrom(...styles),
        (generated, style) => {
          const expected = validateEnvelope(generated);
          const binary = createEnvelopeSerializer({ style, mode: 'binary' });
          const structured = createEnvelopeSerializer({ style, mode: 'structured' });
          expect(binary.decode(structured.encode(expected))).toEqual(expected);
          expect(structured.decode(binary.encode(expected))).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });
});

// Header names that look like ours, so random input reaches the attribute code rather than stopping early.
const headerName = fc.oneof(
  fc.constantFrom(
    'ce_id',
    'ce-id',
    'ce_type',
    'ce-type',
    'ce_source',
    'ce-source',
    'ce_specversion',
    'ce-specversion',
  ),
  fc.constantFrom(
    'ce_time',
    'ce-time',
    'content-type',
    'ce-datacontenttype',
    'ce_schemaversion',
    'traceparent',
  ),
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.stringMatching(/^ce[-_][a-z0-9]{1,8}$/),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '1.0',
    'application/json',
    'application/cloudevents+json',
    'application/avro',
    '%zz',
    '%C3',
  ),
  fc.constantFrom('application/protobuf', '2026-01-01T00:00:00Z', 'x', 'application/cloudevents-batch+json'),
);
const wireArb: fc.Arbitrary<WireMessage> = fc.record({
  key: fc.option(fc.string(), { nil: undefined }),
  headers: fc.dictionary(headerName, headerValue, { maxKeys: 14 }),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    jsonData.map((j) => new Uint8Array(Buffer.from(JSON.stringify(j)))),
    fc.constantFrom(
      new Uint8Array(
        Buffer.from('{"specversion":"1.0","id":"1","source":"s","type":"t","time":"2026-01-01T00:00:00Z"}'),
      ),
      new Uint8Array([0x02, 0x80, 0x80, 0x80, 0x40, 0x00]),
    ),
  ),
});

describe('decoding hostile wire messages (property)', () => {
  for (const c of cases) {
    for (const style of styles) {
      it(`${c.name} codec, ${style} headers: yields a valid envelope or throws a SwitchboardError, quickly`, () => {
        const serializer = createEnvelopeSerializer({ style, defaultCodec: c.codec });
        fc.assert(
          fc.property(wireArb, (wire) => {
            const started = performance.now();
            let envelope: Envelope | undefined;
            try {
              envelope = serializer.decode(wire);
            } catch (error) {
              expect(isSwitchboardError(error)).toBe(true);
              if (isSwitchboardError(error)) expect(error.retryable).toBe(false);
            }
            if (envelope !== undefined) expect(validateEnvelope(envelope)).toBe(envelope);
            // Required bound: hostile input must not make the decoder work hard.
            expect(performance.now() - started).toBeLessThan(100);
          }),
          { numRuns: 300 },
        );
      });
    }
  }

  it('bytes flipped in valid messages still give an envelope or a SwitchboardError', () => {
    const avro = cases[1]!;
    fc.assert(
      fc.property(
        envelopeArb(jsonData, avro.contentTypes),
        fc.constantFrom(...styles),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (generated, style, flips) => {
          const expected = validateEnvelope<Json>(generated);
          const envelope = validateEnvelope({ ...expected, data: avro.toData(expected.data) });
          const wire = toWireMessage(envelope, { style, codec: avro.codec });
          const body = new Uint8Array(wire.body);
          for (const [at, byte] of flips) if (body.length > 0) body[at % body.length] = byte;
          try {
            fromWireMessage({ ...wire, body }, { style, codecs: [avro.codec] });
          } catch (error) {
            expect(isSwitchboardError(error)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
