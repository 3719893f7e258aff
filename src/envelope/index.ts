/**
 * The envelope: CloudEvents 1.0 attributes plus Switchboard's extensions, its validation, the Kafka and NATS
 * bindings in binary and structured mode, the JSON, Avro and Protobuf codecs, hostile-input limits and the
 * in-process schema registry.
 *
 * @module
 */

export type { AvroCodec, AvroCodecOptions, AvroSchema } from './avro-codec.js';
export { avroCodec, avroType } from './avro-codec.js';
export type { CodecContext, FromWireOptions, ToWireOptions } from './binding.js';
export { fromWireMessage, STRUCTURED_CONTENT_TYPE, toWireMessage } from './binding.js';
export type { EnvelopeInput } from './create.js';
export { createEnvelope } from './create.js';
export type { JsonCodec, JsonCodecOptions } from './json-codec.js';
export { jsonCodec } from './json-codec.js';
export type { EnvelopeLimits, ResolvedLimits } from './limits.js';
export { checkBodySize, DEFAULT_LIMITS, resolveLimits, validateHeaders } from './limits.js';
export { percentDecode, percentEncode } from './percent.js';
export type { ProtobufCodec, ProtobufCodecOptions } from './protobuf-codec.js';
export { protobufCodec } from './protobuf-codec.js';
export type {
  CodecForOptions,
  CompatibilityMode,
  CompatibilityResult,
  ProtobufSchema,
  RegisteredSchema,
  RegisterOptions,
  SchemaFormat,
  SchemaRegistration,
  SchemaRegistry,
  SchemaRegistryOptions,
} from './registry.js';
export { createSchemaRegistry } from './registry.js';
export type { ProtoAction, SafeJsonOptions } from './safe-json.js';
export { safeJsonParse } from './safe-json.js';
export type { EnvelopeSerializer, EnvelopeSerializerOptions } from './serializer.js';
export { createEnvelopeSerializer } from './serializer.js';
export { isExpired, nowRfc3339Nano, parseRfc3339 } from './time.js';
export type { BindingMode, Codec, Envelope, HeaderStyle, WireHeaders, WireMessage } from './types.js';
export { validateEnvelope } from './validate.js';
