/**
 * The in-process schema registry: `(type, schemaversion) -> schema + codec`, compatibility checks between
 * versions, and Avro reader/writer resolution so a consumer on one version reads data written with another.
 *
 * @module
 */
import type avro from 'avsc';
import protobuf from 'protobufjs';
import { isSemver } from './attributes.js';
import { avroCodec, avroType } from './avro-codec.js';
import { avroProblems } from './avro-compat.js';
import { failure } from './fail.js';
import { jsonCodec } from './json-codec.js';
import { protobufCodec } from './protobuf-codec.js';
import { protobufProblems } from './protobuf-compat.js';
import { compareSemver } from './semver.js';
import type { Codec } from './types.js';

/** How a schema describes its data. */
export type SchemaFormat = 'avro' | 'protobuf' | 'json';

/** `backward`: the new version reads old data. `forward`: the old version reads new data. `full`: both. */
export type CompatibilityMode = 'backward' | 'forward' | 'full';

/**
 * A Protobuf schema: a protobufjs `Type`, or `.proto` source plus the message to use.
 */
export type ProtobufSchema = protobuf.Type | { readonly proto: string; readonly messageType: string };

/** A schema to register. */
export interface SchemaRegistration {
  /** The event type the schema describes (`task.created.v1`). */
  readonly type: string;
  /** Its semantic version (`1.2.0`); envelopes carry it as `schemaversion`. */
  readonly version: string;
  readonly format: SchemaFormat;
  /** avsc schema or `Type` for Avro; {@link ProtobufSchema} for Protobuf; any JSON Schema (kept, not enforced) for JSON. */
  readonly schema: unknown;
}

/** A registered schema, with the codec that reads and writes it. */
export interface RegisteredSchema {
  readonly type: string;
  readonly version: string;
  readonly format: SchemaFormat;
  /** The parsed schema: an avsc `Type`, a protobufjs `Type`, or the JSON schema as given. */
  readonly schema: unknown;
  /** Encodes and decodes data of exactly this version. */
  readonly codec: Codec;
}

/** The outcome of a compatibility check. `problems` name the fields at fault. */
export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly problems: readonly string[];
}

/** Options of {@link SchemaRegistry.register}. */
export interface RegisterOptions {
  /** Refuse the schema unless it is compatible with the previous version in this mode. Default: the registry's. */
  readonly compatibility?: CompatibilityMode | 'none';
}

/** Options of {@link createSchemaRegistry}. */
export interface SchemaRegistryOptions {
  /** Compatibility enforced on every `register` unless overridden. Default `'none'`. */
  readonly compatibility?: CompatibilityMode | 'none';
  /** Nesting limit of the codecs the registry builds. Default 64. */
  readonly maxDepth?: number;
}

/** Options of {@link SchemaRegistry.codecFor}. */
export interface CodecForOptions {
  /**
   * Decode into this version's shape. The codec then reads data written with the `version` passed to
   * `codecFor` (Avro schema resolution; Protobuf by field numbers) and encodes with the reader version.
   */
  readonly readerVersion?: string;
}

/** The registry's public face. */
export interface SchemaRegistry {
  /**
   * Registers a schema version. Registering the same version again with an equal schema is a no-op.
   * @throws SwitchboardError `SWB_SCHEMA_INVALID` (bad version, bad schema, or a different schema under an
   * existing version), `SWB_SCHEMA_INCOMPATIBLE` when the enforced compatibility check fails.
   */
  register(registration: SchemaRegistration, options?: RegisterOptions): RegisteredSchema;
  /** The schema of one version, if registered. */
  get(type: string, version: string): RegisteredSchema | undefined;
  /** The highest registered version of a type (semver precedence). */
  latest(type: string): RegisteredSchema | undefined;
  /** All registered versions of a type, lowest first. */
  versions(type: string): readonly string[];
  /** Whether the type (or this version of it) is registered. */
  has(type: string, version?: string): boolean;
  /**
   * The codec for data written with `version`, optionally read as `readerVersion`.
   * @throws SwitchboardError `SWB_SCHEMA_NOT_FOUND`, or `SWB_SCHEMA_INCOMPATIBLE` when the reader version
   * cannot read the writer's data.
   */
  codecFor(type: string, version: string, options?: CodecForOptions): Codec;
  /** Checks a candidate schema against the latest registered version of the type. */
  checkCompatibility(type: string, candidateSchema: unknown, mode: CompatibilityMode): CompatibilityResult;
}

