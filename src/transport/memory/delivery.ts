/**
 * One message handed to an in-memory subscriber.
 *
 * @module
 */
import type { WireMessage } from '../../envelope/types.js';
import { SwitchboardError } from '../../errors.js';
import type { Delivery, DeliveryCoordinates, NackOptions } from '../types.js';
import type { ConsumerGroup } from './consumer-group.js';
import type { LogEntry } from './partition-log.js';
import type { MemorySubscription } from './subscription.js';

const UNSETTLED = 0;
const ACKED = 1;
const NACKED = 2;
const REVOKED = 3;

// One shared settled promise: ack and nack complete synchronously in memory, so they allocate nothing.
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A {@link Delivery} of the in-memory transport. Its abort signal and coordinates are made only when read,
 * since most handlers never look at them.
 */
export class MemoryDelivery implements Delivery {
  readonly attempt: number;
  readonly partition: number;
  readonly entry: LogEntry;
  readonly group: ConsumerGroup;
  readonly member: MemorySubscription;
  /** Ordered group: this delivery blocks its partition until settled or redelivered. */
  holdsPartition = false;
  /** Redelivery timer while nacked with a delay. */
  timer: unknown;
  /** Neighbours in the subscription's list of unsettled deliveries. */
  prev: MemoryDelivery | undefined;
  next: MemoryDelivery | undefined;
  #state = UNSETTLED;
  #controller: AbortController | undefined;

  constructor(
    group: ConsumerGroup,
    member: MemorySubscription,
    entry: LogEntry,
    partition: number,
    attempt: number,
  ) {
    this.group = group;
    this.member = member;
    this.entry = entry;
    this.partition = partition;
    this.attempt = attempt;
  }

  get topic(): string {
    return this.group.topic.name;
  }

  get message(): WireMessage {
    return this.entry.message;
  }

  get coordinates(): DeliveryCoordinates {
    return {
      partition: this.partition,
      offset: String(this.entry.offset),
      timestamp: this.entry.timestamp,
    };
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#state === REVOKED) this.#controller.abort(revokedReason(this));
    }
    return this.#controller.signal;
  }

  get settled(): boolean {
    return this.#state === ACKED || this.#state === NACKED;
  }

  /** Whether it is still waiting to be settled by its subscriber. */
  get unsettled(): boolean {
    return this.#state === UNSETTLED;
  }

  ack(): Promise<void> {
    if (this.#state !== UNSETTLED) return RESOLVED;
    this.#state = ACKED;
    this.member.release(this);
    this.group.onAck(this);
    return RESOLVED;
  }

  nack(options?: NackOptions): Promise<void> {
    if (this.#state !== UNSETTLED) return RESOLVED;
    this.#state = NACKED;
    const delay = options?.delayMs;
    this.member.release(this);
    this.group.onNack(this, typeof delay === 'number' && delay > 0 ? delay : 0);
    return RESOLVED;
  }

  working(): Promise<void> {
    return RESOLVED;
  }

  /** The handler threw or rejected: nack without delay unless already settled (contract of `Delivery`). */
  fail(): void {
    if (this.#state === UNSETTLED) void this.nack();
  }

  /**
   * Takes the delivery back from a closing subscription: later settles do nothing, the signal aborts, and the
   * group redelivers the message. The subscription unlinks it itself.
   */
  revoke(): void {
    if (this.#state !== UNSETTLED) return;
    this.#state = REVOKED;
    this.#controller?.abort(revokedReason(this));
    this.group.onRevoke(this);
  }
}

function revokedReason(delivery: MemoryDelivery): SwitchboardError {
  return new SwitchboardError('SWB_ABORTED', 'the subscription closed before this delivery was settled', {
    retryable: true,
    details: { topic: delivery.topic, group: delivery.group.name },
  });
}
