/**
 * One partition's bounded, append-only log.
 *
 * @module
 */
import type { WireMessage } from '../../envelope/types.js';

/** A stored message and its position. */
export interface LogEntry {
  /** Position in the partition, from 0. */
  readonly offset: number;
  readonly message: WireMessage;
  /** Append time in milliseconds since the epoch, from the broker's clock. */
  readonly timestamp: number;
}

// Compact the backing array once this many dropped slots sit in front of the live ones.
const COMPACT_AT = 1024;

/**
 * The messages of one partition from `start` (oldest kept) to `end` (the next offset to be written). Entries
 * are dropped only from the head, so offsets stay dense.
 */
export class PartitionLog {
  #entries: LogEntry[] = [];
  #head = 0;
  /** Offset of the oldest entry still kept. */
  start = 0;
  /** Offset the next append gets. */
  end = 0;

  /** Entries currently kept. */
  get size(): number {
    return this.end - this.start;
  }

  /** Appends a message and returns its entry. */
  append(message: WireMessage, timestamp: number): LogEntry {
    const entry: LogEntry = { offset: this.end, message, timestamp };
    this.#entries.push(entry);
    this.end++;
    return entry;
  }

  /** The entry at `offset`, if still kept. */
  at(offset: number): LogEntry | undefined {
    if (offset < this.start || offset >= this.end) return undefined;
    return this.#entries[this.#head + offset - this.start];
  }

  /** The oldest kept entry. */
  oldest(): LogEntry | undefined {
    return this.start < this.end ? this.#entries[this.#head] : undefined;
  }

  /** Drops the oldest entry. */
  dropOldest(): void {
    if (this.start >= this.end) return;
    this.#entries[this.#head] = undefined as unknown as LogEntry;
    this.#head++;
    this.start++;
    if (this.#head >= COMPACT_AT && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
