/**
 * Types of the user-facing bus: options, handlers, subscriptions and events.
 *
 * @module
 */
import type { IDefaultPolicyContext, IPolicy } from 'cockatiel';
import type { Codec, Envelope, WireHeaders } from '../envelope/types.js';
import type { IdempotencyStore } from '../idempotency/types.js';
import type { BreakerLike } from '../observability/health.js';
import type { TelemetryOptions } from '../observability/options.js';
import type { SecurityOptions } from '../security/options.js';
import type { DeliveryCoordinates, PublishReceipt, StartPosition, Transport } from '../transport/types.js';

/**
 * Maps message types to their payload types, so `publish` and `subscribe` are type-checked.
 *
 * @example
 * ```ts
 * interface TaskEvents {
 *   'task.created.v1': { taskId: string; title: string };
 *   'task.completed.v1': { taskId: string; completedAt: string };
 * }
 * const bus = createBus<TaskEvents>({ transport: memoryTransport(), source: 'backend-api' });
 * ```
 */
export type MessageMap = Record<string, unknown>;

/** Any policy the bus can run work through: cockatiel's `IPolicy` (ours implement it too). */
// biome-ignore lint/suspicious/noExplicitAny: policies of any context and alternate return type compose here
export type AnyPolicy = IPolicy<IDefaultPolicyContext, any>;

/** Where a message type is published: a topic name, or a function of the type. Default: the type itself. */
export type TopicRouter = Readonly<Record<string, string>> | ((type: string) => string);

/** Options for {@link createBus}. */
export interface BusOptions {
  /** The transport to send and receive over. */
  readonly transport: Transport;
  /** This service's name: the CloudEvents `source` of what it publishes, and its default consumer group. */
  readonly source: string;
  /**
   * Type-to-topic routing. Several types may share a topic (seed 002: `task-events` carries `task.created.v1` and
   * `task.completed.v1`); handlers are chosen by type. Types without a route use their own name as the topic.
   */
  readonly routes?: TopicRouter;
  /** Codec registry lookups for payloads; JSON when absent or when a type is not registered. */
  readonly registry?: import('../envelope/index.js').SchemaRegistry;
  /** Codec for unregistered types. Default: safe JSON. */
  readonly defaultCodec?: Codec;
  /**
   * On the in-memory transport the bus passes envelopes by reference and encodes only when bytes are needed (a
   * dead letter, a reply). `'always'` encodes and decodes every message, as a remote transport does.
   */
  readonly serialization?: 'auto' | 'always';
  /**
   * CloudEvents content mode of what the bus publishes. `'binary'` (default): attributes as headers (`ce_` on
   * Kafka, `ce-` on NATS), data as the body. `'structured'`: one JSON event as the body
   * (`application/cloudevents+json`), with only `content-type` and the W3C trace context as headers. Kafka's
   * client pays for every header (about a quarter more bus events per second in structured mode in
   * bench/RESULTS.md); over NATS the two modes cost the same. The price: a larger body, and data that is JSON,
   * or base64 for Avro and Protobuf.
   * Consumers read both modes whatever this says, so publishers can switch one at a time.
   *
   * @example
   * ```ts
   * createBus({ transport, source: 'billing', contentMode: 'structured' });
   * ```
   */
  readonly contentMode?: 'binary' | 'structured';
  /** Size and header limits for decoding. */
  readonly limits?: import('../envelope/index.js').EnvelopeLimits;
  /**
   * The schema version this service reads each registered type as (Avro reader/writer resolution): a consumer on
   * `2.0.0` decodes data written with `1.0.0` into the v2 shape. Types not listed are read as written.
   */
  readonly readerVersions?: Readonly<Record<string, string>>;
  /** Idempotency store used by subscriptions that ask for idempotency (`idempotency: true`). */
  readonly idempotency?: IdempotencyStore;
  /** Default policies: `outbound` wraps every publish and request, `inbound` every handler call. */
  readonly policies?: { readonly outbound?: AnyPolicy; readonly inbound?: AnyPolicy };
  /** Defaults applied to every subscription. */
  readonly subscriptionDefaults?: Partial<SubscribeOptions>;
  /** Close the transport when the bus closes. Default `true`. */
  readonly ownsTransport?: boolean;
  /** Version string reported by `health()`. */
  readonly version?: string;
  /**
   * Logger; silent by default. pino fits. The bus logs failures, redeliveries, dead letters and errors through
   * it, payload-free.
   */
  readonly logger?: Logger;
  /**
   * OpenTelemetry traces and metrics. Default: on, through the global providers (nearly free until an SDK is
   * registered). `false` turns the instrumentation off entirely.
   */
  readonly telemetry?: TelemetryOptions | false;
  /**
   * Circuit breakers to report in `health()` and the breaker-state gauge, by name. Breakers given to
   * `subscribe({ breaker })` are reported without this.
   */
  readonly breakers?: Readonly<Record<string, BreakerLike>>;
  /**
   * Message security (opt-in): HMAC-SHA256 signing, AES-256-GCM encryption and replay protection, for every
   * type or the types listed. Rejected messages go to the dead-letter topic (reason `decode-failed`, the
   * security error's code in `dlq-error-code`). Turns off the in-memory pass-by-reference fast path.
   */
  readonly security?: SecurityOptions;
}

