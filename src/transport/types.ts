/**
 * The transport contract: the one small interface every backend (in-memory, NATS, Kafka) implements.
 *
 * Transports move {@link WireMessage}s; they know nothing of envelopes, codecs, retries or dead letters, which
 * the bus builds on top. Every guarantee a caller may rely on is written on the member that gives it; the
 * conformance suite in `switchboard/testing` checks them against a real broker.
 *
 * @module
 */
import type { WireMessage } from '../envelope/types.js';

/**
 * What a transport can promise. The conformance suite reads these flags to decide what to check, and the bus
 * reads them to pick strategies (for example a reply topic when there is no native request/reply).
 */
export interface TransportFeatures {
  /** Subscribers sharing a `group` compete for messages; different groups each get every message. */
  readonly consumerGroups: boolean;
  /** Messages survive a restart of the broker and of the subscriber (acknowledged ones are not redelivered). */
  readonly persistent: boolean;
  /** Messages with the same key are delivered in publish order (per partition / subject). */
  readonly guaranteedOrder: boolean;
  /** The transport never delivers a message twice. Almost no real transport can claim this. */
  readonly exactlyOnceDelivery: boolean;
  /** A subscriber of a new group receives messages published before it subscribed. */
  readonly newSubscriberReceivesOldMessages: boolean;
  /** The broker can be restarted by the test harness (conformance reconnect scenario). */
  readonly restartable: boolean;
  /** `nack({ delayMs })` is honoured by the broker itself rather than by a local timer. */
  readonly nativeDelayedRedelivery: boolean;
}

/** Where a delivery sits in the broker: only the fields the transport knows are set. */
export interface DeliveryCoordinates {
  /** Kafka partition, or the in-memory transport's partition. */
  readonly partition?: number;
  /** Kafka offset (as a string: Kafka offsets are 64-bit), or the in-memory position. */
  readonly offset?: string;
  /** JetStream stream sequence. */
  readonly sequence?: number;
  /** JetStream stream name. */
  readonly stream?: string;
  /** Native subject (NATS) when it differs from the logical topic. */
  readonly subject?: string;
  /** Broker timestamp of the message in milliseconds since the epoch, when known. */
  readonly timestamp?: number;
}

/** Options for {@link Delivery.nack}. */
export interface NackOptions {
  /** Redeliver no earlier than this many milliseconds from now. `0` or absent: as soon as the transport can. */
  readonly delayMs?: number;
}

/**
 * One message handed to a subscriber, waiting to be settled.
 *
 * Settlement rules:
 * - Exactly one of {@link ack} or {@link nack} takes effect; later calls are ignored (they resolve).
 * - A delivery counts against the subscription's `concurrency` until it is settled, even after the handler
 *   returned. Settling later (asynchronously) is allowed.
 * - If the handler throws or rejects and the delivery is still unsettled, the transport nacks it without delay.
 * - After the subscription is closed, `ack()` and `nack()` do nothing and resolve: no ack is ever sent after close;
 *   the broker redelivers the message to the next subscriber.
 */
export interface Delivery {
  /** The logical topic the message was published to. */
  readonly topic: string;
  /** Key, headers and body as published. */
  readonly message: WireMessage;
  /** 1 on the first delivery, 2 on the first redelivery, and so on, as far as the broker can tell. */
  readonly attempt: number;
  /** Native position of the message. */
  readonly coordinates: DeliveryCoordinates;
  /**
   * Aborted when this delivery should stop: the subscription closed and its grace period ran out, the
   * subscription was aborted, or the transport lost the right to settle it (a Kafka partition was revoked).
   */
  readonly signal: AbortSignal;
  /** Whether `ack` or `nack` has taken effect. */
  readonly settled: boolean;
  /** Confirms the message was handled; the broker will not deliver it to this group again. */
  ack(): Promise<void>;
  /** Gives the message back for redelivery, no earlier than `delayMs` from now. */
  nack(options?: NackOptions): Promise<void>;
  /**
   * Tells the broker the handler is still working, so an ack deadline (JetStream `ack_wait`) does not redeliver
   * the message meanwhile. A no-op where the broker has no such deadline. Transports that have one also call it
   * on their own while the delivery is unsettled.
   */
  working(): Promise<void>;
}

/**
 * Handles one delivery. It should settle it (ack or nack); if it throws without settling, the transport nacks.
 * The transport never calls it again for the same subscription while `concurrency` deliveries are unsettled.
 */
