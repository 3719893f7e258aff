/**
 * The Switchboard message envelope: CloudEvents 1.0 attributes plus our extensions, and the
 * transport-neutral wire message every transport carries.
 *
 * @module
 */

/**
 * A message as services see it: CloudEvents 1.0 context attributes, Switchboard's extensions and the data.
 *
 * Extension names follow the CloudEvents naming rules (lower-case ASCII letters and digits), so any CloudEvents
 * consumer can read them. User extensions live in `extensions`; values are strings (CloudEvents allows booleans
 * and integers too, but headers carry strings, so we keep them as strings to round-trip exactly).
 */
export interface Envelope<T = unknown> {
  /** Unique id of the event (UUID v7 by default: time-ordered). `source` + `id` identify it. */
  readonly id: string;
  /** The producing service, as a URI-reference (for example `backend-api`). */
  readonly source: string;
  /** The event type; carries its major version where breaking changes happen (`task.created.v1`). */
  readonly type: string;
  /** Always `1.0`. */
  readonly specversion: '1.0';
  /** RFC 3339 timestamp with nanoseconds, for example `2026-11-21T20:39:37.123456789Z`. */
  readonly time: string;
  /** What the event is about inside the source (for example a task id). */
  readonly subject?: string | undefined;
  /** Media type of `data` on the wire (`application/json`, `application/avro`, `application/protobuf`). */
  readonly datacontenttype: string;
  /** URI of the schema `data` adheres to. */
  readonly dataschema?: string | undefined;
  /** The payload. */
  readonly data: T;
  /** Ties a request, its reply and everything caused by them together. */
  readonly correlationid?: string | undefined;
  /** The id of the message that caused this one. */
  readonly causationid?: string | undefined;
  /** Ordering and partitioning key (the Kafka record key, a NATS subject token). */
  readonly partitionkey?: string | undefined;
  /** Semantic version of the payload schema (`1.2.0`). */
  readonly schemaversion?: string | undefined;
  /** Targeted delivery: the service this message is meant for. */
  readonly destination?: string | undefined;
  /** RFC 3339 deadline after which the message must not be processed. */
  readonly expirytime?: string | undefined;
  /** W3C trace context. */
  readonly traceparent?: string | undefined;
  /** W3C trace state. */
  readonly tracestate?: string | undefined;
  /** Other CloudEvents extension attributes (lower-case alphanumeric names), as strings. */
  readonly extensions?: Readonly<Record<string, string>> | undefined;
}

/** Header names and values on the wire. Names are lower-case. */
export type WireHeaders = Record<string, string>;

/**
 * A message as transports see it: an optional key, string headers and the body bytes.
 *
 * Every transport maps this to its native record (Kafka record key, headers and value; NATS subject token,
 * headers and payload); nothing in the core knows more about the wire than this.
 */
export interface WireMessage {
  /** Partitioning key (Kafka record key; NATS subject token; in-memory partition hash). */
  readonly key?: string | undefined;
  /** Headers, lower-case names. */
  readonly headers: WireHeaders;
  /** The body bytes. */
  readonly body: Uint8Array;
}

/** How CloudEvents attributes travel: as headers (`binary`, the default) or inside a JSON body (`structured`). */
export type BindingMode = 'binary' | 'structured';

/**
 * Header naming: Kafka's binding (`ce_id`, `content-type`) or the NATS/HTTP one (`ce-id`, percent-encoded
 * values, `ce-datacontenttype`).
 */
export type HeaderStyle = 'kafka' | 'nats';

/**
 * Turns payloads into bytes and back. Implementations must never trust their input: a decode failure throws a
 * `SwitchboardError` (`SWB_DECODE_FAILED`, `SWB_DEPTH_EXCEEDED`, `SWB_MESSAGE_TOO_LARGE`), never anything else.
 */
export interface Codec<T = unknown> {
  /** The media type this codec writes (`application/json`, `application/avro`, ...). */
  readonly contentType: string;
  /** Encodes a payload. Throws `SWB_ENCODE_FAILED` when the value does not fit the schema. */
  encode(value: T): Uint8Array;
  /** Decodes a payload. Throws a `SwitchboardError` on any bad input. */
  decode(bytes: Uint8Array): T;
}
