/**
 * The envelope serializer the bus uses, one per transport: binding style and mode, limits, and codec choice
 * from the schema registry by `type` and `schemaversion`, with JSON for unregistered types.
 *
 * @module
 */
import { SwitchboardError } from '../errors.js';
import { isJsonMediaType, mediaEssence } from './attributes.js';
import { type CodecContext, decodeWire, toWireMessage } from './binding.js';
import { isJsonCodec, jsonCodec } from './json-codec.js';
import { type EnvelopeLimits, resolveLimits } from './limits.js';
import type { SchemaRegistry } from './registry.js';
import type { BindingMode, Codec, Envelope, HeaderStyle, WireMessage } from './types.js';
import { isSealed, sealEnvelope, validateEnvelope } from './validate.js';

/** Options of {@link createEnvelopeSerializer}. */
export interface EnvelopeSerializerOptions {
  /** Header naming of the transport: `kafka` or `nats`. */
  readonly style: HeaderStyle;
  /** Mode used to encode (decoding accepts both). Default `binary`. */
  readonly mode?: BindingMode;
  /** Where codecs for registered types come from. */
  readonly registry?: SchemaRegistry;
  /** Codec for unregistered types. Default: JSON with the `maxDepth` limit. */
  readonly defaultCodec?: Codec;
  /** Limits checked on decode. */
  readonly limits?: EnvelopeLimits;
  /**
   * Per type, the schema version this consumer reads as (`{ 'agent.spawned.v1': '2.0.0' }`): data written with
   * another version is resolved into this one. Types not listed decode as the version they were written with.
   */
  readonly readerVersions?: Readonly<Record<string, string>>;
}

/** Encodes envelopes to wire messages and back. */
export interface EnvelopeSerializer {
  /** Envelope to wire message. Throws `SWB_ENVELOPE_INVALID`, `SWB_ENCODE_FAILED` or `SWB_SCHEMA_NOT_FOUND`. */
  encode(envelope: Envelope): WireMessage;
  /** Wire message to a validated, frozen envelope. Throws a non-retryable `SwitchboardError` on bad input. */
  decode<T = unknown>(wire: WireMessage): Envelope<T>;
}

/**
 * Creates the serializer for one transport.
 *
 * On encode, a type registered in `registry` is written with the codec of its `schemaversion` (or of its latest
 * version, which is then stamped into `schemaversion`); other types use `defaultCodec`. On decode the same
 * lookup runs on the incoming `type` and `schemaversion`, honouring `readerVersions`; data whose media type does
 * not match the registered format falls back to the codec for its media type.
 *
 * @example
 * ```ts
 * const serializer = createEnvelopeSerializer({ style: 'kafka', registry, readerVersions: { 'task.created.v1': '1.1.0' } });
 * const wire = serializer.encode(createEnvelope({ type: 'task.created.v1', source: 'api', data }));
 * const envelope = serializer.decode(wire);
 * ```
 */
export function createEnvelopeSerializer(options: EnvelopeSerializerOptions): EnvelopeSerializer {
  const { style, registry, readerVersions } = options;
  const mode = options.mode ?? 'binary';
  if (mode !== 'binary' && mode !== 'structured') {
    throw new SwitchboardError(
      'SWB_CONFIG_INVALID',
      "envelope serializer: `mode` (a bus's `contentMode`) must be 'binary' or 'structured'",
      { details: { path: 'mode' } },
    );
  }
  const limits = resolveLimits(options.limits);
  const json = jsonCodec({ maxDepth: limits.maxDepth });
  const defaultCodec = options.defaultCodec ?? json;
  const codecs: readonly Codec[] = isJsonCodec(defaultCodec) ? [defaultCodec] : [json, defaultCodec];

  const resolveCodec =
    registry === undefined
      ? undefined
      : (context: CodecContext): Codec | undefined => {
          if (!registry.has(context.type)) return undefined;
          const readerVersion = readerVersions?.[context.type];
          const writerVersion =
            context.schemaversion ?? readerVersion ?? registry.latest(context.type)!.version;
          const codec = registry.codecFor(context.type, writerVersion, { readerVersion });
          // Data written without the registry (JSON where the registry says Avro) decodes by its media type.
          const sameFormat = isJsonCodec(codec)
            ? isJsonMediaType(context.datacontenttype)
            : mediaEssence(codec.contentType) === mediaEssence(context.datacontenttype);
          return sameFormat ? codec : undefined;
        };

  return {
    encode(envelope: Envelope): WireMessage {
      if (registry === undefined || !registry.has(envelope.type)) {
        return toWireMessage(envelope, { style, mode, codec: defaultCodec });
      }
      let stamped = envelope;
      if (envelope.schemaversion === undefined) {
        const latest = registry.latest(envelope.type)!;
        // Consumers need the version to pick the writer schema; the registry's version is a valid semver.
        stamped = withSchemaVersion(envelope, latest.version);
      }
      const codec = registry.codecFor(stamped.type, stamped.schemaversion!);
      return toWireMessage(stamped, { style, mode, codec });
    },
    decode<T = unknown>(wire: WireMessage): Envelope<T> {
      return decodeWire<T>(wire, style, limits, resolveCodec, codecs);
    },
  };
}

function withSchemaVersion(envelope: Envelope, version: string): Envelope {
  const stamped = { ...envelope, schemaversion: version };
  // Only an envelope that already passed the checks may skip them; anything else is validated whole.
  return isSealed(envelope) ? sealEnvelope(stamped) : validateEnvelope(stamped);
}