export type DeliveryHandler = (delivery: Delivery) => void | Promise<void>;

/** Where a new consumer group starts reading. */
export type StartPosition = 'earliest' | 'latest';

/** Options for {@link Transport.subscribe}. */
export interface TransportSubscribeOptions {
  /**
   * Consumer group. Subscribers with the same group compete; each group gets every message. Absent: the
   * transport makes a private group for this subscription (it sees every message published from now on, or from
   * `startFrom`).
   */
  readonly group?: string | undefined;
  /** Maximum unsettled deliveries at once. Default 1. */
  readonly concurrency?: number | undefined;
  /**
   * Keep per-key order: with ordering, two deliveries with the same key (or partition) are never unsettled at the
   * same time. Default `true` where `features.guaranteedOrder`, else ignored.
   */
  readonly ordered?: boolean | undefined;
  /** Where a new group starts. Default `earliest` on persistent transports. */
  readonly startFrom?: StartPosition | undefined;
  /**
   * The bus dead-letters after this many deliveries; transports with a broker-side limit set theirs above it so
   * the bus always sees the last attempt.
   */
  readonly maxDeliveries?: number | undefined;
  /** Closes the subscription (as `close()` with no grace) when aborted. */
  readonly signal?: AbortSignal | undefined;
}

/** A live subscription. */
export interface Subscription {
  /** The topic subscribed to. */
  readonly topic: string;
  /** The consumer group, when one was given or made. */
  readonly group: string | undefined;
  /** Whether {@link pause} is in effect. */
  readonly paused: boolean;
  /** Stops handing out new deliveries; unsettled ones stay unsettled and may still be settled. Idempotent. */
  pause(): void;
  /** Resumes deliveries after {@link pause}. Idempotent. */
  resume(): void;
  /**
   * Drains: stops taking new deliveries, waits up to `graceMs` (default 0) for unsettled deliveries to be
   * settled, then aborts their signals and gives them back to the broker unacknowledged. Resolves when nothing of
   * this subscription is in flight. After it resolves no handler runs and no ack is sent. Idempotent.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Options for {@link Transport.publish}. */
export interface PublishOptions {
  /**
   * Message id for broker-side de-duplication (JetStream `Nats-Msg-Id`); transports without it ignore it.
   */
  readonly messageId?: string | undefined;
  /** Gives up waiting for the broker's acknowledgement when aborted (the message may still be stored). */
  readonly signal?: AbortSignal | undefined;
}

/** What the broker said about a published message; fields are set where the transport knows them. */
export interface PublishReceipt {
  readonly topic: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly sequence?: number;
  /** The broker recognised the message id as a duplicate and did not store it again. */
  readonly duplicate?: boolean;
}

/** Health of a transport, for `bus.health()`. */
export interface TransportHealth {
  readonly status: 'up' | 'degraded' | 'down';
  /** Connected to the broker. */
  readonly connected: boolean;
  /** Messages waiting per subscription (topic/group), where the transport can tell. */
  readonly lag?: Readonly<Record<string, number>>;
  /** A short human-readable note, never secrets. */
  readonly detail?: string;
}

/** Lifecycle events a transport emits. */
export interface TransportEventMap {
  connected: [];
  disconnected: [{ reason?: string }];
  reconnecting: [{ attempt: number }];
  /** A broker-side consumer vanished (for example deleted by an operator) and is being recreated. */
  'consumer.deleted': [{ topic: string; group: string | undefined }];
  /** A stalled consumer was detected and restarted. */
  'consumer.restarted': [{ topic: string; group: string | undefined; reason: string }];
  /** A non-fatal error the transport recovered from (logged by the bus). */
  error: [{ error: unknown; context: string }];
}

/** A minimal typed listener interface (eventemitter3 fits it). */
export interface TransportEvents {
  on<K extends keyof TransportEventMap>(event: K, listener: (...args: TransportEventMap[K]) => void): unknown;
  off<K extends keyof TransportEventMap>(
    event: K,
    listener: (...args: TransportEventMap[K]) => void,
  ): unknown;
}

/**
 * A message transport.
 *
 * Concurrency: every method may be called from any number of concurrent async contexts.
 */
export interface Transport {
  /** `messaging.system` of the OpenTelemetry conventions: `memory`, `nats`, `kafka`. */
  readonly system: string;
  /** What this transport promises. */
  readonly features: TransportFeatures;
  /** Lifecycle events. */
  readonly events: TransportEvents;
  /**
   * Connects to the broker. Idempotent; `publish` and `subscribe` call it when needed. Rejects with
   * `SWB_TRANSPORT_UNAVAILABLE` (retryable) when the broker cannot be reached.
   */
  connect(): Promise<void>;
  /**
   * Publishes one message. Resolves once the broker has accepted it as durably as the transport allows
   * (JetStream ack, Kafka `acks=all`, in-memory append). Rejects with `SWB_PUBLISH_FAILED` (retryable when the
   * broker may accept a retry) or `SWB_TRANSPORT_CLOSED`. A publish that rejected may or may not have been stored;
   * one that resolved was.
   */
  publish(topic: string, message: WireMessage, options?: PublishOptions): Promise<PublishReceipt>;
  /**
   * Publishes several messages to one topic, pipelined. Resolves when all were accepted, in input order; rejects
   * if any failed (the others may have been stored). Per-key order within the batch is kept.
   */
  publishBatch(
    topic: string,
    messages: readonly WireMessage[],
    options?: PublishOptions,
  ): Promise<PublishReceipt[]>;
  /**
   * Starts delivering messages of `topic` to `handler`. Resolves once the subscription is live: messages
   * published after it resolves are delivered (and earlier ones too where the group starts from `earliest` on a
   * transport that keeps them).
   */
  subscribe(
    topic: string,
    handler: DeliveryHandler,
    options?: TransportSubscribeOptions,
  ): Promise<Subscription>;
  /**
   * Drains every subscription (see {@link Subscription.close}), flushes pending publishes, then disconnects
   * connections the transport created itself (never a client the user passed in). Idempotent. Afterwards
   * `publish` and `subscribe` reject with `SWB_TRANSPORT_CLOSED`.
   */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Current health. Never throws. */
  health(): Promise<TransportHealth>;
}

/** A request handler on a transport with native request/reply. */
export type WireResponder = (request: WireMessage, signal: AbortSignal) => Promise<WireMessage>;

/**
 * Native request/reply (NATS). Transports without it get request/reply from the bus over a reply topic.
 */
export interface RequestReplyTransport {
  /**
   * Sends a request and resolves with the first reply. Rejects with `SWB_REQUEST_TIMEOUT` after `timeoutMs`, or
   * `SWB_NO_HANDLER` when the broker knows no responder listens.
   */
  request(
    topic: string,
    message: WireMessage,
    options: { timeoutMs: number; signal?: AbortSignal | undefined },
  ): Promise<WireMessage>;
  /** Answers requests on `topic`; responders in the same `group` share the load. */
  respond(
    topic: string,
    responder: WireResponder,
    options?: { group?: string | undefined },
  ): Promise<Subscription>;
}

/** Topic settings a transport can provision; each backend documents which it honours. */
export interface TopicConfig {
  readonly partitions?: number;
  readonly retentionMs?: number;
  readonly compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  readonly cleanupPolicy?: 'delete' | 'compact';
  /** Backend-specific settings, passed through as they are. */
  readonly extra?: Readonly<Record<string, string | number | boolean>>;
}

/** Transports that can create topics (Kafka topics, JetStream streams). */
export interface TopicProvisioning {
  /** Creates `topic` when missing; leaves an existing one as it is. Idempotent. */
  ensureTopic(topic: string, config?: TopicConfig): Promise<void>;
}

/**
 * Narrows a transport to one with native request/reply.
 *
 * @example
 * ```ts
 * import { hasRequestReply, toWireMessage } from 'switchboard';
 *
 * if (hasRequestReply(transport)) {
 *   const wire = toWireMessage(envelope, { style: 'nats' });
 *   const reply = await transport.request('task.create.v1', wire, { timeoutMs: 2_000 });
 * }
 * ```
 */
export function hasRequestReply(transport: Transport): transport is Transport & RequestReplyTransport {
  const candidate = transport as Partial<RequestReplyTransport>;
  return typeof candidate.request === 'function' && typeof candidate.respond === 'function';
}

/**
 * Narrows a transport to one that can provision topics.
 *
 * @example
 * ```ts
 * import { hasTopicProvisioning } from 'switchboard';
 *
 * if (hasTopicProvisioning(transport)) {
 *   await transport.ensureTopic('task-events', { partitions: 6, retentionMs: 7 * 86_400_000 });
 * }
 * ```
 */
export function hasTopicProvisioning(transport: Transport): transport is Transport & TopicProvisioning {
  return typeof (transport as Partial<TopicProvisioning>).ensureTopic === 'function';
}
