import {
  Consumer,
  type ConsumerGroupJoinPayload,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import type { DeliveryHandler, StartPosition, Subscription } from '../types.js';
import { subscriptionAwareRoundRobin } from './assigner.js';
import { KafkaDelivery, RESOLVED } from './delivery.js';
import { type DispatchEntry, Dispatcher } from './dispatcher.js';
import { toKafkaError } from './errors.js';
import type { ResolvedKafkaOptions } from './options.js';
import { PartitionOffsets, type TrackedOffset } from './partition-offsets.js';

type Record = Message<Buffer, Buffer, Buffer, Buffer>;

/** One partition's commit as the client takes it. */
interface CommitOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
}

/** A received record on its way through the dispatcher; it is also its own commit tracking entry. */
interface Entry extends DispatchEntry, TrackedOffset {
  readonly partition: number;
  readonly record: Record;
  attempt: number;
  delivery: KafkaDelivery<Entry> | undefined;
  /** The handler of the current delivery returned (or threw). */
  handlerDone: boolean;
  /** The slot of a dead delivery was given back to the dispatcher. */
  released: boolean;
}

/** What a subscription reports to its transport. @internal */
export interface SubscriptionHooks {
  error(error: unknown, context: string): void;
  restarted(reason: string): void;
  closed(subscription: KafkaSubscription): void;
}

