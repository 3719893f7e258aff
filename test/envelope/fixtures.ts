/**
 * Shared test fixtures: generic Avro and Protobuf schemas that carry any JSON value, converters between JSON
 * and their shapes, and fast-check arbitraries for envelopes.
 */
import avro from 'avsc';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { KNOWN_KEYS } from '../../src/envelope/attributes.js';
import type { Envelope } from '../../src/envelope/types.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Avro: a record wrapping a union of every JSON kind; arrays and maps recurse through the record. */
export const jsonAvroSchema = {
  type: 'record',
  name: 'JsonValue',
  fields: [
    {
      name: 'v',
      type: [
        'null',
        'boolean',
        'double',
        'string',
        { type: 'array', items: 'JsonValue' },
        { type: 'map', values: 'JsonValue' },
      ],
    },
  ],
} as const;

export function newJsonAvroType(): avro.Type {
  return avro.Type.forSchema(jsonAvroSchema as unknown as avro.Schema);
}

export function toAvro(value: Json): { v: unknown } {
  if (Array.isArray(value)) return { v: value.map(toAvro) };
  if (value !== null && typeof value === 'object') {
    return { v: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toAvro(v)])) };
  }
  return { v: value };
}

export function fromAvro(value: unknown): Json {
  const v = (value as { v: unknown }).v;
  if (Array.isArray(v)) return v.map(fromAvro);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const key of Object.keys(v)) out[key] = fromAvro((v as Record<string, unknown>)[key]);
    return out;
  }
  return v as Json;
}

/** Protobuf: google.protobuf.Value's shape. */
export const jsonProto = `
syntax = "proto3";
package test;
enum NullValue { NULL_VALUE = 0; }
message Value {
  oneof kind {
    NullValue null_value = 1;
    double number_value = 2;
    string string_value = 3;
    bool bool_value = 4;
    Struct struct_value = 5;
    ListValue list_value = 6;
  }
}
message Struct { map<string, Value> fields = 1; }
message ListValue { repeated Value values = 1; }
message Nest { Nest child = 1; string name = 2; }
`;

export function newProtoRoot(): protobuf.Root {
  const root = protobuf.parse(jsonProto).root;
  root.resolveAll();
  return root;
}

export function toProto(value: Json): Record<string, unknown> {
  if (value === null) return { nullValue: 0 };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toProto) } };
  return {
    structValue: { fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toProto(v)])) },
  };
}

export function fromProto(message: unknown): Json {
  const m = message as Record<string, unknown>;
  switch (m.kind) {
    case 'nullValue':
      return null;
    case 'boolValue':
      return m.boolValue as boolean;
    case 'numberValue':
      return m.numberValue as number;
    case 'stringValue':
      return m.stringValue as string;
    case 'listValue':
      return ((m.listValue as { values?: unknown[] }).values ?? []).map(fromProto);
    case 'structValue': {
      const fields = ((m.structValue as { fields?: Record<string, unknown> }).fields ?? {}) as Record<
        string,
        unknown
      >;
      const out: Record<string, Json> = {};
      for (const key of Object.keys(fields)) out[key] = fromProto(fields[key]);
      return out;
    }
    default:
      throw new Error(`no kind set: ${String(m.kind)}`);
  }
}

// Keys that the JSON and Protobuf decoders reject on purpose; the hostile-input tests cover them.
function hasProtoKeys(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasProtoKeys);
  if (value !== null && typeof value === 'object') {
    return Object.keys(value).some(
      (k) =>
        k === '__proto__' ||
        k.includes('__proto__') ||
        k === 'constructor' ||
        hasProtoKeys((value as Record<string, unknown>)[k]),
    );
  }
  return typeof value === 'string' && value.includes('__proto__');
}

/** JSON-compatible data with full Unicode strings; `-0` normalised (JSON has no negative zero). */
export const jsonData: fc.Arbitrary<Json> = fc
  .jsonValue({ stringUnit: 'grapheme', maxDepth: 4 })
  .map((v) => JSON.parse(JSON.stringify(v)) as Json)
  .filter((v) => !hasProtoKeys(v));

// biome-ignore lint/suspicious/noControlCharactersInRegex: CloudEvents strings exclude control characters.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A CloudEvents string: non-empty, any Unicode except control characters. */
export const ceString = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 24 })
  .filter((s) => !CONTROL.test(s));

const hex = (n: number) =>
  fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`)).filter((s) => /[1-9a-f]/.test(s));

export const rfc3339 = fc
  .tuple(
    fc.date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('2999-12-31T23:59:59Z'),
      noInvalidDate: true,
    }),
    fc.integer({ min: 0, max: 999_999_999 }),
  )
  .map(([d, ns]) => `${d.toISOString().slice(0, 19)}.${String(ns).padStart(9, '0')}Z`);

const semver = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([a, b, c]) => `${a}.${b}.${c}`);

// Names an extension cannot take: every attribute, `data` and `extensions`.
const RESERVED = KNOWN_KEYS;

const extensions = fc.dictionary(
  fc.stringMatching(/^[a-z0-9]{1,20}$/).filter((n) => !RESERVED.has(n)),
  ceString,
  { maxKeys: 4 },
);

/** Arbitrary envelopes whose data comes from `data` and whose media type is one of `contentTypes`. */
export function envelopeArb<T>(
  data: fc.Arbitrary<T>,
  contentTypes: readonly string[],
): fc.Arbitrary<Envelope<T>> {
  return fc.record(
    {
      id: ceString,
      source: ceString,
      type: ceString,
      specversion: fc.constant('1.0' as const),
      time: rfc3339,
      datacontenttype: fc.constantFrom(...contentTypes),
      subject: ceString,
      dataschema: fc.webUrl(),
      data,
      correlationid: ceString,
      causationid: ceString,
      partitionkey: ceString,
      schemaversion: semver,
      destination: ceString,
      expirytime: rfc3339,
      traceparent: fc
        .tuple(hex(32), hex(16), fc.constantFrom('00', '01'))
        .map(([t, s, f]) => `00-${t}-${s}-${f}`),
      tracestate: fc.stringMatching(/^[\x20-\x7e]{1,40}$/),
      extensions,
    },
    {
      requiredKeys: ['id', 'source', 'type', 'specversion', 'time', 'datacontenttype', 'data'],
      noNullPrototype: true,
    },
  ) as fc.Arbitrary<Envelope<T>>;
}
