/**
 * The NATS transport: core NATS or JetStream behind the Switchboard {@link Transport} contract, with native
 * request/reply and stream provisioning.
 *
 * @module
 */
import {
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import { connect, type Msg, type MsgHdrs, type NatsConnection, nuid } from '@nats-io/transport-node';
import { EventEmitter } from 'eventemitter3';
import type { WireMessage } from '../../envelope/types.js';
import { isSwitchboardError, SwitchboardError } from '../../errors.js';
import type {
  DeliveryHandler,
  PublishOptions,
  PublishReceipt,
  RequestReplyTransport,
  Subscription,
  TopicConfig,
  TopicProvisioning,
  Transport,
  TransportEventMap,
  TransportFeatures,
  TransportHealth,
  TransportSubscribeOptions,
  WireResponder,
} from '../../transport/types.js';
import { raceAbort } from '../abortable.js';
import type { BaseSubscription } from './base-subscription.js';
import { CoreSubscription } from './core-subscription.js';
import { isClosedConnection, isNoResponders, isNotFound, isTimeout, wrapNatsError } from './errors.js';
import { encodeNatsHeaders, toNatsHeaders, wireHeadersOf } from './headers.js';
import { JetStreamSubscription } from './jetstream-subscription.js';
import {
  connectionOptionsOf,
  type NatsMode,
  type NatsTransportOptions,
  type ResolvedNatsSettings,
  resolveSettings,
} from './options.js';
import { streamConfig, streamSettings } from './provisioning.js';
import { Requester } from './requester.js';
import { ERROR_CODE_HEADER, ResponderSubscription } from './responder.js';
import { assertTopic, defaultStreamName, messageSubject, safeName, topicFilter } from './subjects.js';

const MS_TO_NS = 1_000_000;

/**
 * Features of each mode (`restartable` is a property of the test harness, so it is `false` here).
 *
 * Core mode is at-most-once: nothing is stored, a `nack` redelivers from a local timer to the same subscription
 * only, and a subscriber sees only what is published while it listens. JetStream mode is at-least-once with
 * broker-side delayed redelivery (`nak` with delay).
 *
 * @example
 * ```ts
 * if (!NATS_FEATURES.core.persistent) console.log('core NATS keeps nothing: use JetStream for durable topics');
 * ```
 */
export const NATS_FEATURES: Readonly<Record<NatsMode, TransportFeatures>> = {
  core: {
    consumerGroups: true,
    persistent: false,
    guaranteedOrder: true,
    exactlyOnceDelivery: false,
    newSubscriberReceivesOldMessages: false,
    restartable: false,
    nativeDelayedRedelivery: false,
  },
  jetstream: {
    consumerGroups: true,
    persistent: true,
    guaranteedOrder: true,
    exactlyOnceDelivery: false,
    newSubscriberReceivesOldMessages: true,
    restartable: false,
    nativeDelayedRedelivery: true,
  },
};

type AnySubscription = BaseSubscription<unknown> | ResponderSubscription;

/** Core publishes that share one PING/PONG round trip. */
class FlushBatch {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;
  /** Rejected by its timeout: the next batch was sent without waiting for this PONG. */
  timedOut = false;

  constructor(readonly topic: string) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

function abortError(what: string): SwitchboardError {
  return new SwitchboardError('SWB_ABORTED', `${what} aborted`);
}

/** Races `promise` with `signal`; rejects with `SWB_ABORTED` when it aborts first. */
function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  return raceAbort(promise, signal, () => abortError(what));
}

/**
 * A {@link Transport} over NATS, with native request/reply and stream provisioning; made by
 * {@link natsTransport}, which documents the options.
 *
 * @example
 * ```ts
 * const transport: NatsTransport = natsTransport({ servers: 'nats://127.0.0.1:4222', mode: 'core' });
 * const reply = await transport.request('fraud.check', { headers: {}, body }, { timeoutMs: 250 });
 * ```
 */
export class NatsTransport implements Transport, RequestReplyTransport, TopicProvisioning {
  readonly system = 'nats';
  readonly features: TransportFeatures;
  readonly events = new EventEmitter<TransportEventMap>();
  /** The mode this transport runs in. */
  readonly mode: NatsMode;
  private readonly settings: ResolvedNatsSettings;
  private readonly given: NatsConnection | undefined;
  private readonly connectOptions: ReturnType<typeof connectionOptionsOf>;
  private nc: NatsConnection | undefined;
  /** Sends requests on {@link nc} (made on the first request). */
  private requester: Requester | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private connecting: Promise<NatsConnection> | undefined;
  private isUp = false;
  private closed = false;
  private closePromise: Promise<void> | undefined;
  private readonly subscriptions = new Set<AnySubscription>();
  private readonly jetStreamSubscriptions = new Set<JetStreamSubscription>();
  private readonly ensured = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Publishes waiting for the next PING (see {@link coreFlush}). */
  private nextFlush: FlushBatch | undefined;
  /** Whether a PING is outstanding or about to be sent. */
  private flushing = false;
  private readonly validTopics = new Set<string>();

  constructor(options: NatsTransportOptions) {
    this.settings = resolveSettings(options);
    this.mode = this.settings.mode;
    this.features = NATS_FEATURES[this.mode];
    this.given = options.connection;
    this.connectOptions = connectionOptionsOf(options);
  }

  private emitError(error: unknown, context: string): void {
    this.events.emit('error', { error, context });
  }

  private assertOpen(): void {
    if (this.closed) throw new SwitchboardError('SWB_TRANSPORT_CLOSED', 'NATS transport is closed');
  }

  connect(): Promise<void> {
    return this.connection().then(() => undefined);
  }

  private connection(): Promise<NatsConnection> {
    if (this.nc !== undefined) return Promise.resolve(this.nc);
    // Work accepted before close() may still finish on a connection being opened; nothing new opens one.
    if (this.closed && this.connecting === undefined) {
      return Promise.reject(new SwitchboardError('SWB_TRANSPORT_CLOSED', 'NATS transport is closed'));
    }
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  private async open(): Promise<NatsConnection> {
    let nc: NatsConnection;
    if (this.given !== undefined) {
      nc = this.given;
      if (nc.isClosed()) {
        throw new SwitchboardError('SWB_TRANSPORT_UNAVAILABLE', 'the NATS connection given is closed');
      }
    } else {
      try {
        // noAsyncTraces: nats.js otherwise builds an Error (a captured stack) up front for every request, about
        // a sixth of a request's CPU, only to enrich a timeout's stack; our errors carry their own context.
        nc = await connect({ maxReconnectAttempts: -1, noAsyncTraces: true, ...this.connectOptions });
      } catch (error) {
        throw new SwitchboardError('SWB_TRANSPORT_UNAVAILABLE', 'cannot connect to NATS', {
          retryable: true,
          cause: error,
        });
      }
    }
    if (this.mode === 'jetstream') {
      this.js = jetstream(nc, { timeout: this.settings.publishTimeoutMs });
      this.jsm = await jetstreamManager(nc, { checkAPI: false, timeout: this.settings.publishTimeoutMs });
    }
    this.nc = nc;
    this.isUp = true;
    void this.watch(nc);
    this.events.emit('connected');
    return nc;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    let attempt = 0;
    void nc.closed().then(() => {
      this.isUp = false;
    });
    try {
      for await (const status of nc.status()) {
        switch (status.type) {
          case 'disconnect':
            this.isUp = false;
            this.events.emit('disconnected', { reason: `lost ${status.server}` });
            break;
          case 'reconnecting':
            this.events.emit('reconnecting', { attempt: ++attempt });
            break;
          case 'reconnect':
            attempt = 0;
            this.isUp = true;
            this.events.emit('connected');
            for (const sub of this.jetStreamSubscriptions) sub.reconnected();
            break;
          case 'error':
            this.emitError(status.error, 'nats connection');
            break;
          case 'close':
            this.isUp = false;
            break;
          default:
            break;
        }
      }
    } catch (error) {
      this.emitError(error, 'nats status');
    }
  }

  private connected(): boolean {
    return this.isUp && this.nc !== undefined && !this.nc.isClosed();
  }

  private streamNameOf(topic: string): string {
    return this.settings.streamName?.(topic) ?? defaultStreamName(this.settings.streamPrefix, topic);
  }

  /**
   * Creates the topic's stream when missing (JetStream mode; core mode has nothing to provision). An existing
   * stream keeps its settings; the topic's subjects are added to it when it does not hold them yet.
   */
  async ensureTopic(topic: string, config?: TopicConfig): Promise<void> {
    this.assertOpen();
    assertTopic(topic);
    return this.provisioned(topic, config);
  }

  /** {@link ensureTopic} without the closed check, for work accepted before close(). */
  private provisioned(topic: string, config?: TopicConfig): Promise<void> {
    if (this.mode === 'core') return Promise.resolve();
    let pending = this.ensured.get(topic);
    if (pending === undefined) {
      pending = this.provision(topic, config).catch((error: unknown) => {
        this.ensured.delete(topic);
        throw error;
      });
      this.ensured.set(topic, pending);
    }
    return pending;
  }

  private async provision(topic: string, config: TopicConfig | undefined): Promise<void> {
    await this.connection();
    const jsm = this.jsm as JetStreamManager;
    const name = this.streamNameOf(topic);
    const subject = topicFilter(this.settings.subjectPrefix, topic);
    for (let attempt = 0; ; attempt++) {
      try {
        try {
          const info = await jsm.streams.info(name);
          const subjects = info.config.subjects ?? [];
          if (!subjects.includes(subject))
            await jsm.streams.update(name, { subjects: [...subjects, subject] });
          return;
        } catch (error) {
          if (!isNotFound(error, 'stream')) throw error;
        }
        await jsm.streams.add(
          streamConfig(name, [subject], streamSettings(this.settings.streamDefaults, config)),
        );
        return;
      } catch (error) {
        // Another process may have created it between our info and add: look again once.
        if (attempt < 1 && !isSwitchboardError(error) && !isClosedConnection(error)) continue;
        throw wrapNatsError(error, 'SWB_TRANSPORT_UNAVAILABLE', 'cannot provision the JetStream stream', {
          topic,
          stream: name,
        });
      }
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const forget = (): void => {
      this.inFlight.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  publish(topic: string, message: WireMessage, options: PublishOptions = {}): Promise<PublishReceipt> {
    try {
      this.assertOpen();
      this.checkTopic(topic);
      if (this.mode === 'core' && this.nc !== undefined && options.signal === undefined) {
        // Hot path: send now and share the tick's flush (itself tracked for close()).
        this.sendCore(this.nc, topic, message);
        return this.coreFlush(this.nc, topic).then(() => ({ topic }));
      }
    } catch (error) {
      return Promise.reject(error);
    }
    // Tracked from the first moment, so close() waits for every publish it was called after.
    return this.track(this.publishOne(topic, message, options));
  }

  /** {@link assertTopic}, remembering topics already checked. */
  private checkTopic(topic: string): void {
    if (this.validTopics.has(topic)) return;
    assertTopic(topic);
    if (this.validTopics.size < 10_000) this.validTopics.add(topic);
  }

  private async publishOne(
    topic: string,
    message: WireMessage,
    options: PublishOptions,
  ): Promise<PublishReceipt> {
    const nc = await this.connection();
    if (this.mode === 'core') {
      this.sendCore(nc, topic, message);
      await withSignal(this.coreFlush(nc, topic), options.signal, 'publish');
      return { topic };
    }
    if (this.settings.autoProvision) await this.provisioned(topic);
    const ack = await withSignal(
      this.sendJetStream(topic, message, options.messageId),
      options.signal,
      'publish',
    );
    return { topic, sequence: ack.seq, ...(ack.duplicate ? { duplicate: true } : {}) };
  }

  publishBatch(
    topic: string,
    messages: readonly WireMessage[],
    options: PublishOptions = {},
  ): Promise<PublishReceipt[]> {
    try {
      this.assertOpen();
      this.checkTopic(topic);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.track(this.publishMany(topic, messages, options));
  }

  private async publishMany(
    topic: string,
    messages: readonly WireMessage[],
    options: PublishOptions,
  ): Promise<PublishReceipt[]> {
    const nc = await this.connection();
    if (messages.length === 0) return [];
    if (this.mode === 'core') {
      for (const message of messages) this.sendCore(nc, topic, message);
      await withSignal(this.coreFlush(nc, topic), options.signal, 'publish');
      return messages.map(() => ({ topic }));
    }
    if (this.settings.autoProvision) await this.provisioned(topic);
    const receipts = new Array<PublishReceipt>(messages.length);
    let next = 0;
    // A window of publishes in flight: sends go out in input order (so per-key order holds) without waiting
    // for each acknowledgement in turn.
    const worker = async (): Promise<void> => {
      while (next < messages.length) {
        const index = next++;
        const ack = await this.sendJetStream(topic, messages[index] as WireMessage, undefined);
        receipts[index] = { topic, sequence: ack.seq, ...(ack.duplicate ? { duplicate: true } : {}) };
      }
    };
    const workers = Array.from({ length: Math.min(this.settings.publishWindow, messages.length) }, worker);
    await withSignal(Promise.all(workers), options.signal, 'publish');
    return receipts;
  }

  private sendCore(nc: NatsConnection, topic: string, message: WireMessage): void {
    const subject = messageSubject(this.settings.subjectPrefix, topic, message.key);
    const hdrs = encodeNatsHeaders(message.headers);
    try {
      nc.publish(subject, message.body, hdrs === undefined ? undefined : { headers: hdrs });
    } catch (error) {
      if (error instanceof Error && error.message.includes('max_payload')) {
        throw new SwitchboardError('SWB_MESSAGE_TOO_LARGE', 'message larger than the server max_payload', {
          cause: error,
          details: { topic, size: message.body.byteLength },
        });
      }
      throw wrapNatsError(error, 'SWB_PUBLISH_FAILED', 'core NATS publish failed', { topic });
    }
  }

  /**
   * Resolves once the server has processed everything sent so far: a PING/PONG round trip, shared by every
   * publish made before the PING goes out. At most one PING is outstanding: publishes made while one is on its
   * way share the next, sent when its PONG arrives, so a busy publisher costs the server one PING per round trip
   * rather than one per tick. Rejects when the connection dropped before the PONG: nats.js discards its outgoing
   * buffer on a disconnect, so those publishes were lost and must be reported, not assumed sent.
   */
  private coreFlush(nc: NatsConnection, topic: string): Promise<void> {
    let batch = this.nextFlush;
    if (batch === undefined) {
      batch = new FlushBatch(topic);
      this.nextFlush = batch;
      this.track(batch.promise).catch(() => undefined);
      if (!this.flushing) {
        this.flushing = true;
        // After this tick's publishes, so they share the PING.
        queueMicrotask(() => this.sendFlush(nc));
      }
    }
    return batch.promise;
  }

  /** Sends the PING of the waiting batch; when its PONG arrives, sends the next batch's if one is waiting. */
  private sendFlush(nc: NatsConnection): void {
    const batch = this.nextFlush;
    this.nextFlush = undefined;
    if (batch === undefined) {
      this.flushing = false;
      return;
    }
    const timeoutMs = this.settings.publishTimeoutMs;
    const timer = setTimeout(() => {
      batch.timedOut = true;
      batch.reject(
        new SwitchboardError('SWB_PUBLISH_FAILED', 'core NATS publish not confirmed in time', {
          retryable: true,
          details: { topic: batch.topic, timeoutMs },
        }),
      );
      // A PONG that never came must not hold back the publishes waiting behind it.
      this.sendFlush(nc);
    }, timeoutMs);
    nc.flush().then(
      () => {
        clearTimeout(timer);
        batch.resolve();
        if (!batch.timedOut) this.sendFlush(nc);
      },
      (error: unknown) => {
        clearTimeout(timer);
        batch.reject(
          wrapNatsError(error, 'SWB_PUBLISH_FAILED', 'core NATS publish lost: connection dropped', {
            topic: batch.topic,
          }),
        );
        if (!batch.timedOut) this.sendFlush(nc);
      },
    );
  }

  private async sendJetStream(
    topic: string,
    message: WireMessage,
    messageId: string | undefined,
  ): Promise<PubAck> {
    const subject = messageSubject(this.settings.subjectPrefix, topic, message.key);
    const send = (): Promise<PubAck> => {
      const hdrs: MsgHdrs | undefined = toNatsHeaders(message.headers);
      return (this.js as JetStreamClient).publish(subject, message.body, {
        ...(hdrs === undefined ? {} : { headers: hdrs }),
        ...(messageId === undefined ? {} : { msgID: messageId }),
        timeout: this.settings.publishTimeoutMs,
      });
    };
    try {
      return await send();
    } catch (error) {
      if (isNoResponders(error) && this.settings.autoProvision && !this.closed) {
        // The stream went away (or never was): provision it and try once more.
        this.ensured.delete(topic);
        await this.provisioned(topic);
        try {
          return await send();
        } catch (retryError) {
          throw this.publishError(retryError, topic);
        }
      }
      throw this.publishError(error, topic);
    }
  }

  private publishError(error: unknown, topic: string): SwitchboardError {
    if (isSwitchboardError(error)) return error;
    if (isNoResponders(error)) {
      return new SwitchboardError('SWB_PUBLISH_FAILED', 'no JetStream stream holds this topic', {
        retryable: false,
        cause: error,
        details: { topic, stream: this.streamNameOf(topic) },
      });
    }
    if (isTimeout(error)) {
      return new SwitchboardError('SWB_PUBLISH_FAILED', 'JetStream did not acknowledge the publish in time', {
        retryable: true,
        cause: error,
        details: { topic, timeoutMs: this.settings.publishTimeoutMs },
      });
    }
    return wrapNatsError(error, 'SWB_PUBLISH_FAILED', 'JetStream publish failed', { topic });
  }

  async subscribe(
    topic: string,
    handler: DeliveryHandler,
    options: TransportSubscribeOptions = {},
  ): Promise<Subscription> {
    this.assertOpen();
    assertTopic(topic);
    if (options.signal?.aborted) throw abortError('subscribe');
    const nc = await this.connection();
    const common = {
      topic,
      group: options.group,
      handler,
      concurrency: options.concurrency ?? 1,
      ordered: options.ordered ?? true,
      onError: (error: unknown, context: string) => this.emitError(error, context),
    };
    let subscription: CoreSubscription | JetStreamSubscription;
    if (this.mode === 'core') {
      subscription = new CoreSubscription({
        ...common,
        connection: nc,
        subject: topicFilter(this.settings.subjectPrefix, topic),
        maxQueued: this.settings.coreMaxQueued,
      });
    } else {
      subscription = await this.subscribeJetStream(nc, topic, common, options);
      this.jetStreamSubscriptions.add(subscription);
    }
    if (this.closed) {
      // close() ran while this subscription was being made: it must not outlive the transport.
      await subscription.close();
      throw new SwitchboardError('SWB_TRANSPORT_CLOSED', 'NATS transport closed while subscribing');
    }
    this.register(subscription as AnySubscription, options.signal);
    return subscription;
  }

  private async subscribeJetStream(
    nc: NatsConnection,
    topic: string,
    common: ConstructorParameters<typeof CoreSubscription>[0] extends infer O
      ? Omit<O, 'connection' | 'subject' | 'maxQueued'>
      : never,
    options: TransportSubscribeOptions,
  ): Promise<JetStreamSubscription> {
    if (this.settings.autoProvision) await this.provisioned(topic);
    const group = options.group;
    const consumer = group === undefined ? `swb_${nuid.next()}` : safeName(group, 'g_');
    const startFrom = options.startFrom ?? (group === undefined ? 'latest' : 'earliest');
    const s = this.settings;
    const config: Partial<ConsumerConfig> = {
      durable_name: consumer,
      ack_policy: 'explicit',
      ack_wait: s.ackWaitMs * MS_TO_NS,
      max_ack_pending: s.maxAckPending,
      // The bus dead-letters after maxDeliveries; the server's own limit sits above it so the bus sees the last one.
      max_deliver: options.maxDeliveries === undefined ? -1 : options.maxDeliveries + 1,
      filter_subject: topicFilter(s.subjectPrefix, topic),
      deliver_policy: startFrom === 'earliest' ? 'all' : 'new',
      ...(group === undefined ? { inactive_threshold: s.privateConsumerInactiveMs * MS_TO_NS } : {}),
    } as Partial<ConsumerConfig>;
    const subscription = await JetStreamSubscription.start({
      ...common,
      connection: nc,
      manager: this.jsm as JetStreamManager,
      stream: this.streamNameOf(topic),
      consumer,
      config,
      deleteOnClose: group === undefined,
      prefetch: s.prefetch ?? common.concurrency,
      ackWaitMs: s.ackWaitMs,
      pullExpiresMs: s.pullExpiresMs,
      idleHeartbeatMs: s.idleHeartbeatMs,
      ensureStream: () => {
        this.ensured.delete(topic);
        return this.provisioned(topic);
      },
      isConnected: () => this.connected(),
      events: {
        deleted: () => this.events.emit('consumer.deleted', { topic, group }),
        restarted: (reason) => this.events.emit('consumer.restarted', { topic, group, reason }),
      },
    }).catch((error: unknown) => {
      throw wrapNatsError(error, 'SWB_SUBSCRIBE_FAILED', 'cannot create the JetStream consumer', {
        topic,
        group,
      });
    });
    return subscription;
  }

  private register(subscription: AnySubscription, signal: AbortSignal | undefined): void {
    this.subscriptions.add(subscription);
    const close = subscription.close.bind(subscription);
    const onAbort = (): void => {
      void subscription.close();
    };
    subscription.close = (options?: { graceMs?: number }) =>
      close(options).finally(() => {
        signal?.removeEventListener('abort', onAbort);
        this.subscriptions.delete(subscription);
        if (subscription instanceof JetStreamSubscription) this.jetStreamSubscriptions.delete(subscription);
      });
    signal?.addEventListener('abort', onAbort, { once: true });
  }

  async request(
    topic: string,
    message: WireMessage,
    options: { timeoutMs: number; signal?: AbortSignal | undefined },
  ): Promise<WireMessage> {
    this.assertOpen();
    assertTopic(topic);
    const nc = await this.connection();
    const subject = messageSubject(this.settings.requestPrefix, topic, message.key);
    const hdrs = encodeNatsHeaders(message.headers);
    let reply: Msg;
    try {
      this.requester ??= new Requester(nc);
      reply = await withSignal(
        this.track(
          this.requester.request(subject, topic, message.body, hdrs, Math.max(1, options.timeoutMs)),
        ),
        options.signal,
        'request',
      );
    } catch (error) {
      if (isSwitchboardError(error)) throw error;
      if (isNoResponders(error)) {
        throw new SwitchboardError('SWB_NO_HANDLER', 'no responder listens on this topic', {
          retryable: true,
          cause: error,
          details: { topic },
        });
      }
      if (isTimeout(error)) {
        throw new SwitchboardError('SWB_REQUEST_TIMEOUT', 'no reply in time', {
          retryable: true,
          cause: error,
          details: { topic, timeoutMs: options.timeoutMs },
        });
      }
      throw wrapNatsError(error, 'SWB_TRANSPORT_UNAVAILABLE', 'NATS request failed', { topic });
    }
    // Read once from the raw header block: reply.headers would build nats.js's MsgHdrs just for this lookup.
    const headers = wireHeadersOf(reply);
    const remoteCode = Object.hasOwn(headers, ERROR_CODE_HEADER) ? headers[ERROR_CODE_HEADER] : undefined;
    if (remoteCode !== undefined && remoteCode !== '') {
      throw new SwitchboardError('SWB_REMOTE_ERROR', 'the responder failed', {
        details: { topic, remoteCode },
      });
    }
    return { headers, body: reply.data };
  }

  async respond(
    topic: string,
    responder: WireResponder,
    options: { group?: string | undefined } = {},
  ): Promise<Subscription> {
    this.assertOpen();
    assertTopic(topic);
    const nc = await this.connection();
    const subscription = new ResponderSubscription({
      connection: nc,
      topic,
      subject: topicFilter(this.settings.requestPrefix, topic),
      group: options.group,
      responder,
      onError: (error, context) => this.emitError(error, context),
    });
    this.register(subscription, undefined);
    // The subscription is live once the server has seen it.
    await nc.flush().catch(() => undefined);
    return subscription;
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    this.closePromise ??= this.shutdown(options.graceMs ?? 0);
    return this.closePromise;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    await Promise.all([...this.subscriptions].map((s) => s.close({ graceMs })));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const nc = this.nc;
    if (nc === undefined || nc.isClosed()) return;
    if (this.given === undefined) {
      try {
        await nc.close();
      } catch (error) {
        this.emitError(error, 'closing the NATS connection');
      }
      this.isUp = false;
      this.events.emit('disconnected', { reason: 'closed' });
    } else {
      await nc.flush().catch(() => undefined);
    }
  }

  async health(): Promise<TransportHealth> {
    try {
      if (this.closed) return { status: 'down', connected: false, detail: 'transport closed' };
      if (this.nc === undefined) return { status: 'down', connected: false, detail: 'not connected yet' };
      const connected = this.connected();
      if (!connected) return { status: 'down', connected: false, detail: 'disconnected from NATS' };
      const lag: Record<string, number> = {};
      let failures = 0;
      await Promise.all(
        [...this.jetStreamSubscriptions].map(async (sub) => {
          try {
            const timeout = new Promise<never>((_, reject) =>
              setTimeout(() => reject(new Error('timeout')), 2000),
            );
            lag[`${sub.topic}/${sub.group ?? sub.consumerName}`] = await Promise.race([
              sub.pending(),
              timeout,
            ]);
          } catch {
            failures++;
          }
        }),
      );
      return {
        status: failures > 0 ? 'degraded' : 'up',
        connected: true,
        ...(this.mode === 'jetstream' ? { lag } : {}),
        detail: failures > 0 ? `consumer info failed for ${failures} subscription(s)` : `${this.mode} mode`,
      };
    } catch {
      return { status: 'down', connected: false, detail: 'health check failed' };
    }
  }
}

/**
 * Creates a NATS transport.
 *
 * Pass `{ connection }` to use a connection you own (the transport never closes it), or nats.js connection
 * options (`{ servers: 'nats://127.0.0.1:4222' }`) to let the transport connect and close on `close()`. A
 * connection the transport opens reconnects forever (`maxReconnectAttempts: -1`) and skips nats.js's async stack
 * capture per request (`noAsyncTraces: true`); pass either option to change it.
 *
 * Subjects: a topic `orders` maps to `orders.<key-token>` (see `subjects.ts` for the key encoding); requests go
 * to `rpc.orders.<key-token>`. JetStream mode keeps each topic in a stream (`SWB_orders` by default) created on
 * first use, and each consumer group is a durable pull consumer named after the group.
 *
 * @example
 * ```ts
 * import { natsTransport } from 'switchboard/nats';
 *
 * const transport = natsTransport({ servers: 'nats://127.0.0.1:4222', mode: 'jetstream' });
 * await transport.ensureTopic('task-events', { retentionMs: 7 * 24 * 3600_000 });
 * await transport.publish('task-events', { key: 'task-42', headers: { 'ce-id': '1' }, body: new Uint8Array() });
 * const sub = await transport.subscribe('task-events', async (d) => d.ack(), { group: 'notifier' });
 * await sub.close({ graceMs: 5000 });
 * await transport.close();
 * ```
 */
export function natsTransport(options: NatsTransportOptions): NatsTransport {
  return new NatsTransport(options);
}
