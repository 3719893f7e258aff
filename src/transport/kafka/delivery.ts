import type { WireMessage } from '../../envelope/types.js';
import type { Delivery, DeliveryCoordinates, NackOptions } from '../types.js';

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
  readonly message: WireMessage;
  readonly attempt: number;
  readonly coordinates: DeliveryCoordinates;
  readonly #controller = new AbortController();
  readonly #owner: DeliveryOwner<E>;
  readonly #entry: E;
  #settled = false;

  constructor(
    owner: DeliveryOwner<E>,
    entry: E,
    topic: string,
    message: WireMessage,
    attempt: number,
    coordinates: DeliveryCoordinates,
  ) {
    this.#owner = owner;
    this.#entry = entry;
    this.topic = topic;
    this.message = message;
    this.attempt = attempt;
    this.coordinates = coordinates;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Aborts the signal (revocation, close); the delivery can no longer be settled. */
  abort(reason: string): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(new Error(reason));
  }

  ack(): Promise<void> {
    if (!this.#settled) this.#settled = this.#owner.ack(this.#entry, this);
    return Promise.resolve();
  }

  nack(options?: NackOptions): Promise<void> {
    if (!this.#settled)
      this.#settled = this.#owner.nack(this.#entry, this, Math.max(0, options?.delayMs ?? 0));
    return Promise.resolve();
  }

  /** Kafka has no per-message ack deadline: the consumer's heartbeats keep the membership, on their own timer. */
  working(): Promise<void> {
    return Promise.resolve();
  }
}
