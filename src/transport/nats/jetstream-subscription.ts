/**
 * A JetStream subscription: a durable pull consumer read with our own pull loop.
 *
 * Why not `consumer.consume()`: it tops up its buffer as messages arrive, whatever the handler is doing, so it
 * cannot keep "never more than `concurrency` unsettled" and messages waiting in its buffer run out their
 * `ack_wait`. Here every pull asks for exactly the room left (`concurrency + prefetch` minus what is held), each
 * pull has its own reply subject so its end (408, 409) is accounted exactly, and the loop owns its recovery:
 * - every message held (queued or handed out) gets `+WPI` (working) every `ack_wait / 3`, so a long handler is
 *   never redelivered while it runs;
 * - pulls ask for idle heartbeats; two missed while a pull is open mark the consumer stalled: its state is
 *   checked, it is recreated when gone, and pulling restarts (`consumer.restarted`);
 * - after a reconnect the open pulls are forgotten (the server lost them) and pulling starts over;
 * - a deleted consumer (409 "Consumer Deleted", or no responders on its pull subject) raises `consumer.deleted`
 *   and is recreated from the last acknowledged position known.
 *
 * Ordering: with `ordered`, two deliveries of one key are never unsettled at once in this subscription. A nacked
 * message goes back to the server and may be overtaken by later messages of its key (JetStream redelivers it
 * after its delay), and members of one group share the stream without key affinity, so per-key order holds for
 * a single subscriber that acks.
 *
 * @module
 */
import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import {
  createInbox,
  type Msg,
  type NatsConnection,
  type Subscription as NatsSubscription,
} from '@nats-io/transport-node';
import { BaseSubscription, type BaseSubscriptionOptions, type Inbound } from './base-subscription.js';
import { isNotFound } from './errors.js';
import { wireHeadersOf } from './headers.js';
import { SubjectReader } from './subjects.js';

const MS_TO_NS = 1_000_000;
const ACK = new TextEncoder().encode('+ACK');
const NAK = new TextEncoder().encode('-NAK');
const WPI = new TextEncoder().encode('+WPI');

/** Lifecycle events a JetStream subscription reports to its transport. */

/** How often the consumer's ack floor is read while running. */
const ACK_FLOOR_REFRESH_MS = 5_000;
export interface JetStreamSubscriptionEvents {
  deleted(): void;
  restarted(reason: string): void;
}

/** Options of a {@link JetStreamSubscription}. */
export interface JetStreamSubscriptionOptions extends BaseSubscriptionOptions {
  readonly connection: NatsConnection;
  readonly manager: JetStreamManager;
  readonly stream: string;
  readonly consumer: string;
  /** The consumer's configuration (durable name, filter, ack policy...). */
  readonly config: Partial<ConsumerConfig>;
  /** Delete the consumer on close (a private, group-less subscription). */
  readonly deleteOnClose: boolean;
  readonly prefetch: number;
  readonly ackWaitMs: number;
  readonly pullExpiresMs: number;
  readonly idleHeartbeatMs: number;
  /** Creates the stream when it is missing (auto-provisioning), or rejects. */
  readonly ensureStream: () => Promise<void>;
  readonly isConnected: () => boolean;
  readonly events: JetStreamSubscriptionEvents;
}

interface OpenPull {
  readonly batch: number;
  received: number;
  readonly expiresAt: number;
}

/** Delivery facts JetStream puts in the reply subject of a message. */
interface AckInfo {
  readonly stream: string;
  readonly deliveryCount: number;
  readonly streamSequence: number;
  readonly timestampMs: number;
}

/** Parses `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>` (and the 12-token v2 form). */
export function parseAckSubject(reply: string): AckInfo | undefined {
  const tokens = reply.split('.');
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK') return undefined;
  const offset = tokens.length === 9 ? 2 : tokens.length >= 11 ? 4 : -1;
  if (offset === -1) return undefined;
  const stream = tokens[offset] ?? '';
  const deliveryCount = Number(tokens[offset + 2]);
  const streamSequence = Number(tokens[offset + 3]);
  const timestampMs = Number(BigInt(tokens[offset + 5] ?? '0') / 1_000_000n);
  if (!Number.isFinite(deliveryCount) || !Number.isFinite(streamSequence)) return undefined;
  return { stream, deliveryCount, streamSequence, timestampMs };
}

