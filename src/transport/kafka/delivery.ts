import type { Message } from '@platformatic/kafka';
import type { WireMessage } from '../../envelope/types.js';
import type { Delivery, DeliveryCoordinates, NackOptions } from '../types.js';
import { fromRecord } from './records.js';

type Record = Message<Buffer, Buffer, Buffer, Buffer>;

/** Settling is synchronous; one shared resolved promise spares an allocation per record. */
export const RESOLVED: Promise<void> = Promise.resolve();

/** What a delivery needs from its subscription to settle. @internal */
export interface DeliveryOwner<E> {
  /** Returns whether the ack took effect (false once the record was revoked or the subscription closed). */
  ack(entry: E, delivery: KafkaDelivery<E>): boolean;
  /** Returns whether the nack took effect. */
  nack(entry: E, delivery: KafkaDelivery<E>, delayMs: number): boolean;
}

/**
 * One hand-out of a Kafka record to a handler. A nacked record is handed out again as a new delivery with the
 * next `attempt`.
 *
 * @internal
 */
export class KafkaDelivery<E> implements Delivery {
  readonly topic: string;
  readonly attempt: number;
  readonly #record: Record;
  readonly #owner: DeliveryOwner<E>;
  readonly #entry: E;
  // Made on first use: most handlers never look at the signal, and an AbortController per record is a measurable
  // share of the consume path; the same for the decoded message and the coordinates.
  #controller: AbortController | undefined;
  #abortReason: Error | undefined;
  #message: WireMessage | undefined;
  #coordinates: DeliveryCoordinates | undefined;
  #settled = false;

  constructor(owner: DeliveryOwner<E>, entry: E, topic: string, record: Record, attempt: number) {
    this.#owner = owner;
    this.#entry = entry;
    this.topic = topic;
    this.#record = record;
    this.attempt = attempt;
  }

  get message(): WireMessage {
    this.#message ??= fromRecord(this.#record);
    return this.#message;
  }

  get coordinates(): DeliveryCoordinates {
    this.#coordinates ??= {
      partition: this.#record.partition,
      offset: this.#record.offset.toString(),
      timestamp: Number(this.#record.timestamp),
    };
    return this.#coordinates;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abortReason) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Aborts the signal (revocation, close); the delivery can no longer be settled. */
  abort(reason: string): void {
    if (this.#abortReason) return;
    this.#abortReason = new Error(reason);
    this.#controller?.abort(this.#abortReason);
  }

  ack(): Promise<void> {
    if (!this.#settled) this.#settled = this.#owner.ack(this.#entry, this);
    return RESOLVED;
  }

  nack(options?: NackOptions): Promise<void> {
    if (!this.#settled)
      this.#settled = this.#owner.nack(this.#entry, this, Math.max(0, options?.delayMs ?? 0));
    return RESOLVED;
  }

  /** Kafka has no per-message ack deadline: the consumer's heartbeats keep the membership, on their own timer. */
  working(): Promise<void> {
    return RESOLVED;
  }
}