interface Entry extends RegisteredSchema {
  readonly fingerprint: string;
}

/**
 * Creates an empty in-process schema registry.
 *
 * @example
 * ```ts
 * const registry = createSchemaRegistry({ compatibility: 'backward' });
 * registry.register({ type: 'task.created.v1', version: '1.0.0', format: 'avro', schema: taskV1 });
 * registry.register({ type: 'task.created.v1', version: '1.1.0', format: 'avro', schema: taskV2 });
 * const codec = registry.codecFor('task.created.v1', '1.0.0', { readerVersion: '1.1.0' });
 * ```
 */
export function createSchemaRegistry(options: SchemaRegistryOptions = {}): SchemaRegistry {
  const byType = new Map<string, Entry[]>();
  const resolving = new Map<string, Codec>();
  const defaultMode = options.compatibility ?? 'none';
  const maxDepth = options.maxDepth ?? 64;

  const entries = (type: string): Entry[] => byType.get(type) ?? [];
  const find = (type: string, version: string): Entry | undefined =>
    entries(type).find((e) => e.version === version);
  const mustFind = (type: string, version: string): Entry => {
    const entry = find(type, version);
    if (entry === undefined) {
      throw failure('SWB_SCHEMA_NOT_FOUND', `no schema registered for '${type}' version '${version}'`, {
        type,
        version,
      });
    }
    return entry;
  };

  const check = (
    type: string,
    previous: Entry,
    format: SchemaFormat,
    candidate: unknown,
    mode: CompatibilityMode,
  ): CompatibilityResult => {
    if (format !== previous.format) {
      return { compatible: false, problems: [`format changed from ${previous.format} to ${format}`] };
    }
    let problems: string[] = [];
    if (format === 'avro') {
      const next = candidate as avro.Type;
      const old = previous.schema as avro.Type;
      if (mode !== 'forward') problems.push(...avroProblems(next, old, 'backward'));
      if (mode !== 'backward') problems.push(...avroProblems(old, next, 'forward'));
    } else if (format === 'protobuf') {
      problems = protobufProblems(previous.schema as protobuf.Type, candidate as protobuf.Type, mode);
    }
    // JSON schemas are carried, not enforced, so no check can fail; `type` is kept for future rules.
    void type;
    return { compatible: problems.length === 0, problems };
  };

  const registry: SchemaRegistry = {
    register(registration, registerOptions = {}) {
      const { type, version, format } = registration;
      if (typeof type !== 'string' || type.length === 0)
        throw schemaInvalid('type must be a non-empty string');
      if (typeof version !== 'string' || !isSemver(version)) {
        throw schemaInvalid(`version of '${type}' must be a semantic version`, { type });
      }
      const schema = parseSchema(format, registration.schema, type);
      const fingerprint = fingerprintOf(format, schema);
      const existing = find(type, version);
      if (existing !== undefined) {
        if (existing.fingerprint === fingerprint && existing.format === format) return existing;
        throw schemaInvalid(`'${type}' version '${version}' is already registered with a different schema`, {
          type,
          version,
        });
      }
      const mode = registerOptions.compatibility ?? defaultMode;
      const previous = entries(type)
        .filter((e) => compareSemver(e.version, version) < 0)
        .at(-1);
      if (mode !== 'none' && previous !== undefined) {
        const result = check(type, previous, format, schema, mode);
        if (!result.compatible) {
          throw failure(
            'SWB_SCHEMA_INCOMPATIBLE',
            `'${type}' version '${version}' is not ${mode}-compatible with '${previous.version}': ${result.problems.join('; ')}`,
            { type, version, previous: previous.version, mode, problems: result.problems },
          );
        }
      }
      const entry: Entry = Object.freeze({
        type,
        version,
        format,
        schema,
        fingerprint,
        codec: buildCodec(format, schema, maxDepth),
      });
      const list = [...entries(type), entry].sort((a, b) => compareSemver(a.version, b.version));
      byType.set(type, list);
      return entry;
    },
    get: (type, version) => find(type, version),
    latest: (type) => entries(type).at(-1),
    versions: (type) => entries(type).map((e) => e.version),
    has: (type, version) =>
      version === undefined ? entries(type).length > 0 : find(type, version) !== undefined,
    codecFor(type, version, codecOptions = {}) {
      const writer = mustFind(type, version);
      const readerVersion = codecOptions.readerVersion;
      if (readerVersion === undefined || readerVersion === version) return writer.codec;
      const reader = mustFind(type, readerVersion);
      const key = `${type}\u0000${version}\u0000${readerVersion}`;
      const cached = resolving.get(key);
      if (cached !== undefined) return cached;
      let codec: Codec;
      if (reader.format !== writer.format) {
        throw failure('SWB_SCHEMA_INCOMPATIBLE', `'${type}' versions use different formats`, {
          type,
          version,
          readerVersion,
        });
      }
      if (reader.format === 'avro') {
        const problems = avroProblems(reader.schema as avro.Type, writer.schema as avro.Type, 'backward');
        if (problems.length > 0) {
          throw failure(
            'SWB_SCHEMA_INCOMPATIBLE',
            `'${type}' ${readerVersion} cannot read data written with ${version}`,
            {
              type,
              version,
              readerVersion,
              problems,
            },
          );
        }
        codec = avroCodec(reader.schema as avro.Type, { writerSchema: writer.schema as avro.Type, maxDepth });
      } else {
        // Protobuf reads by field number and JSON has no schema on the wire: the reader's own codec reads both.
        codec = reader.codec;
      }
      resolving.set(key, codec);
      return codec;
    },
    checkCompatibility(type, candidateSchema, mode) {
      const previous = registry.latest(type);
      if (previous === undefined) return { compatible: true, problems: [] };
      const schema = parseSchema(previous.format, candidateSchema, type);
      return check(type, previous as Entry, previous.format, schema, mode);
    },
  };
  return registry;
}