/** A JetStream pull subscription (see the module comment). */
export class JetStreamSubscription extends BaseSubscription<Msg> {
  private readonly options: JetStreamSubscriptionOptions;
  private readonly connection: NatsConnection;
  private readonly inboxBase = createInbox();
  private sub: NatsSubscription | undefined;
  private readonly pulls = new Map<string, OpenPull>();
  private pullSeq = 0;
  private lastActivity = Date.now();
  private recovering = false;
  private lastAckFloor = 0;
  /** When the consumer's ack floor was last read, so a recreated consumer starts close to where it was. */
  private lastInfoAt = 0;
  private readingInfo = false;
  private monitorTimer: NodeJS.Timeout | undefined;
  private workingTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly budget: number;
  private readonly subjects = new SubjectReader();

  protected readonly settler = {
    ack: (item: Inbound<Msg>): void => {
      item.raw.respond(ACK);
    },
    nack: (item: Inbound<Msg>, delayMs: number): boolean => {
      item.raw.respond(
        delayMs > 0 ? new TextEncoder().encode(`-NAK {"delay":${Math.round(delayMs * MS_TO_NS)}}`) : NAK,
      );
      return false;
    },
    working: (item: Inbound<Msg>): void => {
      item.raw.respond(WPI);
    },
  };

  private constructor(options: JetStreamSubscriptionOptions) {
    super(options);
    this.options = options;
    this.connection = options.connection;
    this.budget = this.concurrency + options.prefetch;
  }

  /** Creates (or finds) the consumer and starts pulling. */
  static async start(options: JetStreamSubscriptionOptions): Promise<JetStreamSubscription> {
    const subscription = new JetStreamSubscription(options);
    await subscription.ensureConsumer(false);
    subscription.begin();
    return subscription;
  }

  /** The consumer's name. */
  get consumerName(): string {
    return this.options.consumer;
  }

  /** The stream's name. */
  get streamName(): string {
    return this.options.stream;
  }

  /** Messages the consumer has not delivered yet (`num_pending`). */
  async pending(): Promise<number> {
    const info = await this.options.manager.consumers.info(this.options.stream, this.options.consumer);
    this.noteInfo(info);
    return info.num_pending;
  }

  private noteInfo(info: ConsumerInfo): void {
    this.lastAckFloor = Math.max(this.lastAckFloor, info.ack_floor.stream_seq);
    this.lastInfoAt = Date.now();
  }

  /**
   * Refreshes the known ack floor now and then (one small request every few seconds), so that a consumer deleted
   * by an operator is recreated just after the last acknowledged message instead of replaying the stream.
   */
  private refreshAckFloor(now: number): void {
    if (this.readingInfo || now - this.lastInfoAt < ACK_FLOOR_REFRESH_MS) return;
    this.readingInfo = true;
    this.lastInfoAt = now;
    this.options.manager.consumers
      .info(this.options.stream, this.options.consumer)
      .then(
        (info) => this.noteInfo(info),
        () => {}, // gone or unreachable: the monitor and the pull statuses deal with that
      )
      .finally(() => {
        this.readingInfo = false;
      });
  }

  private async ensureConsumer(recreate: boolean): Promise<void> {
    const { manager, stream, consumer } = this.options;
    try {
      const info = await manager.consumers.info(stream, consumer);
      this.noteInfo(info);
      await this.alignConfig(info);
      return;
    } catch (error) {
      if (isNotFound(error, 'stream')) await this.options.ensureStream();
      else if (!isNotFound(error, 'consumer')) throw error;
    }
    let config = this.options.config;
    if (recreate && this.lastAckFloor > 0) {
      // Resume after what this subscription knows was acknowledged rather than from the start of the stream.
      config = {
        ...config,
        deliver_policy: 'by_start_sequence',
        opt_start_seq: this.lastAckFloor + 1,
      } as Partial<ConsumerConfig>;
    }
    const info = await manager.consumers.add(stream, config);
    this.noteInfo(info);
  }

