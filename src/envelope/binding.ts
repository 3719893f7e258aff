/**
 * CloudEvents protocol bindings: an envelope to a transport-neutral {@link WireMessage} and back, in binary
 * mode (attributes as headers) or structured mode (one JSON event in the body), with Kafka-style (`ce_`) or
 * NATS-style (`ce-`, percent-encoded) headers.
 *
 * @module
 */

import { isSwitchboardError } from '../errors.js';
import {
  checkAttribute,
  checkExtensionName,
  checkString,
  isJsonMediaType,
  mediaEssence,
  OPTIONAL_ATTRIBUTES,
  REQUIRED_ATTRIBUTES,
} from './attributes.js';
import { binaryHeaders, readBinaryAttributes } from './binary-mode.js';
import { decodeFailed, failure, invalidEnvelope } from './fail.js';
import { isJsonCodec, jsonCodec, utf8 } from './json-codec.js';
import {
  checkBodySize,
  type EnvelopeLimits,
  type ResolvedLimits,
  resolveLimits,
  validateHeaders,
} from './limits.js';
import { safeJsonParse } from './safe-json.js';
import type { BindingMode, Codec, Envelope, HeaderStyle, WireHeaders, WireMessage } from './types.js';
import { isSealed, sealable, sealEnvelope, validateEnvelope } from './validate.js';

/**
 * The media type of a structured-mode body.
 *
 * @example
 * ```ts
 * import { STRUCTURED_CONTENT_TYPE, toWireMessage } from 'switchboard';
 *
 * const wire = toWireMessage(envelope, { style: 'kafka', mode: 'structured' });
 * wire.headers['content-type'] === STRUCTURED_CONTENT_TYPE; // true: the body is the whole JSON event
 * ```
 */
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';

/** Options of {@link toWireMessage}. */
export interface ToWireOptions {
  /** Header naming: `kafka` (`ce_id`, `content-type`) or `nats` (`ce-id`, percent-encoded values). */
  readonly style: HeaderStyle;
  /** `binary` (default): attributes in headers, data in the body. `structured`: one JSON event as the body. */
  readonly mode?: BindingMode;
  /** Codec for `data`. Default: JSON. */
  readonly codec?: Codec;
}

/** The attributes a codec resolver sees before the data is decoded. */
export interface CodecContext {
  readonly type: string;
  readonly schemaversion?: string | undefined;
  readonly datacontenttype: string;
}

/** Options of {@link fromWireMessage}. */
export interface FromWireOptions {
  /** Header naming the message was written with. */
  readonly style: HeaderStyle;
  /** Limits checked before decoding. Defaults: see {@link EnvelopeLimits}. */
  readonly limits?: EnvelopeLimits;
  /** Picks the codec from the attributes (for example from a schema registry); `undefined` falls through. */
  readonly resolveCodec?: (context: CodecContext) => Codec | undefined;
  /**
   * Codecs tried by media type when `resolveCodec` gives none. A JSON codec here serves every JSON media type.
   * Default: one JSON codec with the `maxDepth` limit.
   */
  readonly codecs?: readonly Codec[];
}

const defaultJson = jsonCodec();
// Every optional attribute travels as a header of its own.
const OPTIONAL_HEADER_ATTRIBUTES = OPTIONAL_ATTRIBUTES;

const STRUCTURED_KNOWN: ReadonlySet<string> = new Set([
  ...REQUIRED_ATTRIBUTES,
  ...OPTIONAL_HEADER_ATTRIBUTES,
]);

/**
 * Turns an envelope into a wire message.
 *
 * Binary mode: Kafka style writes `ce_<attribute>` headers and `content-type` for `datacontenttype`; NATS style
 * writes `ce-<attribute>` headers (including `ce-datacontenttype`) with percent-encoded values. Extensions go
 * out as `ce_<name>` / `ce-<name>`; `traceparent` and `tracestate` also as plain headers so tracing works
 * without knowing CloudEvents. Structured mode: `content-type: application/cloudevents+json` and the JSON
 * event as body (`data` inline for JSON codecs, `data_base64` otherwise). The key is `partitionkey`.
 *
 * @throws SwitchboardError `SWB_ENVELOPE_INVALID` for a malformed envelope, `SWB_ENCODE_FAILED` when the codec
 * cannot encode the data.
 * @example
 * ```ts
 * const wire = toWireMessage(envelope, { style: 'kafka' });
 * wire.headers['ce_type']; // 'task.created.v1'
 * ```
 */
export function toWireMessage(envelope: Envelope, options: ToWireOptions): WireMessage {
  // Read everything from the checked envelope: a sealed one as is, anything else from its validated copy.
  const checked = isSealed(envelope) ? envelope : validateEnvelope(envelope);
  const codec = options.codec ?? defaultJson;
  const contentType = wireContentType(checked.datacontenttype, codec);
  if (options.mode === 'structured') return toStructured(checked, codec, contentType);
  const headers = binaryHeaders(checked, contentType, options.style);
  const body =
    checked.data === undefined && isJsonCodec(codec) ? new Uint8Array(0) : encodeData(codec, checked.data);
  return { key: checked.partitionkey, headers, body };
}