function schemaInvalid(message: string, details?: Record<string, unknown>) {
  return failure('SWB_SCHEMA_INVALID', message, details);
}

function parseSchema(format: SchemaFormat, schema: unknown, type: string): unknown {
  switch (format) {
    case 'avro':
      return avroType(schema as avro.Schema);
    case 'protobuf':
      return toProtobufType(schema, type);
    case 'json':
      return schema;
    default:
      throw schemaInvalid(`unknown schema format for '${type}'`, { type });
  }
}

function toProtobufType(schema: unknown, type: string): protobuf.Type {
  if (schema instanceof protobuf.Type) return schema;
  const source = schema as Partial<{ proto: string; messageType: string }> | null;
  if (typeof source?.proto !== 'string' || typeof source.messageType !== 'string') {
    throw schemaInvalid(`protobuf schema for '${type}' must be a Type or { proto, messageType }`, { type });
  }
  try {
    const root = protobuf.parse(source.proto, { keepCase: true }).root;
    root.resolveAll();
    return root.lookupType(source.messageType);
  } catch (error) {
    throw schemaInvalid(`invalid protobuf schema for '${type}': ${(error as Error).message}`, { type });
  }
}

function fingerprintOf(format: SchemaFormat, schema: unknown): string {
  if (format === 'avro') return (schema as avro.Type).fingerprint('sha256').toString('hex');
  if (format === 'protobuf') return JSON.stringify((schema as protobuf.Type).toJSON());
  return JSON.stringify(schema ?? null);
}

function buildCodec(format: SchemaFormat, schema: unknown, maxDepth: number): Codec {
  if (format === 'avro') return avroCodec(schema as avro.Type, { maxDepth });
  if (format === 'protobuf') return protobufCodec(schema as protobuf.Type, { maxDepth });
  return jsonCodec({ maxDepth });
}
