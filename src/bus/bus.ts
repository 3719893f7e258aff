/**
 * The bus: publish, subscribe, request/reply, dead-letter replay, drain, health and topology over one transport.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { createEnvelope, createEnvelopeSerializer, type EnvelopeInput } from '../envelope/index.js';
import type { Envelope, WireMessage } from '../envelope/types.js';
import { SwitchboardError, toSwitchboardError } from '../errors.js';
import { idempotencyKey } from '../idempotency/index.js';
import type { IdempotencyStore } from '../idempotency/types.js';
import { type BreakerLike, breakerHealth, isBreakerLike } from '../observability/health.js';
import { BusInstrumentation } from '../observability/instrumentation.js';
import { logBusEvents } from '../observability/logger.js';
import type { SendOperation } from '../observability/send-operation.js';
import { compose, type RetryOptions, retry, timeout } from '../resilience/index.js';
import { type BusSecurity, busSecurity } from '../security/bus-stage.js';
import {
  type Delivery,
  hasRequestReply,
  type PublishReceipt,
  type Subscription,
  type Transport,
  type TransportHealth,
} from '../transport/types.js';
import { Consumer, type ConsumerHost, type HandlerEntry, isPermanentError } from './consumer.js';
import { DEAD_LETTER_HEADERS, defaultDeadLetterTopic, stripDeadLetterHeaders } from './dead-letter.js';
import { type EnvelopeCodec, localCodec } from './local-codec.js';
import {
  fromRemoteError,
  isErrorReply,
  PendingRequests,
  REPLY_STATUS_EXTENSION,
  REPLY_TO_EXTENSION,
  toRemoteError,
} from './request-reply.js';
import { type Topology, TopologyRecorder } from './topology.js';
import type {
  AnyPolicy,
  BusEventMap,
  BusOptions,
  BusSubscription,
  Handler,
  Logger,
  MessageMap,
  PublishOptions,
  PublishResult,
  RequestOptions,
  Responder,
  RespondOptions,
  SubscribeOptions,
} from './types.js';

const DEFAULT_MAX_DELIVERIES = 5;
/** The largest delay a timer takes (about 24.8 days); a message deadline bounds it in practice. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const EMPTY_OPTIONS: PublishOptions = Object.freeze({});
const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_TTL_MS = 7 * 24 * 3600_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/**
 * The in-process retry of a subscription: a policy as given, or one built from retry options that retries every
 * error except permanent ones (a handler's plain `Error` is presumed transient here, as in the broker stage).
 */
function retryPolicyOf(option: SubscribeOptions['retry']): AnyPolicy | undefined {
  if (option === undefined || option === false) return undefined;
  if (typeof (option as AnyPolicy).execute === 'function') return option as AnyPolicy;
  return retry({ shouldRetry: (error) => !isPermanentError(error), ...(option as RetryOptions) });
}

/**
 * Default broker redelivery delay: 1 s doubling per attempt, at most 30 s.
 *
 * @example
 * ```ts
 * import { defaultRedeliveryDelay } from 'switchboard';
 *
 * defaultRedeliveryDelay(1); // 1000, then 2000, 4000, ... and 30_000 from the 6th attempt on
 * // the default schedule, but never sooner than 5 s (an SMTP relay that needs a breather)
 * await bus.subscribe('reminder.due.v1', sendReminder, {
 *   redeliveryDelay: (attempt) => Math.max(5_000, defaultRedeliveryDelay(attempt)),
 * });
 * ```
 */