/** Settings of one subscription, resolved by the transport. @internal */
export interface SubscriptionSettings {
  readonly topic: string;
  readonly group: string;
  readonly startFrom: StartPosition;
  readonly concurrency: number;
  readonly ordered: boolean;
  readonly orderBy: 'partition' | 'key';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One consumer group member reading one topic.
 *
 * Records flow: the client's stream -> per-partition offset tracking -> the dispatcher (concurrency, ordering
 * lanes, delayed redelivery) -> the handler. Acks move each partition's commit point, which is committed by a
 * single-flight loop (acks arriving during a commit are folded into the next one), so a commit never passes an
 * unhandled record.
 *
 * `nack` is served from memory: the record stays at the front of its ordering lane and blocks the partition's
 * commit point until it is acked, which is what pause-and-seek achieves, without fetching it again. The attempt
 * counter lives with the record in memory; it restarts at 1 when the partition moves to another member or the
 * process restarts (the broker redelivers from the last commit, which cannot have passed the record).
 *
 * Rebalances (eager, the default): when the heartbeat reports one, what was handled so far is committed at once
 * (before this member's JoinGroup, so the broker still takes it) and nothing new is handed out until the join
 * completes; in-flight handlers may finish and ack. At the join, a revoked partition's queued records are dropped
 * and its still-unsettled deliveries aborted (signal fired, ack a no-op), so its next owner redelivers at most what
 * was in flight. A partition kept across the rebalance keeps its state; records the client re-fetches from the
 * last commit are recognised by offset and dropped. Commits are never sent mid-join (see #commitNow).
 *
 * @internal
 */
export class KafkaSubscription implements Subscription {
  readonly topic: string;
  readonly group: string;
  readonly #settings: SubscriptionSettings;
  readonly #options: ResolvedKafkaOptions;
  readonly #handler: DeliveryHandler;
  readonly #hooks: SubscriptionHooks;
  readonly #dispatcher: Dispatcher<Entry>;
  readonly #partitions = new Map<number, PartitionOffsets>();
  readonly #inflight = new Set<Entry>();
  /** Lane names per partition, made once. */
  readonly #partitionLanes: string[] = [];
  #assigned = new Set<number>();
  #memberId: string | null = null;
  #consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #userPaused = false;
  #rebalancing = false;
  #closing = false;
  #closed = false;
  #closePromise: Promise<void> | undefined;
  #settleWaiters: (() => void)[] = [];
  #commitScheduled = false;
  #committing: Promise<void> | undefined;
  #commitAgain = false;
  #commitRetry: NodeJS.Timeout | undefined;
  #restarting = false;

  constructor(
    settings: SubscriptionSettings,
    options: ResolvedKafkaOptions,
    handler: DeliveryHandler,
    hooks: SubscriptionHooks,
  ) {
    this.#settings = settings;
    this.#options = options;
    this.topic = settings.topic;
    this.group = settings.group;
    this.#handler = handler;
    this.#hooks = hooks;
    this.#dispatcher = new Dispatcher<Entry>(settings.concurrency, (entry) => this.#deliver(entry));
  }

  get paused(): boolean {
    return this.#userPaused;
  }

  /** Unsettled deliveries. */
  get inflight(): number {
    return this.#dispatcher.inflight;
  }

  /** The consumer in use (for lag), when running. */
  get consumer(): Consumer<Buffer, Buffer, Buffer, Buffer> | undefined {
    return this.#consumer;
  }

  pause(): void {
    this.#userPaused = true;
    this.#dispatcher.pause();
  }

  resume(): void {
    if (!this.#userPaused) return;
    this.#userPaused = false;
    if (!this.#closing && !this.#rebalancing) this.#dispatcher.resume();
    this.#updateBackpressure();
  }

  /** Joins the group and waits until the fetch positions are known, so later publishes are seen. */
  async start(): Promise<void> {
    const consumer = this.#createConsumer();
    this.#consumer = consumer;
    let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
    try {
      stream = await consumer.consume({
        topics: [this.topic],
        mode: 'committed',
        fallbackMode: this.#settings.startFrom,
        autocommit: false,
        maxWaitTime: this.#options.consumer.maxWaitTimeMs,
        ...(this.#options.consumer.maxBytes === undefined
          ? {}
          : { maxBytes: this.#options.consumer.maxBytes }),
        sessionTimeout: this.#options.consumer.sessionTimeoutMs,
        heartbeatInterval: this.#options.consumer.heartbeatIntervalMs,
        rebalanceTimeout: this.#options.consumer.rebalanceTimeoutMs,
      });
    } catch (error) {
      await consumer.close(true).catch(() => {});
      this.#consumer = undefined;
      throw toKafkaError('SWB_SUBSCRIBE_FAILED', 'subscribe', error, {
        topic: this.topic,
        group: this.group,
      });
    }
    const ready = new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        stream.off('offsets', onOffsets);
        stream.off('error', onError);
        if (error) reject(error);
        else resolve();
      };
      const onOffsets = () => done();
      const onError = (error: Error) => done(error);
      // The positions come right after the join; a stream that never reports them is a broker in trouble.
      const timer = setTimeout(
        () => done(new Error('no fetch positions')),
        this.#options.consumer.rebalanceTimeoutMs + 30_000,
      );
      stream.once('offsets', onOffsets);
      stream.once('error', onError);
    });
    this.#attachStream(stream);
    try {
      await ready;
      if (this.#settings.startFrom === 'latest') await this.#pinStartPositions(stream);
    } catch (error) {
      await this.#teardownClient();
      throw toKafkaError('SWB_SUBSCRIBE_FAILED', 'subscribe', error, {
        topic: this.topic,
        group: this.group,
      });
    }
  }

  #createConsumer(): Consumer<Buffer, Buffer, Buffer, Buffer> {
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...this.#options.base,
      groupId: this.group,
      autocommit: false,
      sessionTimeout: this.#options.consumer.sessionTimeoutMs,
      heartbeatInterval: this.#options.consumer.heartbeatIntervalMs,
      rebalanceTimeout: this.#options.consumer.rebalanceTimeoutMs,
      protocols: [{ name: this.#options.consumer.assignor, version: 1 }],
      // Eager groups use our assigner, which honours each member's own topics (see assigner.ts).
      ...(this.#options.consumer.assignor === 'roundrobin'
        ? { partitionAssigner: subscriptionAwareRoundRobin }
        : {}),
      maxWaitTime: this.#options.consumer.maxWaitTimeMs,
      ...(this.#options.consumer.maxBytes === undefined ? {} : { maxBytes: this.#options.consumer.maxBytes }),
    });
    consumer.on('consumer:group:join', (payload) => this.#onJoin(payload));
    consumer.on('consumer:group:rebalance', () => this.#onRebalance());
    consumer.on('consumer:heartbeat:error', (payload) => this.#hooks.error(payload.error, 'kafka heartbeat'));
    // The client emits `error` when a rejoin fails for good; an EventEmitter without a listener would throw it.
    consumer.on('error', (error: Error) => {
      this.#hooks.error(error, 'kafka consumer');
      if (!this.#closing) void this.#restart('the consumer failed to rejoin its group');
    });
    return consumer;
  }

  #attachStream(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): void {
    this.#stream = stream;
    stream.on('data', (record) => this.#onRecord(record as Record));
    stream.on('error', (error) => {
      if (this.#stream !== stream || this.#closing) return;
      this.#hooks.error(error, 'kafka consumer stream');
    });
    stream.on('close', () => {
      if (this.#stream !== stream || this.#closing) return;
      void this.#restart('the consumer stream closed');
    });
  }

  /**
   * A group starting at `latest` has no committed offset yet: if the member restarted before its first commit, it
   * would start at the *new* end and skip what was published meanwhile. Committing the start positions at once
   * pins them.
   */
  async #pinStartPositions(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer || this.#assigned.size === 0) return;
    const partitions = [...this.#assigned];
    const committed = await consumer.listCommittedOffsets({ topics: [{ topic: this.topic, partitions }] });
    const known = committed.get(this.topic) ?? [];
    const offsets: CommitOffset[] = [];
    for (const partition of partitions) {
      if ((known[partition] ?? -1n) >= 0n) continue;
      const position = stream.offsetsToFetch.get(`${this.topic}:${partition}`);
      if (position !== undefined)
        offsets.push({ topic: this.topic, partition, offset: position, leaderEpoch: -1 });
    }
    if (offsets.length > 0) await consumer.commit({ offsets });
  }

  #onRecord(record: Record): void {
    if (this.#closing || !this.#assigned.has(record.partition)) return;
    let offsets = this.#partitions.get(record.partition);
    if (!offsets) {
      offsets = new PartitionOffsets();
      this.#partitions.set(record.partition, offsets);
    }
    if (!offsets.accepts(record.offset)) return;
    const entry: Entry = {
      lane: this.#laneOf(record),
      dead: false,
      offset: record.offset,
      leaderEpoch: record.leaderEpoch,
      acked: false,
      partition: record.partition,
      record,
      attempt: 1,
      delivery: undefined,
      handlerDone: false,
      released: false,
    };
    offsets.track(entry);
    this.#dispatcher.enqueue(entry);
    this.#updateBackpressure();
  }

  #laneOf(record: Record): string | undefined {
    if (!this.#settings.ordered) return undefined;
    if (this.#settings.orderBy === 'partition') {
      let lane = this.#partitionLanes[record.partition];
      if (lane === undefined) {
        lane = `${record.partition}`;
        this.#partitionLanes[record.partition] = lane;
      }
      return lane;
    }
    // A record without key shares a lane with the other keyless records of its partition.
    return record.key === undefined || record.key === null
      ? `${record.partition}\u0000`
      : `${record.partition}\u0000k${record.key.toString('latin1')}`;
  }

  /** Stops fetching while too much is buffered (a slow handler keeps memory bounded), resumes below half. */
  #updateBackpressure(): void {
    const stream = this.#stream;
    if (!stream || this.#closing) return;
    const queued = this.#dispatcher.queued;
    const limit = this.#options.maxBufferedMessages;
    // The client pauses and resumes the stream itself around a cooperative revocation, so ask the stream rather
    // than remember what was done to it.
    if (queued >= limit) {
      if (!stream.isPaused()) stream.pause();
    } else if (queued <= limit / 2 && stream.isPaused()) {
      stream.resume();
    }
  }

  #deliver(entry: Entry): void {
    const delivery = new KafkaDelivery<Entry>(this, entry, this.topic, entry.record, entry.attempt);
    entry.delivery = delivery;
    entry.handlerDone = false;
    entry.released = false;
    this.#inflight.add(entry);
    let result: void | Promise<void>;
    try {
      result = this.#handler(delivery);
    } catch (error) {
      this.#handlerFinished(entry, delivery, error, true);
      return;
    }
    if (result === RESOLVED) {
      // `return delivery.ack()`: settled already, nothing can fail later; skip a promise reaction per record.
      this.#handlerFinished(entry, delivery, undefined, false);
    } else if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => this.#handlerFinished(entry, delivery, undefined, false),
        (error: unknown) => this.#handlerFinished(entry, delivery, error, true),
      );
    } else {
      this.#handlerFinished(entry, delivery, undefined, false);
    }
  }

  #handlerFinished(entry: Entry, delivery: KafkaDelivery<Entry>, _error: unknown, failed: boolean): void {
    if (entry.delivery !== delivery) return;
    entry.handlerDone = true;
    // The contract: a handler that throws without settling gets its delivery nacked without delay.
    if (failed && !delivery.settled) void delivery.nack();
    if (entry.dead) this.#release(entry);
  }

  /** Frees the slot of a delivery that died (revoked or closed) once, when its handler is done or it settles. */
  #release(entry: Entry): void {
    if (entry.released || !this.#inflight.has(entry)) return;
    entry.released = true;
    this.#inflight.delete(entry);
    this.#dispatcher.released();
    this.#notifySettled();
  }

  /** @internal Called by {@link KafkaDelivery.ack}. */
  ack(entry: Entry, delivery: KafkaDelivery<Entry>): boolean {
    if (entry.delivery !== delivery || entry.dead || this.#closed) {
      if (entry.dead) this.#release(entry);
      return false;
    }
    this.#inflight.delete(entry);
    const offsets = this.#partitions.get(entry.partition);
    const moved = offsets?.ack(entry) ?? false;
    this.#dispatcher.acked(entry);
    if (moved) this.#scheduleCommit();
    this.#notifySettled();
    this.#updateBackpressure();
    return true;
  }

  /** @internal Called by {@link KafkaDelivery.nack}. */
  nack(entry: Entry, delivery: KafkaDelivery<Entry>, delayMs: number): boolean {
    if (entry.delivery !== delivery || entry.dead || this.#closed) {
      if (entry.dead) this.#release(entry);
      return false;
    }
    this.#inflight.delete(entry);
    entry.attempt++;
    entry.delivery = undefined;
    this.#dispatcher.nacked(entry, delayMs);
    this.#notifySettled();
    return true;
  }

  #notifySettled(): void {
    if (this.#settleWaiters.length === 0) return;
    const waiters = this.#settleWaiters;
    this.#settleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  #onRebalance(): void {
    const consumer = this.#consumer;
    if (!consumer || this.#closing) return;
    // Cooperative rebalancing updates the assignment before this event: what left it is revoked now, before the
    // partitions reach their new owner. Eager rebalancing revokes everything at the join that follows; until
    // then nothing new is handed out, so fewer deliveries are duplicated.
    const current = new Set<number>();
    for (const assignment of consumer.assignments ?? []) {
      if (assignment.topic === this.topic) for (const p of assignment.partitions) current.add(p);
    }
    const revoked = [...this.#assigned].filter((p) => !current.has(p));
    if (revoked.length > 0) {
      this.#revoke(revoked, 'partition revoked by a rebalance');
      this.#assigned = current;
    }
    if (this.#options.consumer.assignor === 'roundrobin' && !this.#rebalancing) {
      this.#commitBeforeRejoin(consumer);
      this.#rebalancing = true;
      this.#dispatcher.pause();
      // Should the join never be reported (a rejoin that failed and is being retried), do not stall forever.
      const consumerAtStart = consumer;
      setTimeout(() => {
        if (this.#rebalancing && this.#consumer === consumerAtStart) this.#endRebalance();
      }, this.#options.consumer.rebalanceTimeoutMs).unref();
    }
    this.#scheduleCommit();
  }

  #onJoin(payload: ConsumerGroupJoinPayload): void {
    if (this.#closing) return;
    const next = new Set<number>();
    for (const assignment of payload.assignments ?? []) {
      if (assignment.topic === this.topic) for (const p of assignment.partitions) next.add(p);
    }
    // A new member id means the broker dropped this member (session expired): nothing it held is its own now.
    const memberChanged = this.#memberId !== null && payload.memberId !== this.#memberId;
    this.#memberId = payload.memberId;
    const revoked = [...this.#assigned].filter((p) => memberChanged || !next.has(p));
    if (revoked.length > 0) this.#revoke(revoked, 'partition revoked by a rebalance');
    this.#assigned = next;
    this.#endRebalance();
  }

  #endRebalance(): void {
    if (this.#rebalancing) {
      this.#rebalancing = false;
      if (!this.#userPaused && !this.#closing) this.#dispatcher.resume();
    }
    this.#scheduleCommit();
  }

  /** Gives partitions up: commit what was handled, drop what is queued, abort what is in flight. */
  #revoke(partitions: number[], reason: string): void {
    const gone = new Set(partitions);
    // The commit point is final for these partitions. It can only be sent while the member is stable (see
    // #commitNow); otherwise what was acknowledged since the last commit is redelivered to the new owner.
    const offsets: CommitOffset[] = [];
    for (const p of gone) {
      const point = this.#partitions.get(p)?.uncommitted();
      if (point)
        offsets.push({
          topic: this.topic,
          partition: p,
          offset: point.offset,
          leaderEpoch: point.leaderEpoch,
        });
      this.#partitions.delete(p);
    }
    if (offsets.length > 0) {
      this.#commitNow(offsets).catch((error: unknown) => this.#hooks.error(error, 'kafka commit on revoke'));
    }
    this.#dispatcher.drop(
      (entry) => gone.has(entry.partition),
      (lane) => gone.has(Number.parseInt(lane, 10)),
    );
    for (const entry of [...this.#inflight]) {
      if (!gone.has(entry.partition)) continue;
      entry.dead = true;
      entry.delivery?.abort(reason);
      if (entry.handlerDone) this.#release(entry);
    }
    this.#updateBackpressure();
  }

  #scheduleCommit(): void {
    if (this.#commitScheduled) return;
    this.#commitScheduled = true;
    setImmediate(() => {
      this.#commitScheduled = false;
      void this.#flushCommits();
    });
  }

  /** Commits every partition's commit point; one commit at a time, repeated while acks moved points meanwhile. */
  #flushCommits(): Promise<void> {
    if (this.#committing) {
      this.#commitAgain = true;
      return this.#committing;
    }
    this.#committing = (async () => {
      let failures = 0;
      do {
        this.#commitAgain = false;
        const consumer = this.#consumer;
        if (!consumer) break;
        const offsets: CommitOffset[] = [];
        for (const [partition, tracker] of this.#partitions) {
          const point = tracker.uncommitted();
          if (point)
            offsets.push({
              topic: this.topic,
              partition,
              offset: point.offset,
              leaderEpoch: point.leaderEpoch,
            });
        }
        if (offsets.length === 0) break;
        try {
          if (!(await this.#commitNow(offsets))) break;
          failures = 0;
          for (const o of offsets) this.#partitions.get(o.partition)?.confirm(o.offset);
        } catch (error) {
          failures++;
          this.#hooks.error(error, 'kafka commit');
          // A rebalance in progress: the join that follows schedules the commit again.
          if (this.#rebalancing) break;
          if (failures >= 5) {
            // Keep trying on a slow timer: with no further acks nothing else would send this commit.
            this.#retryCommitLater();
            break;
          }
          await sleep(Math.min(1000, 50 * 2 ** failures));
          this.#commitAgain = true;
        }
      } while (this.#commitAgain);
    })().finally(() => {
      this.#committing = undefined;
    });
    return this.#committing;
  }

  #retryCommitLater(): void {
    if (this.#commitRetry || this.#closed) return;
    this.#commitRetry = setTimeout(() => {
      this.#commitRetry = undefined;
      if (!this.#closed) this.#scheduleCommit();
    }, 2000);
    this.#commitRetry.unref();
  }

  /**
   * Sends a commit when the member is stable. During a (re)join the client would stamp the commit with a generation
   * that is about to change; the broker answers with a rejoin error, and the client then starts *another* join
   * for the commit's sake, which restarts the rebalance for every member: with commits after every ack, the group
   * never settles. So commits wait for the join to complete (the join schedules them again). Returns whether the
   * commit was sent.
   */
  async #commitNow(offsets: CommitOffset[]): Promise<boolean> {
    const consumer = this.#consumer;
    if (!consumer || this.#rebalancing || !consumer.isActive()) return false;
    await consumer.commit({ offsets });
    return true;
  }

  /**
   * Eager rebalancing: the broker waits for every member to rejoin, and until this member sends its JoinGroup the
   * group accepts commits of the current generation. The client sends that JoinGroup right after emitting the
   * rebalance event, on the same coordinator connection, so a commit issued synchronously from the event goes out
   * first and lands: what was acknowledged so far is not redelivered to the partitions' next owners.
   */
  #commitBeforeRejoin(consumer: Consumer<Buffer, Buffer, Buffer, Buffer>): void {
    const offsets: CommitOffset[] = [];
    for (const [partition, tracker] of this.#partitions) {
      const point = tracker.uncommitted();
      if (point)
        offsets.push({ topic: this.topic, partition, offset: point.offset, leaderEpoch: point.leaderEpoch });
    }
    if (offsets.length === 0) return;
    consumer.commit({ offsets }).then(
      () => {
        for (const o of offsets) this.#partitions.get(o.partition)?.confirm(o.offset);
      },
      (error: unknown) => {
        this.#hooks.error(error, 'kafka commit before rejoin');
      },
    );
  }

  /** Replaces a consumer whose stream died (the client gave up after its retries) with a fresh member. */
  async #restart(reason: string): Promise<void> {
    if (this.#restarting || this.#closing) return;
    this.#restarting = true;
    this.#hooks.restarted(reason);
    try {
      this.#revoke([...this.#assigned], reason);
      this.#assigned = new Set();
      await this.#teardownClient();
      for (let attempt = 1; !this.#closing; attempt++) {
        try {
          await this.start();
          return;
        } catch (error) {
          this.#hooks.error(error, 'kafka consumer restart');
          await sleep(Math.min(5000, 200 * 2 ** attempt));
        }
      }
    } finally {
      this.#restarting = false;
    }
  }

  async #teardownClient(): Promise<void> {
    const stream = this.#stream;
    const consumer = this.#consumer;
    this.#stream = undefined;
    this.#consumer = undefined;
    if (stream) await stream.close().catch(() => {});
    if (consumer) await consumer.close(true).catch(() => {});
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closePromise ??= this.#close(Math.max(0, options.graceMs ?? 0));
    return this.#closePromise;
  }

  async #close(graceMs: number): Promise<void> {
    this.#closing = true;
    this.#dispatcher.pause();
    this.#stream?.pause();
    const deadline = Date.now() + graceMs;
    while (this.#inflight.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#settleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    // Whatever is still out goes back to the broker unacknowledged: its commit point cannot pass it.
    for (const entry of this.#inflight) {
      entry.dead = true;
      entry.delivery?.abort('subscription closed');
    }
    this.#dispatcher.clear();
    // Commit what was acknowledged before close; nothing acknowledged later counts.
    this.#closed = true;
    if (this.#commitRetry) clearTimeout(this.#commitRetry);
    await this.#committing;
    await this.#flushCommits().catch(() => {});
    await this.#teardownClient();
    this.#hooks.closed(this);
  }

  /** Messages of this group waiting in the topic: log end minus committed offset, summed over partitions. */
  async lag(): Promise<number | undefined> {
    const consumer = this.#consumer;
    if (!consumer) return undefined;
    const ends = (await consumer.listOffsets({ topics: [this.topic] })).get(this.topic) ?? [];
    const partitions = ends.map((_, i) => i);
    const committed =
      (await consumer.listCommittedOffsets({ topics: [{ topic: this.topic, partitions }] })).get(
        this.topic,
      ) ?? [];
    let lag = 0n;
    for (const p of partitions) {
      const end = ends[p] ?? 0n;
      const done = committed[p] ?? -1n;
      lag += done >= 0n ? end - done : end;
    }
    return Number(lag);
  }
}
