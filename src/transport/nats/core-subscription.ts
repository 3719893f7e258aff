/**
 * A core NATS subscription: a plain or queue-group subscription on the topic's subjects.
 *
 * Core NATS keeps nothing, so delivery is at most once. A `nack` redelivers from a local timer to this same
 * subscription (attempt + 1), in order before later messages of the same key when the subscription is ordered;
 * a message waiting for such a local redelivery is lost if the subscription closes or the process ends. Messages
 * arriving while `coreMaxQueued` are already queued are dropped and reported as an `error` event.
 *
 * @module
 */
import type { Msg, NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import { SwitchboardError } from '../../errors.js';
import type { DeliveryCoordinates } from '../../transport/types.js';
import { BaseSubscription, type BaseSubscriptionOptions, type Inbound } from './base-subscription.js';
import { wireHeadersOf } from './headers.js';
import { SubjectReader } from './subjects.js';

/** Options of a {@link CoreSubscription}. */
export interface CoreSubscriptionOptions extends BaseSubscriptionOptions {
  readonly connection: NatsConnection;
  readonly subject: string;
  readonly maxQueued: number;
}

/** A core NATS subscription (see the module comment). */
export class CoreSubscription extends BaseSubscription<null> {
  private readonly sub: NatsSubscription;
  private readonly maxQueued: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private dropped = 0;
  private readonly subjects = new SubjectReader();
  /** Coordinates of the last subject read, shared by its messages (they hold only the subject). */
  private coordinates: DeliveryCoordinates = {};

  protected readonly settler = {
    ack: (): void => {},
    nack: (item: Inbound<null>, delayMs: number): boolean => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.releaseKey(item.message.key);
        this.accept({ ...item, attempt: item.attempt + 1 }, this.ordered);
      }, delayMs);
      this.timers.add(timer);
      return true;
    },
    working: (): void => {},
  };

  constructor(options: CoreSubscriptionOptions) {
    super(options);
    this.maxQueued = options.maxQueued;
    this.sub = options.connection.subscribe(options.subject, {
      ...(options.group === undefined ? {} : { queue: options.group }),
      callback: (error, msg) => {
        if (error !== null) {
          this.onError(error, `core subscription to ${this.topic}`);
          return;
        }
        this.receive(msg);
      },
    });
  }

  private receive(msg: Msg): void {
    if (this.queuedCount >= this.maxQueued) {
      this.dropped++;
      if (this.dropped === 1 || this.dropped % 1000 === 0) {
        this.onError(
          new SwitchboardError('SWB_SUBSCRIBE_FAILED', 'core NATS subscriber queue full: messages dropped', {
            retryable: true,
            details: { topic: this.topic, dropped: this.dropped, maxQueued: this.maxQueued },
          }),
          `core subscription to ${this.topic}`,
        );
      }
      return;
    }
    const subjects = this.subjects;
    if (subjects.read(msg)) this.coordinates = Object.freeze({ subject: subjects.subject });
    this.accept({
      message: { key: subjects.key, headers: wireHeadersOf(msg), body: msg.data },
      attempt: 1,
      coordinates: this.coordinates,
      raw: null,
    });
  }

  protected async stopReceiving(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (!this.sub.isClosed()) this.sub.unsubscribe();
  }

  protected giveBack(): void {
    // Core NATS cannot take a message back: at most once.
  }
}
