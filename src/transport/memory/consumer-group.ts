/**
 * A consumer group of the in-memory broker: where it stands in each partition, what waits for redelivery, and
 * the dispatch loop that hands messages to its subscribers.
 *
 * @module
 */
import type { StartPosition } from '../types.js';
import { MemoryDelivery } from './delivery.js';
import type { MemorySubscription } from './subscription.js';
import type { MemoryTopic } from './topic.js';

/**
 * One group's view of a topic. Subscribers in the group compete: each message goes to one of them.
 *
 * Dispatch: messages go to the next subscriber (round-robin) with a free slot under its `concurrency`, so a
 * group shares load even on a one-partition topic. Ordered groups hand out at most one unsettled message per
 * partition (so per key) at a time; a nacked or revoked message goes back to the head of its partition and
 * blocks it until redelivered, which keeps per-key order across redeliveries. Unordered groups hand out any
 * number per partition. A group's mode is fixed while it has subscribers.
 */
export class ConsumerGroup {
  readonly name: string;
  readonly topic: MemoryTopic;
  /** Made for a subscription without a group; removed when that subscription closes. */
  readonly isPrivate: boolean;
  ordered = true;
  /** Per partition: the next offset to hand out for the first time. */
  readonly readPos: number[] = [];
  /** Messages dropped by retention before this group read them (only while it had no live subscriber). */
  dropped = 0;
  readonly members: MemorySubscription[] = [];
  /** Per partition, ordered mode: a message is unsettled or waiting for its redelivery. */
  readonly #busy: boolean[] = [];
  /** Per partition: messages due for redelivery, in the order they go out. */
  readonly #retry: MemoryDelivery[][] = [];
  /** Per partition: redeliveries waiting (due or delayed), counted in the backlog. */
  readonly #waiting: number[] = [];
  #retryCount = 0;
  readonly #delayed = new Set<MemoryDelivery>();
  #nextMember = 0;
  #picked = 0;
  #nextPartition = 0;
  #pumping = false;
  #scheduled = false;
  #disposed = false;
  readonly #run = (): void => {
    this.#scheduled = false;
    this.pump();
  };

  constructor(topic: MemoryTopic, name: string, isPrivate: boolean, startFrom: StartPosition) {
    this.topic = topic;
    this.name = name;
    this.isPrivate = isPrivate;
    for (const log of topic.logs) {
      this.readPos.push(startFrom === 'earliest' ? log.start : log.end);
      this.#busy.push(false);
      this.#retry.push([]);
      this.#waiting.push(0);
    }
  }

  /** Has at least one subscriber that is not closed (paused ones count: they hold back-pressure). */
  get live(): boolean {
    return this.members.length > 0;
  }

  /** Messages of partition `p` this group has not been handed yet, plus its redeliveries waiting there. */
  backlog(p: number): number {
    return this.topic.logs[p]!.end - this.readPos[p]! + this.#waiting[p]!;
  }

  /** {@link backlog} over all partitions. */
  lag(): number {
    let total = 0;
    for (let p = 0; p < this.readPos.length; p++) total += this.backlog(p);
    return total;
  }

  addMember(member: MemorySubscription): void {
    this.members.push(member);
    this.schedule();
  }

  /** Removes a closed subscriber; a private group goes with its only subscriber. */
  removeMember(member: MemorySubscription): void {
    const i = this.members.indexOf(member);
    if (i < 0) return;
    this.members.splice(i, 1);
    if (this.#nextMember > i) this.#nextMember--;
    if (this.members.length > 0) {
      this.schedule();
    } else if (this.isPrivate) {
      this.topic.deleteGroup(this);
    } else {
      this.topic.releaseAll();
    }
  }

  /** Runs {@link pump} in a microtask, once, unless it is running (its loop will see the new work). */
  schedule(): void {
    if (this.#pumping || this.#scheduled || this.#disposed || this.members.length === 0) return;
    this.#scheduled = true;
    queueMicrotask(this.#run);
  }

  /** Hands out messages while a subscriber has a free slot and a message is available. */
  pump(): void {
    if (this.#pumping || this.#disposed) return;
    this.#pumping = true;
    try {
      for (;;) {
        const member = this.#pickMember();
        if (member === undefined) break;
        const delivery = this.#take(member);
        if (delivery === undefined) break;
        // Rotate only past a member that got something, so an ordered group shares a busy partition too.
        this.#nextMember = this.#picked + 1;
        member.dispatch(delivery);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** An ack took effect: the partition may move on. */
  onAck(delivery: MemoryDelivery): void {
    if (delivery.holdsPartition) this.#busy[delivery.partition] = false;
    this.schedule();
  }

  /** A nack took effect: redeliver after `delayMs` (on the broker's clock; 0 means a later event-loop turn). */
  onNack(delivery: MemoryDelivery, delayMs: number): void {
    this.#waiting[delivery.partition]!++;
    this.#delayed.add(delivery);
    delivery.timer = this.topic.options.clock.setTimeout(() => this.#due(delivery), delayMs);
  }

  /** A subscription closed with this delivery unsettled: it is due again at once, ahead of later messages. */
  onRevoke(delivery: MemoryDelivery): void {
    this.#waiting[delivery.partition]!++;
    this.#requeue(delivery);
  }

  /** Cancels redelivery timers for good; the group is gone (its private subscription closed). */
  dispose(): void {
    this.#disposed = true;
    const { clock } = this.topic.options;
    for (const delivery of this.#delayed) clock.clearTimeout(delivery.timer);
    this.#delayed.clear();
  }

  /**
   * Cancels redelivery timers but keeps their messages, due at once: the broker has no open transport left, and
   * no timer should outlive them. A transport that attaches later gets those messages without the rest of
   * their delay.
   */
  settleTimers(): void {
    const { clock } = this.topic.options;
    for (const delivery of [...this.#delayed]) {
      clock.clearTimeout(delivery.timer);
      this.#due(delivery);
    }
  }

  #due(delivery: MemoryDelivery): void {
    if (this.#delayed.delete(delivery)) this.#requeue(delivery);
  }

  #requeue(delivery: MemoryDelivery): void {
    const p = delivery.partition;
    if (delivery.holdsPartition) {
      // It was the only unsettled message of its partition, so it goes first.
      this.#retry[p]!.unshift(delivery);
      this.#busy[p] = false;
    } else {
      this.#retry[p]!.push(delivery);
    }
    this.#retryCount++;
    this.schedule();
  }

  #pickMember(): MemorySubscription | undefined {
    const members = this.members;
    const n = members.length;
    let i = this.#nextMember;
    for (let tried = 0; tried < n; tried++) {
      if (i >= n) i = 0;
      const member = members[i]!;
      if (member.accepting && member.inFlight < member.concurrency) {
        this.#picked = i;
        return member;
      }
      i++;
    }
    return undefined;
  }

  #take(member: MemorySubscription): MemoryDelivery | undefined {
    const logs = this.topic.logs;
    const n = logs.length;
    const ordered = this.ordered;
    let p = this.#nextPartition;
    for (let tried = 0; tried < n; tried++, p = p + 1 === n ? 0 : p + 1) {
      if (ordered && this.#busy[p]) continue;
      let delivery: MemoryDelivery;
      const retry = this.#retry[p]!;
      if (this.#retryCount > 0 && retry.length > 0) {
        const previous = retry.shift()!;
        this.#retryCount--;
        this.#waiting[p]!--;
        delivery = new MemoryDelivery(this, member, previous.entry, p, previous.attempt + 1);
      } else {
        const log = logs[p]!;
        let pos = this.readPos[p]!;
        if (pos >= log.end) continue;
        if (pos < log.start) {
          this.dropped += log.start - pos;
          pos = log.start;
        }
        delivery = new MemoryDelivery(this, member, log.at(pos)!, p, 1);
        this.readPos[p] = pos + 1;
        this.topic.release(p);
      }
      if (ordered) {
        this.#busy[p] = true;
        delivery.holdsPartition = true;
      }
      this.#nextPartition = p + 1 === n ? 0 : p + 1;
      return delivery;
    }
    return undefined;
  }
}