  /** Brings an existing group's updatable settings in line with this subscription's (best effort). */
  private async alignConfig(info: ConsumerInfo): Promise<void> {
    const wanted = this.options.config;
    const current = info.config;
    if (
      current.max_deliver === wanted.max_deliver &&
      current.ack_wait === wanted.ack_wait &&
      current.max_ack_pending === wanted.max_ack_pending
    ) {
      return;
    }
    try {
      await this.options.manager.consumers.update(this.options.stream, this.options.consumer, {
        ...(wanted.max_deliver === undefined ? {} : { max_deliver: wanted.max_deliver }),
        ...(wanted.ack_wait === undefined ? {} : { ack_wait: wanted.ack_wait }),
        ...(wanted.max_ack_pending === undefined ? {} : { max_ack_pending: wanted.max_ack_pending }),
      });
    } catch (error) {
      this.onError(error, `updating consumer ${this.options.consumer} of ${this.topic}`);
    }
  }

  private begin(): void {
    this.sub = this.connection.subscribe(`${this.inboxBase}.*`, {
      callback: (error, msg) => {
        if (error !== null) {
          this.onError(error, `pull subscription of ${this.topic}`);
          return;
        }
        this.receive(msg);
      },
    });
    const { idleHeartbeatMs, ackWaitMs } = this.options;
    this.monitorTimer = setInterval(() => this.monitor(), Math.max(100, Math.floor(idleHeartbeatMs / 2)));
    this.workingTimer = setInterval(() => this.keepAlive(), Math.max(50, Math.floor(ackWaitMs / 3)));
    this.monitorTimer.unref?.();
    this.workingTimer.unref?.();
    this.pull();
  }

  private get outstanding(): number {
    let sum = 0;
    for (const p of this.pulls.values()) sum += p.batch - p.received;
    return sum;
  }