export function defaultRedeliveryDelay(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

/** The health report of a bus, in the shape of seed 002's `/health`. */
export interface BusHealth {
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly timestamp: string;
  readonly version: string;
  readonly dependencies: Readonly<Record<string, { readonly status: string; readonly [k: string]: unknown }>>;
}

/** Options for {@link Bus.replayDeadLetters}. */
export interface ReplayOptions {
  /** The dead-letter topic to read. */
  readonly from: string;
  /** Where to send the messages. Default: each message's original topic (its `dlq-original-topic` header). */
  readonly to?: string;
  /**
   * Replays only the messages this returns `true` for. The others (and those past `limit`) are given back to the
   * dead-letter topic's replay group with a 60 s delay, so this replay does not see them again; on a broker that
   * counts deliveries, each pass that skips a message counts as one delivery of it.
   */
  readonly filter?: (message: WireMessage) => boolean;
  /** Stops after this many messages. Default: unlimited. */
  readonly limit?: number;
  /** Stops when no message arrived for this long. Default 1000 ms. */
  readonly idleMs?: number;
  /** Consumer group reading the dead letters. Default `<source>.replay`. */
  readonly group?: string;
}

interface ConsumerSlot {
  readonly consumer: Consumer;
  subscription: Subscription | undefined;
  ready: Promise<Subscription>;
}

/**
 * A message bus over one transport. Create it with {@link createBus}.
 *
 * @typeParam M - message map from type to payload, for type-checked publish and subscribe.
 * @example
 * ```ts
 * import { type Bus, createBus, memoryTransport } from 'switchboard';
 *
 * type TaskEvents = { 'task.completed.v1': { taskId: string } };
 * const bus: Bus<TaskEvents> = createBus<TaskEvents>({ transport: memoryTransport(), source: 'task-service' });
 * bus.events.on('dead-lettered', ({ topic, deadLetterTopic, reason }) => console.warn(topic, deadLetterTopic, reason));
 * await bus.publish('task.completed.v1', { taskId: 't-1' });
 * await bus.close({ graceMs: 5_000 });
 * ```
 */
export class Bus<M extends object = MessageMap> {
  /** Typed lifecycle events: `published`, `handled`, `failed`, `redelivery`, `dead-lettered`, `duplicate`, ... */
  readonly events = new EventEmitter<BusEventMap>();
  readonly transport: Transport;
  readonly source: string;
  readonly #options: BusOptions;
  readonly #codec: EnvelopeCodec;
  readonly #security: BusSecurity | undefined;
  readonly #consumers = new Map<string, ConsumerSlot>();
  readonly #published = new Map<string, string>();
  readonly #topology: TopologyRecorder;
  readonly #pending = new PendingRequests();
  readonly #host: ConsumerHost;
  readonly #instance = Math.random().toString(36).slice(2, 10);
  #replySubscription: Promise<Subscription> | undefined;
  readonly #respondSubscriptions: Subscription[] = [];
  #state: 'open' | 'closing' | 'closed' = 'open';
  #closed: Promise<void> | undefined;
  readonly #telemetry: BusInstrumentation | undefined;
  readonly #breakers = new Map<string, BreakerLike>();

  constructor(options: BusOptions) {
    if (typeof options.source !== 'string' || options.source.length === 0) {
      throw new SwitchboardError(
        'SWB_CONFIG_INVALID',
        'createBus: `source` must be a non-empty service name',
        {
          details: { path: 'source' },
        },
      );
    }
    this.#options = options;
    this.transport = options.transport;
    this.source = options.source;
    const serializer = createEnvelopeSerializer({
      style: options.transport.system === 'kafka' ? 'kafka' : 'nats',
      ...(options.contentMode === undefined ? {} : { mode: options.contentMode }),
      ...(options.registry === undefined ? {} : { registry: options.registry }),
      ...(options.defaultCodec === undefined ? {} : { defaultCodec: options.defaultCodec }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.readerVersions === undefined ? {} : { readerVersions: options.readerVersions }),
    });
    // Security needs real bytes to sign, encrypt and check, so it turns the by-reference fast path off.
    this.#security =
      options.security === undefined
        ? undefined
        : busSecurity(serializer, options.security, (error, context) =>
            this.events.emit('error', { error, context }),
          );
    const passByReference =
      options.transport.system === 'memory' &&
      (options.serialization ?? 'auto') === 'auto' &&
      this.#security === undefined;
    this.#codec = this.#security?.codec ?? (passByReference ? localCodec(serializer) : serializer);
    this.#topology = new TopologyRecorder(options.source, options.transport.system);
    const events = this.events;
    for (const [name, breaker] of Object.entries(options.breakers ?? {})) this.#breakers.set(name, breaker);
    this.#telemetry =
      options.telemetry === false
        ? undefined
        : new BusInstrumentation(
            {
              system: options.transport.system,
              events,
              lag: async () => (await this.transport.health()).lag,
              breakers: () => this.#breakers,
            },
            options.telemetry,
          );
    if (options.logger !== undefined) logBusEvents(this, options.logger);
    this.#security?.listen(events);
    this.#host = {
      codec: this.#codec,
      events,
      logger: options.logger,
      telemetry: this.#telemetry,
      sendDeadLetter: async (topic, message) => {
        await this.transport.publish(topic, message);
      },
      publishCaused: (cause, type, data, publishOptions) =>
        this.#publish(type, data, {
          correlationId: cause.correlationid ?? cause.id,
          causationId: cause.id,
          ...publishOptions,
        }),
    };
  }

  /** The logger given in the options, if any. */
  get logger(): Logger | undefined {
    return this.#options.logger;
  }

  /** The topic a message type is published to. */
  topicFor(type: string): string {
    const routes = this.#options.routes;
    if (routes === undefined) return type;
    if (typeof routes === 'function') return routes(type);
    return routes[type] ?? type;
  }

  /**
   * Publishes one message.
   *
   * @example
   * ```ts
   * await bus.publish('task.completed.v1', { taskId: 't-1' }, { key: 't-1', correlationId: req.id });
   * ```
   */
  publish<K extends keyof M & string>(type: K, data: M[K], options?: PublishOptions): Promise<PublishResult> {
    return this.#publish(type, data, options);
  }

  /**
   * Builds and encodes a message without sending it: for a transactional outbox, which stores the wire message in
   * the caller's database transaction and relays it later (`switchboard/postgres`).
   *
   * @example
   * ```ts
   * const { topic, message, envelope } = bus.prepare('task.created.v1', task, { key: task.id });
   * await outbox.enqueue(tx, { topic, message, messageId: envelope.id, partitionKey: task.id });
   * ```
   */
  prepare<K extends keyof M & string>(
    type: K,
    data: M[K],
    options?: PublishOptions,
  ): { readonly topic: string; readonly envelope: Envelope; readonly message: WireMessage } {
    const topic = options?.topic ?? this.topicFor(type);
    const envelope = this.#envelope(type, data, options);
    const encoded = this.#codec.encode(envelope);
    // Read the bytes now: the in-memory fast path encodes lazily, and the outbox needs real bytes.
    const message: WireMessage = { key: encoded.key, headers: encoded.headers, body: encoded.body };
    this.#recordPublish(type, topic);
    return { topic, envelope, message };
  }

  /**
   * Publishes several messages of one type, pipelined; per-key order is kept. Resolves in input order.
   *
   * @example
   * ```ts
   * await bus.publishBatch('reminder.due.v1', reminders.map((r) => ({ data: r, options: { key: r.userId } })));
   * ```
   */
  async publishBatch<K extends keyof M & string>(
    type: K,
    items: ReadonlyArray<{ readonly data: M[K]; readonly options?: PublishOptions }>,
  ): Promise<PublishResult[]> {
    this.#assertOpen();
    const byTopic = new Map<
      string,
      { envelopes: Envelope[]; wires: WireMessage[]; index: number[]; operation: SendOperation | undefined }
    >();
    const topics = items.map((item) => item.options?.topic ?? this.topicFor(type));
    // One `send` span per topic, started before its envelopes are built so they carry its context.
    const counts = new Map<string, number>();
    if (this.#telemetry !== undefined)
      for (const topic of topics) counts.set(topic, (counts.get(topic) ?? 0) + 1);
    try {
      items.forEach((item, index) => {
        const topic = topics[index]!;
        let group = byTopic.get(topic);
        if (group === undefined) {
          group = {
            envelopes: [],
            wires: [],
            index: [],
            operation: this.#telemetry?.send(topic, counts.get(topic)!),
          };
          byTopic.set(topic, group);
        }
        const envelope = this.#envelope(type, item.data, item.options, group.operation);
        group.operation?.envelope(envelope);
        group.envelopes.push(envelope);
        group.wires.push(this.#codec.encode(envelope));
        group.index.push(index);
      });
    } catch (error) {
      for (const group of byTopic.values()) group.operation?.failed(error);
      throw error;
    }
    const results: PublishResult[] = new Array(items.length);
    await Promise.all(
      [...byTopic].map(async ([topic, group]) => {
        const send = (): Promise<PublishReceipt[]> => this.transport.publishBatch(topic, group.wires);
        const policy = this.#options.policies?.outbound;
        const sending = this.#wrapPublishError(topic, policy === undefined ? send() : policy.execute(send));
        const receipts = await (group.operation === undefined ? sending : group.operation.track(sending));
        this.#recordPublish(type, topic);
        group.envelopes.forEach((envelope, i) => {
          results[group.index[i]!] = { envelope, topic, receipt: receipts[i]! };
          this.events.emit('published', { envelope, topic });
        });
      }),
    );
    return results;
  }

  /**
   * Subscribes a handler to one message type (or several). Instances with the same `group` (default: the
   * service's `source`) share the work; each group gets every message. On a transport without native
   * request/reply (any but NATS), requests sent with {@link Bus.request} travel as ordinary messages of their
   * type, so a plain subscriber of that type sees them too (they carry the `replyto` extension,
   * {@link REPLY_TO_EXTENSION}).
   *
   * @example
   * ```ts
   * await bus.subscribe('task.completed.v1', async (event, { signal }) => {
   *   await scheduleNext(event.data, signal);
   * }, { maxDeliveries: 4, retry: retry({ maxAttempts: 3 }), idempotency: true });
   * ```
   */
  subscribe<K extends keyof M & string>(
    type: K | readonly K[],
    handler: Handler<M[K]>,
    options: SubscribeOptions = {},
  ): Promise<BusSubscription> {
    const types = (Array.isArray(type) ? type : [type]) as readonly string[];
    return this.#subscribe(types, undefined, handler as Handler, options);
  }

  /**
   * Subscribes a handler to every message type on a topic that no type-specific handler of the same group claims.
   *
   * @example
   * ```ts
   * await bus.subscribeTopic('task-events', (event) => audit.record(event.type, event.id));
   * ```
   */
  subscribeTopic(topic: string, handler: Handler, options: SubscribeOptions = {}): Promise<BusSubscription> {
    return this.#subscribe([], topic, handler, options);
  }

  /**
   * Sends a request and resolves with the reply's data. Native on NATS; over a private reply topic elsewhere.
   * Rejects with `SWB_REQUEST_TIMEOUT`, or with the responder's error, typed.
   *
   * @example
   * ```ts
   * const task = await bus.request('task.create.v1', { title: 'Water plants' }, { timeoutMs: 2000 });
   * ```
   */
  async request<K extends keyof M & string, R = unknown>(
    type: K,
    data: M[K],
    options: RequestOptions = {},
  ): Promise<R> {
    this.#assertOpen();
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const topic = options.topic ?? this.topicFor(type);
    this.#topology.record('requests', topic, type);
    const operation = this.#telemetry?.request(topic);
    const send = async (): Promise<R> => {
      if (hasRequestReply(this.transport)) {
        const envelope = this.#envelope(type, data, { ...options, deadline: timeoutMs }, operation);
        const reply = await this.transport.request(topic, this.#codec.encode(envelope), {
          timeoutMs,
          signal: options.signal,
        });
        const decoded = this.#codec.decode(reply);
        if (isErrorReply(decoded)) throw fromRemoteError(decoded.data, type);
        return decoded.data as R;
      }
      const replyTopic = this.#replyTopic();
      await this.#ensureReplySubscription(replyTopic);
      const envelope = this.#envelope(
        type,
        data,
        {
          ...options,
          deadline: timeoutMs,
          extensions: { ...options.extensions, [REPLY_TO_EXTENSION]: replyTopic },
        },
        operation,
      );
      const waiting = this.#pending.wait(envelope.id, type, timeoutMs, options.signal);
      try {
        await this.transport.publish(topic, this.#codec.encode(envelope), { messageId: envelope.id });
      } catch (error) {
        this.#pending.settle(envelope.id, undefined, error);
      }
      return (await waiting) as R;
    };
    const policy = options.policy === null ? undefined : (options.policy ?? this.#options.policies?.outbound);
    const result = policy === undefined ? send() : policy.execute(send, options.signal);
    return operation === undefined ? result : operation.track(result);
  }

  /**
   * Answers requests of a type. Whatever the responder returns is the reply's data; what it throws goes back to
   * the requester as a typed error.
   *
   * @example
   * ```ts
   * await bus.respond('task.create.v1', async (req) => tasks.create(req.data));
   * ```
   */
  async respond<K extends keyof M & string, R = unknown>(
    type: K,
    responder: Responder<M[K], R>,
    options: RespondOptions = {},
  ): Promise<BusSubscription> {
    this.#assertOpen();
    const topic = this.topicFor(type);
    const group = options.group ?? this.source;
    this.#topology.record('responds', topic, type, group);
    const run = (request: Envelope<M[K]>, signal: AbortSignal): Promise<R> => {
      const call = (ctx: { signal: AbortSignal }): Promise<R> =>
        Promise.resolve(responder(request, { signal: ctx.signal }));
      const answer = (): Promise<R> =>
        options.policy === undefined ? call({ signal }) : options.policy.execute(call, signal);
      const operation = this.#telemetry?.respond(topic, group, request);
      return operation === undefined ? answer() : operation.run(answer);
    };
    if (hasRequestReply(this.transport)) {
      const subscription = await this.transport.respond(
        topic,
        async (wire, signal) => {
          const request = this.#codec.decode(wire) as Envelope<M[K]>;
          try {
            const result = await run(request, signal);
            return this.#codec.encode(this.#reply(request, result, false));
          } catch (error) {
            return this.#codec.encode(this.#reply(request, toRemoteError(error), true));
          }
        },
        { group },
      );
      this.#respondSubscriptions.push(subscription);
      return {
        topic,
        group,
        types: [type],
        get paused() {
          return subscription.paused;
        },
        pause: () => subscription.pause(),
        resume: () => subscription.resume(),
        close: (o) => subscription.close(o),
      };
    }
    return this.#subscribe(
      [type],
      undefined,
      async (request, ctx) => {
        const replyTo = request.extensions?.[REPLY_TO_EXTENSION];
        if (replyTo === undefined) return; // a plain event of the same type: nothing to answer
        let reply: Envelope;
        try {
          reply = this.#reply(request, await run(request as Envelope<M[K]>, ctx.signal), false);
        } catch (error) {
          reply = this.#reply(request, toRemoteError(error), true);
        }
        await this.transport.publish(replyTo, this.#codec.encode(reply));
      },
      {
        group,
        concurrency: options.concurrency ?? 16,
        ordered: false,
        maxDeliveries: 1,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      },
      false,
    );
  }

  /**
   * Moves dead letters back to their topics (seed 003's recovery): reads `from` until it is idle for `idleMs` or
   * `limit` messages were replayed, and republishes each original message without its dead-letter headers.
   *
   * @returns how many messages were replayed.
   * @example
   * ```ts
   * const replayed = await bus.replayDeadLetters({ from: 'reminders.dlq', limit: 100 });
   * ```
   */
  async replayDeadLetters(options: ReplayOptions): Promise<number> {
    this.#assertOpen();
    const idleMs = options.idleMs ?? 1000;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    let replayed = 0;
    let lastActivity = Date.now();
    let done!: () => void;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const subscription = await this.transport.subscribe(
      options.from,
      async (delivery: Delivery) => {
        lastActivity = Date.now();
        if (replayed >= limit || (options.filter !== undefined && !options.filter(delivery.message))) {
          await delivery.nack({ delayMs: 60_000 });
          return;
        }
        const target = options.to ?? delivery.message.headers[DEAD_LETTER_HEADERS.originalTopic];
        if (target === undefined) {
          await delivery.nack({ delayMs: 60_000 });
          return;
        }
        await this.transport.publish(target, stripDeadLetterHeaders(delivery.message));
        await delivery.ack();
        replayed++;
        if (replayed >= limit) done();
      },
      { group: options.group ?? `${this.source}.replay`, startFrom: 'earliest', concurrency: 1 },
    );
    const timer = setInterval(
      () => {
        if (Date.now() - lastActivity >= idleMs) done();
      },
      Math.min(idleMs, 100),
    );
    try {
      await finished;
    } finally {
      clearInterval(timer);
      await subscription.close();
    }
    return replayed;
  }

  /** Who publishes and subscribes to what, as data, Markdown and Mermaid. */
  topology(): Topology {
    return this.#topology.snapshot();
  }

  /**
   * Health in the shape of seed 002's `/health`: the transport, and the idempotency store when there is one.
   * Never throws.
   */
  async health(): Promise<BusHealth> {
    const dependencies: Record<string, { status: string; [k: string]: unknown }> = {};
    let transport: TransportHealth;
    try {
      transport = await this.transport.health();
    } catch (error) {
      transport = {
        status: 'down',
        connected: false,
        detail: error instanceof Error ? error.message : String(error),
      };
    }
    dependencies[this.transport.system] = {
      status:
        transport.status === 'up' ? 'healthy' : transport.status === 'degraded' ? 'degraded' : 'unhealthy',
      connected: transport.connected,
      ...(transport.lag === undefined ? {} : { lag: transport.lag }),
      ...(transport.detail === undefined ? {} : { detail: transport.detail }),
    };
    const store = this.#options.idempotency;
    if (store?.health !== undefined) {
      try {
        const h = await store.health();
        dependencies.idempotency = {
          status: h.ok ? 'healthy' : 'unhealthy',
          ...(h.detail === undefined ? {} : { detail: h.detail }),
        };
      } catch {
        dependencies.idempotency = { status: 'unhealthy' };
      }
    }
    for (const [name, breaker] of this.#breakers) dependencies[`breaker:${name}`] = breakerHealth(breaker);
    const statuses = Object.values(dependencies).map((d) => d.status);
    const status =
      this.#state !== 'open' || statuses.includes('unhealthy')
        ? 'unhealthy'
        : statuses.includes('degraded')
          ? 'degraded'
          : 'healthy';
    return {
      status,
      timestamp: new Date().toISOString(),
      version: this.#options.version ?? '0.0.0',
      dependencies,
    };
  }

  /**
   * Drains and closes: stops taking new deliveries, lets in-flight handlers finish within `graceMs` (default
   * 5000), gives back what is left unacknowledged, rejects waiting requests, then closes the transport (when the
   * bus owns it). No ack is sent after close. Idempotent.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void bus.close({ graceMs: 10_000 }));
   * ```
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closed ??= this.#close(options.graceMs ?? 5_000);
    return this.#closed;
  }

  async #close(graceMs: number): Promise<void> {
    this.#state = 'closing';
    this.events.emit('closing');
    const subscriptions: Promise<Subscription>[] = [...this.#consumers.values()].map((slot) => slot.ready);
    if (this.#replySubscription !== undefined) subscriptions.push(this.#replySubscription);
    const settled = await Promise.allSettled(subscriptions);
    const live = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    await Promise.allSettled([...live, ...this.#respondSubscriptions].map((s) => s.close({ graceMs })));
    this.#pending.rejectAll(
      new SwitchboardError('SWB_TRANSPORT_CLOSED', 'the bus closed before the reply came'),
    );
    if (this.#options.ownsTransport !== false) await this.transport.close({ graceMs: 0 });
    this.#telemetry?.close();
    this.#state = 'closed';
    this.events.emit('closed');
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new SwitchboardError('SWB_TRANSPORT_CLOSED', 'the bus is closed');
  }

  #envelope(
    type: string,
    data: unknown,
    options: PublishOptions = EMPTY_OPTIONS,
    operation?: SendOperation,
  ): Envelope {
    // Built field by field (no spreads): this runs once per published message.
    const input: { -readonly [K in keyof EnvelopeInput<unknown>]: EnvelopeInput<unknown>[K] } = {
      type,
      source: this.source,
      data,
    };
    if (options.id !== undefined) input.id = options.id;
    if (options.subject !== undefined) input.subject = options.subject;
    if (options.key !== undefined) input.partitionkey = options.key;
    if (options.correlationId !== undefined) input.correlationid = options.correlationId;
    if (options.causationId !== undefined) input.causationid = options.causationId;
    if (options.destination !== undefined) input.destination = options.destination;
    if (options.schemaVersion !== undefined) input.schemaversion = options.schemaVersion;
    if (options.extensions !== undefined) input.extensions = options.extensions;
    const deadline = options.deadline;
    if (deadline !== undefined) {
      input.expirytime = new Date(
        typeof deadline === 'number' ? Date.now() + deadline : deadline.getTime(),
      ).toISOString();
    }
    if (operation !== undefined) operation.inject(input);
    return createEnvelope(input);
  }

  #reply(request: Envelope, data: unknown, isError: boolean): Envelope {
    return createEnvelope({
      type: `${request.type}.reply`,
      source: this.source,
      data,
      correlationid: request.id,
      causationid: request.id,
      ...(isError ? { extensions: { [REPLY_STATUS_EXTENSION]: 'error' } } : {}),
    });
  }

  async #publish(
    type: string,
    data: unknown,
    options: PublishOptions = EMPTY_OPTIONS,
  ): Promise<PublishResult> {
    this.#assertOpen();
    const topic = options.topic ?? this.topicFor(type);
    const operation = this.#telemetry?.send(topic, 1);
    let envelope: Envelope;
    let receipt: PublishReceipt;
    try {
      envelope = this.#envelope(type, data, options, operation);
      operation?.envelope(envelope);
      const wire = this.#codec.encode(envelope);
      const policy =
        options.policy === null ? undefined : (options.policy ?? this.#options.policies?.outbound);
      const publishOptions = { messageId: envelope.id, signal: options.signal };
      // Awaited here rather than in a helper: one async frame per publish instead of two.
      try {
        receipt = await (policy === undefined
          ? this.transport.publish(topic, wire, publishOptions)
          : policy.execute(() => this.transport.publish(topic, wire, publishOptions), options.signal));
      } catch (error) {
        throw publishError(topic, error);
      }
    } catch (error) {
      operation?.failed(error);
      throw error;
    }
    operation?.succeeded(receipt);
    this.#recordPublish(type, topic);
    // Most buses have no 'published' listener: skip building the event then.
    if (this.events.listenerCount('published') > 0) this.events.emit('published', { envelope, topic });
    return { envelope, topic, receipt };
  }

  async #wrapPublishError<T>(topic: string, promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      throw publishError(topic, error);
    }
  }

  #recordPublish(type: string, topic: string): void {
    if (this.#published.get(type) === topic) return;
    this.#published.set(type, topic);
    this.#topology.record('publishes', topic, type);
  }

  async #subscribe(
    types: readonly string[],
    topicOverride: string | undefined,
    handler: Handler,
    given: SubscribeOptions,
    recordTopology = true,
  ): Promise<BusSubscription> {
    this.#assertOpen();
    const options: SubscribeOptions = { ...this.#options.subscriptionDefaults, ...given };
    const group = options.group ?? this.source;
    const topics = new Map<string, (string | undefined)[]>();
    if (topicOverride !== undefined) topics.set(topicOverride, [undefined]);
    for (const type of types) {
      const topic = this.topicFor(type);
      topics.set(topic, [...(topics.get(topic) ?? []), type]);
    }
    const registered: { slot: ConsumerSlot; entry: HandlerEntry; topic: string }[] = [];
    try {
      for (const [topic, topicTypes] of topics) {
        const slot = this.#consumerSlot(topic, group, options);
        for (const type of topicTypes) {
          const entry = this.#entry(type, topic, handler, options);
          slot.consumer.add(entry);
          registered.push({ slot, entry, topic });
          if (recordTopology) this.#topology.record('subscribes', topic, type ?? '*', group);
        }
        await slot.ready;
      }
    } catch (error) {
      await Promise.allSettled(registered.map((r) => this.#removeEntry(r.slot, r.entry, r.topic, group, 0)));
      throw toSwitchboardError(
        error,
        'SWB_SUBSCRIBE_FAILED',
        `subscribe to ${[...topics.keys()].join(', ')} failed`,
      );
    }
    const slots = [...new Set(registered.map((r) => r.slot))];
    let closed = false;
    const subscription: BusSubscription = {
      topic: [...topics.keys()].join(','),
      group,
      types: topicOverride === undefined ? types : ['*'],
      get paused() {
        return slots.every((s) => s.subscription?.paused === true);
      },
      pause: () => {
        for (const s of slots) s.subscription?.pause();
      },
      resume: () => {
        for (const s of slots) s.subscription?.resume();
      },
      close: async (o = {}) => {
        if (closed) return;
        closed = true;
        await Promise.all(
          registered.map((r) => this.#removeEntry(r.slot, r.entry, r.topic, group, o.graceMs ?? 0)),
        );
      },
    };
    options.signal?.addEventListener('abort', () => void subscription.close(), { once: true });
    return subscription;
  }

  async #removeEntry(
    slot: ConsumerSlot,
    entry: HandlerEntry,
    topic: string,
    group: string,
    graceMs: number,
  ): Promise<void> {
    if (!slot.consumer.remove(entry)) return;
    this.#consumers.delete(`${topic}\u0000${group}`);
    const subscription = await slot.ready.catch(() => undefined);
    await subscription?.close({ graceMs });
  }

  #consumerSlot(topic: string, group: string, options: SubscribeOptions): ConsumerSlot {
    const id = `${topic}\u0000${group}`;
    const existing = this.#consumers.get(id);
    if (existing !== undefined) return existing;
    const consumer = new Consumer(topic, group, this.#host);
    const concurrency = options.concurrency ?? 1;
    const slot: ConsumerSlot = {
      consumer,
      subscription: undefined,
      ready: this.transport.subscribe(
        topic,
        this.#security?.wrap({ topic, group }, consumer.onDelivery) ?? consumer.onDelivery,
        {
          group,
          concurrency,
          ordered: options.ordered ?? concurrency === 1,
          maxDeliveries: options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES,
          ...(options.startFrom === undefined ? {} : { startFrom: options.startFrom }),
        },
      ),
    };
    slot.ready.then(
      (s) => {
        slot.subscription = s;
      },
      () => this.#consumers.delete(id),
    );
    this.#consumers.set(id, slot);
    return slot;
  }

  #entry(type: string | undefined, topic: string, handler: Handler, options: SubscribeOptions): HandlerEntry {
    if (isBreakerLike(options.breaker))
      this.#registerBreaker(options.breaker, topic, options.group ?? this.source);
    const policies = [options.policy, retryPolicyOf(options.retry), options.breaker].filter(
      (p): p is AnyPolicy => p !== undefined,
    );
    const inbound = this.#options.policies?.inbound;
    if (inbound !== undefined) policies.unshift(inbound);
    const store: IdempotencyStore | undefined =
      options.idempotency === true
        ? this.#requireStore()
        : options.idempotency === false || options.idempotency === undefined
          ? undefined
          : options.idempotency;
    const delay = options.redeliveryDelay;
    const deadLetterEnabled = options.deadLetter?.enabled !== false;
    return {
      type,
      handler,
      policy:
        options.timeoutMs === undefined
          ? policies.length === 0
            ? undefined
            : compose(...policies)
          : compose(...policies, timeout({ duration: options.timeoutMs, strategy: 'aggressive' })),
      deadlinePolicy: compose(
        ...policies,
        timeout({ duration: options.timeoutMs ?? MAX_TIMEOUT_MS, strategy: 'aggressive' }),
      ),
      maxDeliveries: options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES,
      redeliveryDelay:
        typeof delay === 'function' ? delay : delay === undefined ? defaultRedeliveryDelay : () => delay,
      deadLetterTopic: deadLetterEnabled
        ? (options.deadLetter?.topic ?? defaultDeadLetterTopic(topic))
        : undefined,
      store,
      leaseMs: options.idempotencyLeaseMs ?? DEFAULT_LEASE_MS,
      ttlMs: options.idempotencyTtlMs ?? DEFAULT_TTL_MS,
      keyOf: options.idempotencyKey ?? idempotencyKey,
      destination: options.destination,
    };
  }

  /** Reports a subscription's breaker in health and metrics, under its own name or its topic and group. */
  #registerBreaker(breaker: BreakerLike, topic: string, group: string): void {
    const named = (breaker as { name?: unknown }).name;
    const name = typeof named === 'string' && named !== 'circuit-breaker' ? named : `${topic}/${group}`;
    this.#breakers.set(name, breaker);
  }

  #requireStore(): IdempotencyStore {
    const store = this.#options.idempotency;
    if (store === undefined) {
      throw new SwitchboardError(
        'SWB_CONFIG_INVALID',
        'subscribe: `idempotency: true` needs an idempotency store in createBus()',
        {
          details: { path: 'idempotency' },
        },
      );
    }
    return store;
  }

  #replyTopic(): string {
    return `_reply.${this.source.replace(/[^A-Za-z0-9_-]/g, '_')}.${this.#instance}`;
  }

  #ensureReplySubscription(replyTopic: string): Promise<Subscription> {
    this.#replySubscription ??= this.transport.subscribe(
      replyTopic,
      async (delivery) => {
        try {
          this.#pending.settleFromReply(this.#codec.decode(delivery.message));
        } catch (error) {
          this.events.emit('error', { error, context: 'request.reply.decode' });
        }
        await delivery.ack();
      },
      { group: `_reply.${this.#instance}`, startFrom: 'latest', concurrency: 64, ordered: false },
    );
    return this.#replySubscription;
  }
}

function publishError(topic: string, error: unknown): SwitchboardError {
  return toSwitchboardError(error, 'SWB_PUBLISH_FAILED', `publish to '${topic}' failed`, {
    details: { topic },
  });
}

/**
 * Creates a bus over a transport.
 *
 * @example
 * ```ts
 * import { createBus, memoryTransport } from 'switchboard';
 *
 * const bus = createBus<{ 'task.completed.v1': { taskId: string } }>({
 *   transport: memoryTransport(),
 *   source: 'recurring-task-service',
 *   routes: { 'task.completed.v1': 'task-events' },
 * });
 * await bus.subscribe('task.completed.v1', async (event) => console.log(event.data.taskId));
 * await bus.publish('task.completed.v1', { taskId: 't-1' });
 * ```
 */
export function createBus<M extends object = MessageMap>(options: BusOptions): Bus<M> {
  return new Bus<M>(options);
}