/** A structured logger interface that pino, bunyan and console-like loggers fit. */
export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

/** Options for {@link Bus.publish}. */
export interface PublishOptions {
  /** Partition / ordering key. */
  readonly key?: string;
  /** Extra CloudEvents extension attributes (lower-case alphanumeric names). */
  readonly extensions?: Readonly<Record<string, string>>;
  /** Ties related messages together. Defaults to the message id. */
  readonly correlationId?: string;
  /** The id of the message that caused this one. */
  readonly causationId?: string;
  /** CloudEvents `subject`. */
  readonly subject?: string;
  /** Targeted delivery: the service the message is meant for. */
  readonly destination?: string;
  /** Deadline: a `Date`, or milliseconds from now. Consumers dead-letter the message once it has passed. */
  readonly deadline?: Date | number;
  /** Schema version of the payload; defaults to the registry's latest for the type. */
  readonly schemaVersion?: string;
  /** Message id (UUID v7 by default). Publishing the same id twice lets de-duplicating brokers drop the copy. */
  readonly id?: string;
  /** Overrides the routed topic. */
  readonly topic?: string;
  /** Aborts waiting for the broker. */
  readonly signal?: AbortSignal;
  /** Overrides the bus's outbound policy for this call (`null`: none). */
  readonly policy?: AnyPolicy | null;
}

/** What a publish produced. */
export interface PublishResult {
  /** The envelope as sent. */
  readonly envelope: Envelope;
  /** The topic it went to. */
  readonly topic: string;
  /** What the broker reported. */
  readonly receipt: PublishReceipt;
}

/** The second argument of every handler. */
export interface HandlerContext {
  /** Aborted when the handler should stop: timeout, deadline, or shutdown past its grace period. */
  readonly signal: AbortSignal;
  /** 1 on the first delivery; counts broker redeliveries (and in-process retries, see `retryAttempt`). */
  readonly attempt: number;
  /** In-process retry attempt within this delivery (0 on the first call). */
  readonly retryAttempt: number;
  /** The topic the message came from. */
  readonly topic: string;
  /** The consumer group. */
  readonly group: string;
  /** Native position of the message. */
  readonly coordinates: DeliveryCoordinates;
  /**
   * Publishes a message caused by this one: `causationid` is this message's id and `correlationid` is carried
   * over.
   */
  publish(type: string, data: unknown, options?: PublishOptions): Promise<PublishResult>;
}

/** Handles one message. Throwing fails it (see the failure path in {@link SubscribeOptions}). */
export type Handler<T = unknown> = (envelope: Envelope<T>, context: HandlerContext) => unknown;

/** Where dead letters go. */
export interface DeadLetterOptions {
  /** Dead-letter topic. Default `<topic>.dlq`. */
  readonly topic?: string;
  /** `false` drops failed messages after logging (not recommended). Default `true`. */
  readonly enabled?: boolean;
}

/**
 * Options for {@link Bus.subscribe}.
 *
 * The failure path has three stages: (1) in-process retries with short back-off (`retry`); (2) broker redelivery
 * with a delay (`redeliveryDelay`), until the message has been delivered `maxDeliveries` times; (3) the
 * dead-letter topic with the standard headers. Errors that can never succeed (decode, validation, a
 * `SwitchboardError` with `retryable: false`, or an error from {@link permanentError}) skip stages 1 and 2.
 */
