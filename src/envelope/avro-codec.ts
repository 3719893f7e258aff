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

interface TapView {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
}

interface ValuesReader {
  _read(tap: TapView): unknown;
}

const BaseMapType = avro.types.MapType as unknown as new (schema: unknown, options: unknown) => avro.Type;

/**
 * avsc reads maps into `{}` with `val[key] = ...`, so a `__proto__` key would replace the map's prototype (and
 * vanish as a key). This map type is avsc's own with one change: entries go into an `Object.create(null)`
 * object. Resolvers copy `_read` from the reader type, so schema resolution uses it too. avsc freezes its
 * types, hence a subclass (installed through avsc's `typeHook`) rather than a patch.
 */
class NullPrototypeMapType extends BaseMapType {
  _read(this: { valuesType: ValuesReader }, tap: TapView): unknown {
    const values = this.valuesType;
    const map: Record<string, unknown> = Object.create(null);
    for (;;) {
      let n = tap.readLong();
      if (n === 0) return map;
      if (n < 0) {
        n = -n;
        tap.skipLong();
      }
      // Defence in depth for paths that skip the guard: each entry needs at least one byte.
      if (n > tap.buf.length - tap.pos) throw decodeFailed('avro block count exceeds the remaining bytes');
      while (n-- > 0) {
        const key = tap.readString();
        map[key] = values._read(tap);
      }
    }
  }
}

interface TypeView {
  readonly typeName: string;
  readonly fields?: readonly { readonly type: TypeView }[];
  readonly types?: readonly TypeView[];
  readonly itemsType?: TypeView;
  readonly valuesType?: TypeView;
  readonly underlyingType?: TypeView;
}

/**
 * Builds an avsc type whose maps decode into null-prototype objects. A `Type` built elsewhere that holds
 * maps is rebuilt from its schema (its union wrapping is kept; custom logical types need
 * `options.logicalTypes`).
 *
 * @throws SwitchboardError `SWB_SCHEMA_INVALID` for a schema avsc rejects.
 * @example
 * ```ts
 * const type = avroType({ type: 'map', values: 'string' });
 * Object.getPrototypeOf(type.fromBuffer(type.toBuffer({ a: 'b' }))); // null
 * ```
 */
export function avroType(schema: AvroSchema, options: Partial<avro.ForSchemaOptions> = {}): avro.Type {
  let source: unknown = schema;
  let forSchemaOptions = options;
  if (avro.Type.isType(schema)) {
    const unsafeMaps = collect(
      schema as unknown as TypeView,
      (t) => t.typeName === 'map' && !(t instanceof NullPrototypeMapType),
    );
    if (unsafeMaps.length === 0) return schema as avro.Type;
    const unions = collect(schema as unknown as TypeView, (t) => t.typeName.startsWith('union'));
    const wrapped = unions.filter((t) => t.typeName === 'union:wrapped').length;
    const wrapUnions = wrapped === unions.length && wrapped > 0 ? 'always' : wrapped === 0 ? 'never' : 'auto';
    source = (schema as avro.Type).schema({ exportAttrs: true });
    forSchemaOptions = { wrapUnions, ...options };
  }
  const userHook = forSchemaOptions.typeHook;
  const typeHook = (s: avro.Schema, o: Partial<avro.ForSchemaOptions>): avro.Type | undefined => {
    const own = userHook?.(s, o as avro.ForSchemaOptions);
    if (own !== undefined) return own;
    const view = s as { type?: unknown; logicalType?: unknown } | null;
    if (typeof view === 'object' && view !== null && view.type === 'map' && view.logicalType === undefined) {
      return new NullPrototypeMapType(s, o);
    }
    return undefined;
  };
  try {
    return avro.Type.forSchema(source as avro.Schema, { ...forSchemaOptions, typeHook });
  } catch (error) {
    throw failure('SWB_SCHEMA_INVALID', `invalid avro schema: ${(error as Error).message}`);
  }
}

function collect(root: TypeView, predicate: (t: TypeView) => boolean): TypeView[] {
  const seen = new Set<TypeView>();
  const found: TypeView[] = [];
  const visit = (t: TypeView | undefined): void => {
    if (t === undefined || seen.has(t)) return;
    seen.add(t);
    if (predicate(t)) found.push(t);
    for (const field of t.fields ?? []) visit(field.type);
    for (const branch of t.types ?? []) visit(branch);
    visit(t.itemsType);
    visit(t.valuesType);
    visit(t.underlyingType);
  };
  visit(root);
  return found;
}

/**
 * Creates an Avro codec (`application/avro`).
 *
 * Maps decode into `Object.create(null)` objects (see {@link avroType}); records decode into avsc's record
 * instances.
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
  const type = avroType(schema, options.typeOptions);
  const writerType =
    options.writerSchema === undefined ? type : avroType(options.writerSchema, options.typeOptions);
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

function invalidPaths(type: avro.Type, value: unknown): string[] {
  const paths: string[] = [];
  try {
    type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '(root)') });
  } catch {
    paths.push('(root)');
  }
  return paths.slice(0, 10);
}
