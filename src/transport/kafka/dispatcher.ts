import { Fifo } from './fifo.js';

/** What the dispatcher needs to know of a message waiting to be handled. */
export interface DispatchEntry {
  /**
   * Ordering lane: entries of one lane are handed out one at a time, in order (a partition, or a key within a
   * partition). `undefined`: no ordering, the entry may run beside any other.
   */
  readonly lane: string | undefined;
  /** Set when the transport lost the right to settle the entry (partition revoked, subscription closed). */
  dead: boolean;
}

/**
 * Hands entries to a consumer callback under two rules: at most `concurrency` unsettled at once, and within an
 * ordering lane only one unsettled (or waiting for its redelivery) at a time, the next one after it is acknowledged.
 *
 * Redelivery after a nack puts the entry back in front of its lane, so nothing of that lane passes it: this is
 * how the Kafka transport implements "pause and seek" without asking the broker to fetch again (the record is
 * still in memory, and the partition's commit point cannot pass it).
 *
 * @internal
 */
export class Dispatcher<E extends DispatchEntry> {
  readonly #deliver: (entry: E) => void;
  readonly #concurrency: number;
  readonly #ready = new Fifo<E>();
  /** Entries queued behind the busy head of their lane. */
  readonly #lanes = new Map<string, Fifo<E>>();
  readonly #busyLanes = new Set<string>();
  /** Entries waiting for their redelivery, with the function that cancels it. */
  readonly #timers = new Map<E, () => void>();
  #inflight = 0;
  #queued = 0;
  #paused = false;
  #pumping = false;

  constructor(concurrency: number, deliver: (entry: E) => void) {
    this.#concurrency = Math.max(1, Math.floor(concurrency));
    this.#deliver = deliver;
  }

  /** Unsettled entries handed out. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Entries received and not handed out yet (including those waiting for a delayed redelivery). */
  get queued(): number {
    return this.#queued;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Adds a newly received entry. */
  enqueue(entry: E): void {
    this.#queued++;
    const lane = entry.lane;
    if (lane === undefined) {
      this.#ready.push(entry);
    } else if (this.#busyLanes.has(lane)) {
      let queue = this.#lanes.get(lane);
      if (!queue) {
        queue = new Fifo<E>();
        this.#lanes.set(lane, queue);
      }
      queue.push(entry);
    } else {
      this.#busyLanes.add(lane);
      this.#ready.push(entry);
    }
    this.pump();
  }

  /** The handed-out entry was acknowledged: free its slot and let the next of its lane through. */
  acked(entry: E): void {
    this.#inflight--;
    if (!entry.dead) this.#advanceLane(entry.lane);
    this.pump();
  }

  /**
   * The handed-out entry was nacked: free its slot and hand it out again after `delayMs`, ahead of its lane.
   */
  nacked(entry: E, delayMs: number): void {
    this.#inflight--;
    if (entry.dead) {
      this.pump();
      return;
    }
    this.#queued++;
    const redeliver = () => {
      this.#timers.delete(entry);
      if (entry.dead) {
        this.#queued--;
        return;
      }
      this.#ready.unshift(entry);
      this.pump();
    };
    // Even "now" goes through the event loop: a handler that fails at once would otherwise spin in microtasks
    // and starve heartbeats, fetches and timers.
    if (delayMs > 0) {
      const timer = setTimeout(redeliver, delayMs);
      timer.unref?.();
      this.#timers.set(entry, () => clearTimeout(timer));
    } else {
      const immediate = setImmediate(redeliver);
      this.#timers.set(entry, () => clearImmediate(immediate));
    }
    this.pump();
  }

  /** A handed-out entry that died (revoked) and whose handler has now finished: only its slot is freed. */
  released(): void {
    this.#inflight--;
    this.pump();
  }

  /**
   * Drops every queued entry for which `matches` is true, marking it dead, and frees the lanes for which
   * `laneMatches` is true (revocation of a partition: its entries and its lanes go together). Handed-out entries
   * are the caller's to abort; they free their slot through {@link released}.
   */
  drop(matches: (entry: E) => boolean, laneMatches: (lane: string) => boolean): void {
    const kill = (entry: E) => {
      if (!matches(entry)) return false;
      entry.dead = true;
      this.#queued--;
      return true;
    };
    this.#ready.removeWhere(kill);
    for (const [lane, queue] of this.#lanes) {
      queue.removeWhere(kill);
      if (queue.size === 0 || laneMatches(lane)) this.#lanes.delete(lane);
    }
    for (const [entry, cancel] of this.#timers) {
      if (kill(entry)) {
        cancel();
        this.#timers.delete(entry);
      }
    }
    for (const lane of [...this.#busyLanes]) if (laneMatches(lane)) this.#busyLanes.delete(lane);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.pump();
  }

  /** Cancels redelivery timers and forgets everything queued (close). */
  clear(): void {
    for (const cancel of this.#timers.values()) cancel();
    for (const entry of this.#timers.keys()) entry.dead = true;
    this.#timers.clear();
    for (const entry of this.#ready) entry.dead = true;
    for (const queue of this.#lanes.values()) for (const entry of queue) entry.dead = true;
    this.#ready.clear();
    this.#lanes.clear();
    this.#busyLanes.clear();
    this.#queued = 0;
  }

  #advanceLane(lane: string | undefined): void {
    if (lane === undefined) return;
    const queue = this.#lanes.get(lane);
    const next = queue?.shift();
    if (next === undefined) {
      this.#lanes.delete(lane);
      this.#busyLanes.delete(lane);
      return;
    }
    if (queue?.size === 0) this.#lanes.delete(lane);
    this.#ready.push(next);
  }

  /** Hands out ready entries while there is room. Re-entrant calls (from a synchronous settle) are folded in. */
  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#paused && this.#inflight < this.#concurrency) {
        const entry = this.#ready.shift();
        if (entry === undefined) break;
        this.#queued--;
        if (entry.dead) continue;
        this.#inflight++;
        this.#deliver(entry);
      }
    } finally {
      this.#pumping = false;
    }
  }
}