export interface SubscribeOptions {
  /** Consumer group; instances in one group share the work. Default: the bus's `source`. */
  readonly group?: string;
  /** Handlers running at once for this subscription. Default 1. */
  readonly concurrency?: number;
  /** Keep per-key order. Default `true` when `concurrency` is 1. */
  readonly ordered?: boolean;
  /**
   * Stage 1: in-process retries. A policy (ours or cockatiel's), or retry options (`{ maxAttempts: 3,
   * initialDelay: 100 }`) for a retry that tries again on every error but permanent ones; `false` for none.
   * Default: none.
   */
  readonly retry?: AnyPolicy | import('../resilience/index.js').RetryOptions | false;
  /** A circuit breaker (or any policy) around the handler, inside the retry. */
  readonly breaker?: AnyPolicy;
  /** Per-call timeout in milliseconds; the handler's signal aborts then. Also bounded by the message deadline. */
  readonly timeoutMs?: number;
  /** Any other policy around the handler, outermost. */
  readonly policy?: AnyPolicy;
  /** Stage 2 and 3: deliveries before dead-lettering. Default 5. */
  readonly maxDeliveries?: number;
  /** Delay before broker redelivery, in milliseconds, or a function of the attempt. Default 1000 * 2^(attempt-1), max 30 s. */
  readonly redeliveryDelay?: number | ((attempt: number) => number);
  /** Dead-letter settings. */
  readonly deadLetter?: DeadLetterOptions;
  /**
   * De-duplicate with the bus's idempotency store (or the store given here). A duplicate is acknowledged and
   * skipped. Default `false`.
   */
  readonly idempotency?: boolean | IdempotencyStore;
  /** How long a reservation lasts before another worker may take over. Default 30 s. */
  readonly idempotencyLeaseMs?: number;
  /** How long a handled message is remembered. Default 7 days. */
  readonly idempotencyTtlMs?: number;
  /** Key of a message for idempotency. Default `source` + `id`. */
  readonly idempotencyKey?: (envelope: Envelope) => string;
  /** Where a new group starts. */
  readonly startFrom?: StartPosition;
  /** Only deliver messages whose `destination` is absent or equals this (seed 004 targeted delivery). */
  readonly destination?: string;
  /** Closes the subscription when aborted. */
  readonly signal?: AbortSignal;
}

/** A live subscription of the bus. */
export interface BusSubscription {
  readonly topic: string;
  readonly group: string;
  readonly types: readonly string[];
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  /** Stops this handler; closes the transport subscription when no handler is left on it. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Options for {@link Bus.request}. */
export interface RequestOptions extends Omit<PublishOptions, 'deadline'> {
  /** Give up after this long. Default 5000 ms (seed 004's request timeout). */
  readonly timeoutMs?: number;
}

/** Options for {@link Bus.respond}. */
export interface RespondOptions {
  /** Responders in one group share the requests. Default: the bus's `source`. */
  readonly group?: string;
  /** Requests handled at once. Default 16. */
  readonly concurrency?: number;
  /** A policy around the responder. */
  readonly policy?: AnyPolicy;
  /** Per-request timeout for the responder, in milliseconds. Bounded by the request's own deadline. */
  readonly timeoutMs?: number;
}

/** Handles a request and returns the reply data. Throwing sends the error back to the requester, typed. */
export type Responder<Req = unknown, Res = unknown> = (
  envelope: Envelope<Req>,
  context: { readonly signal: AbortSignal },
) => Res | Promise<Res>;

/** Why a message went to the dead-letter topic. */
export type DeadLetterReason =
  | 'decode-failed'
  | 'invalid'
  | 'expired'
  | 'permanent-error'
  | 'max-deliveries'
  | 'no-handler';

/** Typed lifecycle events of the bus. */
export interface BusEventMap {
  published: [{ envelope: Envelope; topic: string }];
  handled: [{ envelope: Envelope; topic: string; group: string; attempt: number; durationMs: number }];
  failed: [{ envelope: Envelope | undefined; topic: string; group: string; attempt: number; error: unknown }];
  redelivery: [
    { envelope: Envelope | undefined; topic: string; group: string; attempt: number; delayMs: number },
  ];
  'dead-lettered': [
    { topic: string; deadLetterTopic: string; group: string; reason: DeadLetterReason; error: unknown },
  ];
  /** A handler is about to run again in-process (stage 1 of the failure path); `retryAttempt` counts from 1. */
  retry: [{ envelope: Envelope; topic: string; group: string; attempt: number; retryAttempt: number }];
  duplicate: [{ envelope: Envelope; topic: string; group: string }];
  ignored: [{ envelope: Envelope; topic: string; group: string; reason: 'no-handler' | 'other-destination' }];
  error: [{ error: unknown; context: string }];
  closing: [];
  closed: [];
}

/** Headers of a dead letter on the wire (all lower-case). */
export type DeadLetterHeaders = WireHeaders;