function toStructured(envelope: Envelope, codec: Codec, contentType: string): WireMessage {
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: envelope.id,
    source: envelope.source,
    type: envelope.type,
    time: envelope.time,
    datacontenttype: contentType,
  };
  for (const name of OPTIONAL_HEADER_ATTRIBUTES) {
    const value = envelope[name];
    if (value !== undefined) event[name] = value;
  }
  if (envelope.extensions !== undefined) Object.assign(event, envelope.extensions);
  if (isJsonCodec(codec)) {
    if (envelope.data !== undefined) event.data = envelope.data;
  } else {
    event.data_base64 = Buffer.from(encodeData(codec, envelope.data)).toString('base64');
  }
  let text: string;
  try {
    text = JSON.stringify(event);
  } catch {
    throw failure('SWB_ENCODE_FAILED', 'encode failed: data is not JSON-serialisable', { reason: 'json' });
  }
  const headers: WireHeaders = { 'content-type': STRUCTURED_CONTENT_TYPE };
  if (envelope.traceparent !== undefined) headers.traceparent = envelope.traceparent;
  if (envelope.tracestate !== undefined) headers.tracestate = envelope.tracestate;
  return { key: envelope.partitionkey, headers, body: Buffer.from(text, 'utf8') };
}

function encodeData(codec: Codec, data: unknown): Uint8Array {
  try {
    return codec.encode(data);
  } catch (error) {
    if (isSwitchboardError(error)) throw error;
    // A user codec's message may quote the value; keep only the fact that it failed.
    throw failure('SWB_ENCODE_FAILED', `encode failed: ${codec.contentType} codec rejected the data`, {
      contentType: codec.contentType,
    });
  }
}

// The codec decides what is on the wire; keep the envelope's media type only when it names the same format
// (it may carry parameters or a more specific +json type).
function wireContentType(declared: string, codec: Codec): string {
  if (isJsonCodec(codec)) return isJsonMediaType(declared) ? declared : codec.contentType;
  return mediaEssence(declared) === mediaEssence(codec.contentType) ? declared : codec.contentType;
}

/**
 * Turns a wire message back into a validated, frozen envelope. Accepts binary and structured mode whatever
 * mode the sender chose.
 *
 * Checks, in this order and before any payload byte is parsed: header count, names, values and total size;
 * body size. Then attributes are validated and the data decoded with the codec from `resolveCodec` or, by
 * media type, from `codecs`.
 *
 * @throws SwitchboardError, never retryable: `SWB_HEADER_INVALID`, `SWB_MESSAGE_TOO_LARGE`,
 * `SWB_ENVELOPE_INVALID`, `SWB_UNSUPPORTED_CONTENT_TYPE`, `SWB_DECODE_FAILED`, `SWB_DEPTH_EXCEEDED`.
 * @example
 * ```ts
 * const envelope = fromWireMessage(wire, { style: 'nats', limits: { maxBytes: 64 * 1024 } });
 * ```
 */
export function fromWireMessage<T = unknown>(wire: WireMessage, options: FromWireOptions): Envelope<T> {
  const limits = resolveLimits(options.limits);
  const codecs = options.codecs ?? [
    limits.maxDepth === defaultJson.maxDepth ? defaultJson : jsonCodec({ maxDepth: limits.maxDepth }),
  ];
  return decodeWire<T>(wire, options.style, limits, options.resolveCodec, codecs);
}

/** The decode path with everything resolved; the serializer calls this directly. @internal */
export function decodeWire<T>(
  wire: WireMessage,
  style: HeaderStyle,
  limits: ResolvedLimits,
  resolveCodec: ((context: CodecContext) => Codec | undefined) | undefined,
  codecs: readonly Codec[],
): Envelope<T> {
  if (typeof wire !== 'object' || wire === null) throw decodeFailed('wire message must be an object');
  const headers = wire.headers;
  if (typeof headers !== 'object' || headers === null) throw decodeFailed('headers must be an object');
  checkBodySize(wire.body, limits);
  // Own headers only, like every other header check: an inherited content-type must not pick the mode.
  const contentType = Object.hasOwn(headers, 'content-type') ? headers['content-type'] : undefined;
  const essence = typeof contentType === 'string' ? mediaEssence(contentType) : undefined;
  if (essence?.startsWith('application/cloudevents')) {
    validateHeaders(headers, limits);
    if (essence !== STRUCTURED_CONTENT_TYPE) {
      throw failure('SWB_UNSUPPORTED_CONTENT_TYPE', 'only JSON structured-mode events are supported', {
        contentType: essence.slice(0, 100),
      });
    }
    return decodeStructured<T>(wire, limits, resolveCodec, codecs);
  }
  return decodeBinary<T>(wire, style, limits, resolveCodec, codecs);
}

