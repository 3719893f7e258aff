/**
 * A topic of the in-memory broker: its partitions, its consumer groups, and publish with back-pressure.
 *
 * @module
 */
import type { WireMessage } from '../../envelope/types.js';
import { SwitchboardError } from '../../errors.js';
import type { PublishReceipt, StartPosition } from '../types.js';
import { ConsumerGroup } from './consumer-group.js';
import { partitionForKey } from './murmur2.js';
import type { ResolvedBrokerOptions } from './options.js';
import { PartitionLog } from './partition-log.js';

/** A publish waiting for back-pressure to ease. */
export interface PublishWaiter {
  readonly topic: MemoryTopic;
  readonly partition: number;
  readonly message: WireMessage;
  readonly resolve: (receipt: PublishReceipt) => void;
  readonly reject: (error: unknown) => void;
  /** The publishing transport's waiting publishes, so its `close()` can flush or reject them. */
  readonly owner: PendingPublishes;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** A transport's publishes waiting for back-pressure, with a hook for when none is left. */
export class PendingPublishes {
  readonly waiters = new Set<PublishWaiter>();
  /** Called each time the last waiting publish leaves. */
  onEmpty: (() => void) | undefined;

  add(waiter: PublishWaiter): void {
    this.waiters.add(waiter);
  }

  delete(waiter: PublishWaiter): void {
    if (this.waiters.delete(waiter) && this.waiters.size === 0) this.onEmpty?.();
  }
}

/** Settings a topic may override at creation. */
export interface TopicSettings {
  readonly partitions: number;
  readonly maxAgeMs: number;
}

/**
 * Partitions (each a bounded log) plus the groups reading them. Keyed messages go to `murmur2(key) %
 * partitions` (Kafka's default partitioner); keyless ones rotate round-robin over the partitions.
 */
export class MemoryTopic {
  readonly name: string;
  readonly logs: readonly PartitionLog[];
  /** Groups in creation order; an array because the publish path walks it on every message. */
  readonly groups: ConsumerGroup[] = [];
  readonly options: ResolvedBrokerOptions;
  readonly maxAgeMs: number;
  readonly #byName = new Map<string, ConsumerGroup>();
  readonly #waiters: PublishWaiter[][];
  #roundRobin = 0;

  constructor(name: string, settings: TopicSettings, options: ResolvedBrokerOptions) {
    this.name = name;
    this.options = options;
    this.maxAgeMs = settings.maxAgeMs;
    const logs: PartitionLog[] = [];
    const waiters: PublishWaiter[][] = [];
    for (let p = 0; p < settings.partitions; p++) {
      logs.push(new PartitionLog());
      waiters.push([]);
    }
    this.logs = logs;
    this.#waiters = waiters;
  }

  /** The partition a message goes to. */
  partitionOf(message: WireMessage): number {
    const n = this.logs.length;
    if (n === 1) return 0;
    if (message.key !== undefined) return partitionForKey(message.key, n);
    const p = this.#roundRobin;
    this.#roundRobin = p + 1 === n ? 0 : p + 1;
    return p;
  }