  /** Asks the server for as many messages as there is room for. */
  private pull(): void {
    if (
      this.closing ||
      this.paused ||
      this.recovering ||
      this.sub === undefined ||
      !this.options.isConnected()
    ) {
      return;
    }
    const room = this.budget - this.queuedCount - this.inFlightCount - this.outstanding;
    if (room <= 0) return;
    // With a pull already open, wait until half the budget is free so pulls stay few and large.
    if (this.pulls.size > 0 && room < Math.ceil(this.budget / 2)) return;
    const { pullExpiresMs, idleHeartbeatMs, stream, consumer } = this.options;
    const reply = `${this.inboxBase}.${++this.pullSeq}`;
    if (this.pulls.size === 0) this.lastActivity = Date.now();
    this.pulls.set(reply, { batch: room, received: 0, expiresAt: Date.now() + pullExpiresMs });
    const request = JSON.stringify({
      batch: room,
      expires: pullExpiresMs * MS_TO_NS,
      idle_heartbeat: idleHeartbeatMs * MS_TO_NS,
    });
    try {
      this.connection.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, request, { reply });
    } catch (error) {
      this.pulls.delete(reply);
      this.onError(error, `pull on ${this.topic}`);
    }
  }

  private receive(msg: Msg): void {
    this.lastActivity = Date.now();
    const info = msg.reply === undefined || msg.reply === '' ? undefined : parseAckSubject(msg.reply);
    if (info === undefined) {
      this.status(msg);
      return;
    }
    // Messages carry their own subject, not the pull's reply subject; the server fills pulls first come, first
    // served, so count each message against the oldest open pull.
    for (const [reply, pull] of this.pulls) {
      if (++pull.received >= pull.batch) this.pulls.delete(reply);
      break;
    }
    const subjects = this.subjects;
    subjects.read(msg);
    const item: Inbound<Msg> = {
      message: { key: subjects.key, headers: wireHeadersOf(msg), body: msg.data },
      attempt: info.deliveryCount,
      coordinates: {
        stream: info.stream,
        sequence: info.streamSequence,
        subject: subjects.subject,
        timestamp: info.timestampMs,
      },
      raw: msg,
    };
    const held = this.findHeld((h) => h.coordinates.sequence === info.streamSequence);
    if (held !== undefined) {
      // The broker redelivered something still in hand (after a consumer restart): settle the newest copy.
      this.replaceHeld(held, item);
    } else {
      this.accept(item);
    }
    this.pull();
  }

  private status(msg: Msg): void {
    const code = msg.headers?.code ?? 0;
    const description = (msg.headers?.description ?? '').toLowerCase();
    if (code === 100) return; // idle heartbeat or flow control: activity already noted
    this.pulls.delete(msg.subject);
    if (code === 404 || code === 408) {
      this.pull();
    } else if (code === 409 && description.includes('consumer deleted')) {
      this.consumerGone();
    } else if (code === 503) {
      void this.recover('no responders on the pull subject');
    } else if (code === 409) {
      // Exceeded max waiting / max request batch and the like: try again shortly.
      this.retrySoon();
    } else {
      this.onError(new Error(`unexpected pull status ${code}`), `pull on ${this.topic}`);
      this.retrySoon();
    }
  }

  private retrySoon(): void {
    if (this.retryTimer !== undefined || this.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pull();
    }, 250);
  }

  private consumerGone(): void {
    // Every open pull answers 409 when the consumer goes: report and recover once.
    if (this.recovering || this.closing) return;
    this.options.events.deleted();
    void this.recover('consumer deleted', true);
  }

  /**
   * Checks the consumer, recreates it when gone, and pulls again. Retries on the monitor's clock while JetStream
   * does not answer (for example while the server restarts).
   */
  private async recover(reason: string, knownDeleted = false): Promise<void> {
    if (this.recovering || this.closing) return;
    this.recovering = true;
    this.pulls.clear();
    let restarted = false;
    try {
      let exists = !knownDeleted;
      if (exists) {
        try {
          this.noteInfo(
            await this.options.manager.consumers.info(this.options.stream, this.options.consumer),
          );
        } catch (error) {
          if (!isNotFound(error, 'consumer') && !isNotFound(error, 'stream')) throw error;
          exists = false;
          this.options.events.deleted();
        }
      }
      if (!exists) await this.ensureConsumer(true);
      restarted = true;
    } catch (error) {
      this.onError(error, `recovering consumer of ${this.topic}`);
    } finally {
      this.recovering = false;
    }
    if (restarted && !this.closing) {
      this.lastActivity = Date.now();
      this.options.events.restarted(reason);
      this.pull();
    }
  }

  /** Called by the transport after the connection came back: the server forgot our open pulls. */
  reconnected(): void {
    this.pulls.clear();
    this.lastActivity = Date.now();
    this.pull();
  }

  private monitor(): void {
    if (this.closing || !this.options.isConnected()) return;
    const now = Date.now();
    for (const [reply, pull] of this.pulls) {
      // A pull whose end we never heard of (lost status) stops counting against the room.
      if (now > pull.expiresAt + this.options.idleHeartbeatMs) this.pulls.delete(reply);
    }
    if (this.pulls.size > 0 && now - this.lastActivity > 2 * this.options.idleHeartbeatMs + 250) {
      void this.recover('idle heartbeats missed');
      return;
    }
    this.refreshAckFloor(now);
    this.pull();
  }

  private keepAlive(): void {
    // Runs through the close grace period too: a handler finishing its work must not be redelivered meanwhile.
    if (!this.options.isConnected()) return;
    for (const item of this.heldItems()) {
      try {
        item.raw.respond(WPI);
      } catch {
        return; // connection closed: nothing to keep alive
      }
    }
  }

  protected override onRoom(): void {
    this.pull();
  }

  protected async stopReceiving(): Promise<void> {
    clearInterval(this.monitorTimer);
    clearTimeout(this.retryTimer);
  }

  protected giveBack(item: Inbound<Msg>): void {
    if (this.connection.isClosed()) return;
    try {
      item.raw.respond(NAK);
    } catch {
      // the connection went away: the server redelivers after ack_wait
    }
  }

  protected override async afterClose(): Promise<void> {
    clearInterval(this.workingTimer);
    this.pulls.clear();
    if (this.sub !== undefined && !this.sub.isClosed() && !this.connection.isClosed()) {
      // drain, not unsubscribe: messages already on their way are still received, and given back (nak) at once
      // instead of being dropped here and waiting out ack_wait on the server.
      await this.sub.drain().catch(() => undefined);
    }
    if (this.options.deleteOnClose && !this.connection.isClosed()) {
      try {
        await this.options.manager.consumers.delete(this.options.stream, this.options.consumer);
      } catch (error) {
        if (!isNotFound(error, 'consumer') && !isNotFound(error, 'stream')) throw error;
      }
    }
  }
}
