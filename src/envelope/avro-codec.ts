/**
 * The Avro codec over avsc, hardened for untrusted bytes: a schema-driven walk rejects block-count bombs,
 * deep nesting and truncated data before avsc runs, and maps decode into null-prototype objects so a key
 * named `__proto__` stays a key.
 *
 * @module
 */
import avro from 'avsc';
import { compileAvroGuard } from './avro-guard.js';
import { decodeFailed, encodeFailed, failure } from './fail.js';
import type { Codec } from './types.js';

/** An avsc schema (JSON) or an avsc `Type`. */
export type AvroSchema = avro.Type | avro.Schema;

/** Options of {@link avroCodec}. */
export interface AvroCodecOptions {
  /** Deepest nesting of records, arrays and maps accepted on decode. Default 64. */
  readonly maxDepth?: number;
  /**
   * The schema the data was written with, when it differs from the codec's own (reader) schema. Decoding then
   * resolves writer data into the reader's shape (Avro schema resolution: defaults fill added fields, removed
   * fields are skipped, numbers promoted). Encoding always uses the reader schema.
   */
  readonly writerSchema?: AvroSchema;
  /** Options passed to avsc's `Type.forSchema` when schemas are given as JSON. */
  readonly typeOptions?: Partial<avro.ForSchemaOptions>;
}

/** A codec for Avro binary data. */
export interface AvroCodec<T = unknown> extends Codec<T> {
  /** The avsc type this codec encodes with (and decodes into). */
  readonly type: avro.Type;
  /** The avsc type the decoded data is expected to be written with. */
  readonly writerType: avro.Type;
}

interface MapTypeView {
  typeName: string;
  valuesType: unknown;
  _read: (tap: TapView) => unknown;
}

interface TapView {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
}

/**
 * Creates an Avro codec (`application/avro`).
 *
 * Maps in the reader type are patched in place to decode into `Object.create(null)` objects; pass a type you
 * do not share with code that expects ordinary objects from avsc, or pass the schema JSON.
 *
 * @throws SwitchboardError `SWB_SCHEMA_INVALID` for a schema avsc rejects, or writer data the reader schema
 * cannot resolve.
 * @example
 * ```ts
 * const codec = avroCodec({
 *   type: 'record',
 *   name: 'TaskCreated',
 *   fields: [{ name: 'taskId', type: 'string' }, { name: 'tags', type: { type: 'array', items: 'string' } }],
 * });
 * const bytes = codec.encode({ taskId: 't-1', tags: ['urgent'] });
 * codec.decode(bytes); // { taskId: 't-1', tags: ['urgent'] }
 * ```
 */
export function avroCodec<T = unknown>(schema: AvroSchema, options: AvroCodecOptions = {}): AvroCodec<T> {
  const type = toType(schema, options.typeOptions);
  const writerType =
    options.writerSchema === undefined ? type : toType(options.writerSchema, options.typeOptions);
  patchMaps(type);
  let resolver: ReturnType<avro.Type['createResolver']> | undefined;
  if (writerType !== type) {
    try {
      resolver = type.createResolver(writerType);
    } catch {
      throw failure('SWB_SCHEMA_INVALID', 'the reader schema cannot read data of the writer schema', {
        reader: type.name,
        writer: writerType.name,
      });
    }
  }
  const guard = compileAvroGuard(writerType, options.maxDepth ?? 64);
  return {
    contentType: 'application/avro',
    type,
    writerType,
    encode(value: T): Uint8Array {
      try {
        return type.toBuffer(value);
      } catch {
        // avsc's message quotes the value; report the paths that do not fit instead.
        throw encodeFailed('value does not match the avro schema', {
          codec: 'avro',
          paths: invalidPaths(type, value),
        });
      }
    },
    decode(bytes: Uint8Array): T {
      guard?.(bytes);
      const buf = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      try {
        return type.fromBuffer(buf, resolver) as T;
      } catch {
        throw decodeFailed('avro data does not match the schema', { codec: 'avro' });
      }
    },
  };
}

function toType(schema: AvroSchema, options: Partial<avro.ForSchemaOptions> | undefined): avro.Type {
  if (avro.Type.isType(schema)) return schema as avro.Type;
  try {
    return avro.Type.forSchema(schema as avro.Schema, options);
  } catch (error) {
    throw failure('SWB_SCHEMA_INVALID', `invalid avro schema: ${(error as Error).message}`);
  }
}

function invalidPaths(type: avro.Type, value: unknown): string[] {
  const paths: string[] = [];
  try {
    type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '(root)') });
  } catch {
    paths.push('(root)');
  }
  return paths.slice(0, 10);
}

// avsc reads maps into `{}` with `val[key] = ...`, so a `__proto__` key would replace the map's prototype.
// The replacement is avsc's own reader with a null-prototype object; resolvers copy `_read` from the reader
// type, so patching before any resolver exists covers schema resolution too.
function patchMaps(root: avro.Type): void {
  const seen = new Set<unknown>();
  const visit = (t: unknown): void => {
    if (t === undefined || t === null || seen.has(t)) return;
    seen.add(t);
    const view = t as {
      typeName: string;
      fields?: { type: unknown }[];
      types?: unknown[];
      itemsType?: unknown;
      valuesType?: unknown;
      underlyingType?: unknown;
    };
    if (view.typeName === 'map') (t as MapTypeView)._read = readNullPrototypeMap;
    for (const field of view.fields ?? []) visit(field.type);
    for (const branch of view.types ?? []) visit(branch);
    visit(view.itemsType);
    visit(view.valuesType);
    visit(view.underlyingType);
  };
  visit(root);
}

function readNullPrototypeMap(this: { valuesType: { _read(tap: TapView): unknown } }, tap: TapView): unknown {
  const values = this.valuesType;
  const map: Record<string, unknown> = Object.create(null);
  for (;;) {
    let n = tap.readLong();
    if (n === 0) return map;
    if (n < 0) {
      n = -n;
      tap.skipLong();
    }
    // Defence in depth for callers that skip the guard: each entry needs at least one byte.
    if (n > tap.buf.length - tap.pos) throw decodeFailed('avro block count exceeds the remaining bytes');
    while (n-- > 0) {
      const key = tap.readString();
      map[key] = values._read(tap);
    }
  }
}