  /**
   * Appends `message`, or waits while a live group's backlog on its partition is full. Waiting publishes of a
   * partition are appended in arrival order, so per-key order holds across back-pressure.
   */
  publish(message: WireMessage, owner: PendingPublishes, signal?: AbortSignal): Promise<PublishReceipt> {
    const p = this.partitionOf(message);
    if (this.#waiters[p]!.length === 0 && this.#hasRoom(p)) return Promise.resolve(this.#append(p, message));
    if (signal?.aborted) return Promise.reject(abortedError(this.name));
    return new Promise<PublishReceipt>((resolve, reject) => {
      const waiter: PublishWaiter = {
        topic: this,
        partition: p,
        message,
        resolve,
        reject,
        owner,
        signal,
        onAbort: undefined,
      };
      if (signal !== undefined) {
        waiter.onAbort = () => this.cancel(waiter, abortedError(this.name));
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      owner.add(waiter);
      this.#waiters[p]!.push(waiter);
    });
  }

  /** Rejects a waiting publish (aborted, or its transport closed) without appending it. */
  cancel(waiter: PublishWaiter, error: unknown): void {
    const queue = this.#waiters[waiter.partition]!;
    const i = queue.indexOf(waiter);
    if (i < 0) return;
    queue.splice(i, 1);
    this.#forget(waiter);
    waiter.reject(error);
  }

  /** Appends waiting publishes of partition `p` while there is room; called when a group moved on. */
  release(p: number): void {
    const queue = this.#waiters[p]!;
    while (queue.length > 0 && this.#hasRoom(p)) {
      const waiter = queue.shift()!;
      this.#forget(waiter);
      waiter.resolve(this.#append(p, waiter.message));
    }
  }

  /** {@link release} on every partition; called when a group lost its last live subscriber. */
  releaseAll(): void {
    for (let p = 0; p < this.logs.length; p++) this.release(p);
  }

  /** The group called `name`, created at `startFrom` when missing. */
  group(name: string, isPrivate: boolean, startFrom: StartPosition): ConsumerGroup {
    let group = this.#byName.get(name);
    if (group === undefined) {
      for (let p = 0; p < this.logs.length; p++) this.trim(p);
      group = new ConsumerGroup(this, name, isPrivate, startFrom);
      this.#byName.set(name, group);
      this.groups.push(group);
    }
    return group;
  }

  /** Removes a group (a private group whose subscription closed) and cancels its timers. */
  deleteGroup(group: ConsumerGroup): void {
    if (this.#byName.get(group.name) !== group) return;
    this.#byName.delete(group.name);
    this.groups.splice(this.groups.indexOf(group), 1);
    group.dispose();
    this.releaseAll();
  }

  /**
   * Applies retention to partition `p`: drops what every group has read beyond the newest `maxConsumed`, then
   * the oldest entries while over `maxMessages` or older than `maxAgeMs`, but never one a group with a live
   * subscriber has not been handed yet. Groups without a live subscriber skip what was dropped and count it.
   */
  trim(p: number): void {
    const log = this.logs[p]!;
    const { maxMessages, maxConsumed } = this.options;
    const groups = this.groups;
    // With no group at all, nothing has been read: everything waits for the first subscriber.
    if (log.size > maxConsumed && groups.length > 0) {
      let read = log.end;
      for (const group of groups) if (group.readPos[p]! < read) read = group.readPos[p]!;
      const keepFrom = read - maxConsumed;
      while (log.start < keepFrom) log.dropOldest();
    }
    const ageLimited = this.maxAgeMs !== Number.POSITIVE_INFINITY;
    if (log.size <= maxMessages && !ageLimited) return;
    let floor = log.end;
    for (const group of groups) {
      if (group.live && group.readPos[p]! < floor) floor = group.readPos[p]!;
    }
    const expiredAt = ageLimited ? this.options.clock.now() - this.maxAgeMs : Number.NEGATIVE_INFINITY;
    while (log.start < floor) {
      const over = log.size > maxMessages;
      if (!over && !(log.oldest()!.timestamp <= expiredAt)) break;
      log.dropOldest();
    }
    for (const group of groups) {
      const pos = group.readPos[p]!;
      if (pos < log.start) {
        group.dropped += log.start - pos;
        group.readPos[p] = log.start;
      }
    }
  }

  #hasRoom(p: number): boolean {
    const { maxBacklog } = this.options;
    for (const group of this.groups) {
      if (group.live && group.backlog(p) >= maxBacklog) return false;
    }
    return true;
  }

  #append(p: number, message: WireMessage): PublishReceipt {
    const entry = this.logs[p]!.append(message, this.options.clock.now());
    this.trim(p);
    for (const group of this.groups) group.schedule();
    return { topic: this.name, partition: p, offset: String(entry.offset) };
  }

  #forget(waiter: PublishWaiter): void {
    waiter.owner.delete(waiter);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }
}

function abortedError(topic: string): SwitchboardError {
  return new SwitchboardError('SWB_ABORTED', 'publish aborted while waiting for back-pressure to ease', {
    details: { topic },
  });
}