// Binary mode reads and validates every header in one pass (see readBinaryAttributes), then decodes the data.
function decodeBinary<T>(
  wire: WireMessage,
  style: HeaderStyle,
  limits: ResolvedLimits,
  resolveCodec: ((context: CodecContext) => Codec | undefined) | undefined,
  codecs: readonly Codec[],
): Envelope<T> {
  const envelope = readBinaryAttributes(wire, style, limits);
  const codec = pickCodec(envelope, resolveCodec, codecs);
  envelope.data = wire.body.byteLength === 0 && isJsonCodec(codec) ? undefined : decodeData(codec, wire.body);
  return sealEnvelope(envelope as unknown as Envelope<T>);
}

function decodeStructured<T>(
  wire: WireMessage,
  limits: ResolvedLimits,
  resolveCodec: ((context: CodecContext) => Codec | undefined) | undefined,
  codecs: readonly Codec[],
): Envelope<T> {
  // One more level than the data limit: the event object itself wraps the data.
  const event = safeJsonParse(utf8(wire.body), { maxDepth: limits.maxDepth + 1 });
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw decodeFailed('structured event must be a JSON object');
  }
  const source = event as Record<string, unknown>;
  const env: Record<string, unknown> = {};
  let extensions: Record<string, string> | undefined;
  for (const key of Object.keys(source)) {
    if (key === 'data' || key === 'data_base64') continue;
    const value = source[key];
    if (value === null || value === undefined) continue;
    if (STRUCTURED_KNOWN.has(key)) {
      env[key] = value;
      continue;
    }
    checkExtensionName(key);
    // The JSON format allows boolean and integer extensions; envelopes carry every extension as a string.
    const text = typeof value === 'boolean' || Number.isInteger(value) ? String(value) : value;
    checkString(`extensions.${key}`, text);
    extensions ??= {};
    extensions[key] = text;
  }
  env.datacontenttype ??= 'application/json';
  if (env.partitionkey === undefined && typeof wire.key === 'string' && wire.key.length > 0) {
    env.partitionkey = wire.key;
  }
  const envelope = checkDecoded(env, extensions);
  const base64 = source.data_base64;
  if (base64 !== undefined && base64 !== null) {
    if (typeof base64 !== 'string' || !BASE64.test(base64))
      throw invalidEnvelope('data_base64', 'must be base64');
    const codec = pickCodec(envelope, resolveCodec, codecs);
    envelope.data = decodeData(codec, Buffer.from(base64, 'base64'));
  } else {
    envelope.data = source.data;
  }
  return sealEnvelope(envelope as unknown as Envelope<T>);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const REQUIRED = ['id', 'source', 'type', 'specversion', 'time', 'datacontenttype'] as const;

function checkDecoded(env: Record<string, unknown>, extensions: Record<string, string> | undefined) {
  const envelope = sealable();
  for (const field of REQUIRED) {
    const value = env[field];
    if (value === undefined) throw invalidEnvelope(field, 'is required');
    checkAttribute(field, value);
    envelope[field] = value;
  }
  for (const field of OPTIONAL_HEADER_ATTRIBUTES) {
    const value = env[field];
    if (value === undefined) continue;
    checkAttribute(field, value);
    envelope[field] = value;
  }
  envelope.data = undefined;
  if (extensions !== undefined) envelope.extensions = Object.freeze(extensions);
  return envelope;
}

function pickCodec(
  envelope: Record<string, unknown>,
  resolveCodec: ((context: CodecContext) => Codec | undefined) | undefined,
  codecs: readonly Codec[],
): Codec {
  const context = envelope as unknown as CodecContext;
  const resolved = resolveCodec?.(context);
  if (resolved !== undefined) return resolved;
  const contentType = context.datacontenttype;
  const json = isJsonMediaType(contentType);
  // The essence is parsed only off the JSON path: JSON is nearly every message.
  const essence = json ? undefined : mediaEssence(contentType);
  for (const codec of codecs) {
    if (json ? isJsonCodec(codec) : mediaEssence(codec.contentType) === essence) return codec;
  }
  throw failure('SWB_UNSUPPORTED_CONTENT_TYPE', 'no codec for the data content type', {
    contentType: (essence ?? mediaEssence(contentType)).slice(0, 100),
    type: context.type,
  });
}

function decodeData(codec: Codec, bytes: Uint8Array): unknown {
  try {
    return codec.decode(bytes);
  } catch (error) {
    if (isSwitchboardError(error)) throw error;
    throw decodeFailed(`${codec.contentType} codec rejected the data`, { contentType: codec.contentType });
  }
}
