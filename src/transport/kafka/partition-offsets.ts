import { Fifo } from './fifo.js';

/** One received record as far as committing is concerned. */
export interface TrackedOffset {
  readonly offset: bigint;
  /** Leader epoch of the record batch, sent with the commit (KIP-320). */
  readonly leaderEpoch: number;
  /** Set once the handler acknowledged the record. */
  acked: boolean;
}

/** A commit the consumer should send for one partition. */
export interface CommitPoint {
  /** The next offset to read: every record below it was handled. */
  readonly offset: bigint;
  readonly leaderEpoch: number;
}

/**
 * Tracks the records of one partition between receipt and commit, and answers the one question commits need:
 * up to where has *every* record been handled?
 *
 * Records are tracked in the order they were received, which is offset order, so gaps in the offsets (transaction
 * markers, compacted records) do not matter: the commit point is the offset of the first record not yet acknowledged,
 * or one past the last received record when all are acknowledged. It never passes an unacknowledged record, which is
 * the at-least-once guarantee: a crash redelivers everything that was not handled.
 *
 * @internal
 */
export class PartitionOffsets {
  readonly #records = new Fifo<TrackedOffset>();
  /** One past the highest offset received: records below it that arrive again (a re-fetch) are duplicates. */
  #nextOffset: bigint | undefined;
  /** The highest commit point computed so far (monotonic). */
  #commitPoint: CommitPoint | undefined;
  /** The commit point the broker confirmed. */
  #committed: bigint | undefined;

  /** Offset after the last received record, when any was received. */
  get nextOffset(): bigint | undefined {
    return this.#nextOffset;
  }

  /** Records received and not yet part of a commit point. */
  get pending(): number {
    return this.#records.size;
  }

  /** The last offset the broker confirmed as committed (by this tracker). */
  get committed(): bigint | undefined {
    return this.#committed;
  }

  /**
   * Registers a received record. Returns `undefined` for a record at or below one already received (the stream
   * re-fetched it after a rebalance while this member kept the partition), which the caller drops.
   */
  receive(offset: bigint, leaderEpoch: number): TrackedOffset | undefined {
    if (!this.accepts(offset)) return undefined;
    const tracked: TrackedOffset = { offset, leaderEpoch, acked: false };
    this.track(tracked);
    return tracked;
  }

  /** Whether a record at `offset` is new (not a re-fetch of one already received). */
  accepts(offset: bigint): boolean {
    return this.#nextOffset === undefined || offset >= this.#nextOffset;
  }

  /** Registers a received record the caller built itself (saves an object per record); see {@link accepts}. */
  track(tracked: TrackedOffset): void {
    this.#nextOffset = tracked.offset + 1n;
    this.#records.push(tracked);
  }

  /** Marks a record handled; returns true when this moved the commit point. */
  ack(tracked: TrackedOffset): boolean {
    if (tracked.acked) return false;
    tracked.acked = true;
    let moved = false;
    let head = this.#records.peek();
    while (head?.acked) {
      this.#records.shift();
      this.#commitPoint = { offset: head.offset + 1n, leaderEpoch: head.leaderEpoch };
      moved = true;
      head = this.#records.peek();
    }
    return moved;
  }

  /** The commit to send, when there is one the broker has not confirmed yet. */
  uncommitted(): CommitPoint | undefined {
    const point = this.#commitPoint;
    if (point === undefined) return undefined;
    if (this.#committed !== undefined && this.#committed >= point.offset) return undefined;
    return point;
  }

  /** Records that the broker confirmed a commit at `offset`. */
  confirm(offset: bigint): void {
    if (this.#committed === undefined || offset > this.#committed) this.#committed = offset;
  }
}
