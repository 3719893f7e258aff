/**
 * One timer for every deadline in the process.
 *
 * Deadlines live in doubly linked lists, one per duration, kept sorted by inserting from the tail. Calls made
 * through one policy share a duration, so their deadlines arrive in order and insertion is O(1); removal is
 * always O(1). A single `setTimeout` is armed for the earliest deadline. When a call finishes early its entry
 * is unlinked and the timer is left alone (re-arming on every call would cost a timer per call, the very
 * thing this replaces); when it fires it expires what is due and re-arms for the next head. When no deadline
 * is pending the timer is unref'd rather than cleared (clearing and re-creating it would again cost a timer per
 * call when calls run one after another), so an idle process is never kept alive by it; it is ref'd again
 * when a deadline arrives, and dies at its next firing if none has.
 *
 * @module
 */

/** What the queue needs of an entry; {@link ExecutionScope} implements it. */
export interface DeadlineEntry {
  /** Absolute deadline, `Date.now()` milliseconds. */
  deadline: number;
  prevEntry: DeadlineEntry | undefined;
  nextEntry: DeadlineEntry | undefined;
  list: DeadlineList | undefined;
  /** Called once when the deadline passes while the entry is still queued. */
  expire(): void;
}

/** A list of entries sorted by deadline. */
export class DeadlineList {
  head: DeadlineEntry | undefined = undefined;
  tail: DeadlineEntry | undefined = undefined;
  size = 0;
  constructor(
    readonly duration: number,
    /** Pinned lists belong to a policy and stay in the queue while empty. */
    readonly pinned: boolean,
  ) {}
}

class DeadlineQueue {
  private readonly lists = new Map<number, DeadlineList>();
  private count = 0;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  // The setTimeout the timer was armed with. Test runners swap the global for a fake and back; a timer armed
  // with the other one will never fire here, so a change forces re-arming.
  private armedWith: typeof setTimeout | undefined = undefined;

  /** Number of pending deadlines (for tests and diagnostics). */
  get pending(): number {
    return this.count;
  }

  /** Whether the timer holds the event loop open (for tests and diagnostics). */
  get armed(): boolean {
    return this.timer?.hasRef() === true;
  }

  /** The list a policy with a fixed duration keeps for its calls. */
  pinnedList(duration: number): DeadlineList {
    let list = this.lists.get(duration);
    if (list === undefined || !list.pinned) {
      const pinned = new DeadlineList(duration, true);
      if (list !== undefined) this.migrate(list, pinned);
      list = pinned;
      this.lists.set(duration, list);
    }
    return list;
  }

  /** A list for an ad hoc duration; dropped again once empty. */
  listFor(duration: number): DeadlineList {
    let list = this.lists.get(duration);
    if (list === undefined) {
      list = new DeadlineList(duration, false);
      this.lists.set(duration, list);
    }
    return list;
  }

  add(entry: DeadlineEntry, list: DeadlineList): void {
    // Insert after the last entry due no later than this one (usually the tail).
    let after = list.tail;
    while (after !== undefined && after.deadline > entry.deadline) after = after.prevEntry;
    entry.list = list;
    entry.prevEntry = after;
    if (after === undefined) {
      entry.nextEntry = list.head;
      if (list.head !== undefined) list.head.prevEntry = entry;
      list.head = entry;
    } else {
      entry.nextEntry = after.nextEntry;
      if (after.nextEntry !== undefined) after.nextEntry.prevEntry = entry;
      after.nextEntry = entry;
    }
    if (entry.nextEntry === undefined) list.tail = entry;
    list.size++;
    if (this.count++ === 0 && this.timer !== undefined) this.timer.ref();
    if (entry.deadline < this.timerAt || this.armedWith !== setTimeout) this.arm(entry.deadline);
  }

  remove(entry: DeadlineEntry): void {
    const list = entry.list;
    if (list === undefined) return;
    this.unlink(entry, list);
    if (list.size === 0 && !list.pinned) this.lists.delete(list.duration);
    if (--this.count === 0) this.timer?.unref();
  }

  private unlink(entry: DeadlineEntry, list: DeadlineList): void {
    const { prevEntry, nextEntry } = entry;
    if (prevEntry === undefined) list.head = nextEntry;
    else prevEntry.nextEntry = nextEntry;
    if (nextEntry === undefined) list.tail = prevEntry;
    else nextEntry.prevEntry = prevEntry;
    entry.prevEntry = undefined;
    entry.nextEntry = undefined;
    entry.list = undefined;
    list.size--;
  }

  private migrate(from: DeadlineList, to: DeadlineList): void {
    to.head = from.head;
    to.tail = from.tail;
    to.size = from.size;
    for (let e = to.head; e !== undefined; e = e.nextEntry) e.list = to;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.armedWith = setTimeout;
    this.timer = setTimeout(fire, Math.max(0, at - Date.now()));
  }

  /** Expires every due entry and re-arms for the earliest remaining one. */
  tick(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const due: DeadlineEntry[] = [];
    let earliest = Number.POSITIVE_INFINITY;
    for (const list of this.lists.values()) {
      let head = list.head;
      while (head !== undefined && head.deadline <= now) {
        this.unlink(head, list);
        this.count--;
        due.push(head);
        head = list.head;
      }
      if (head !== undefined && head.deadline < earliest) earliest = head.deadline;
      if (list.size === 0 && !list.pinned) this.lists.delete(list.duration);
    }
    if (earliest !== Number.POSITIVE_INFINITY) this.arm(earliest);
    // Expire after the bookkeeping: expiry runs user abort listeners, which may add deadlines of their own.
    for (const entry of due) entry.expire();
  }
}

/** The process-wide deadline queue. */
export const deadlineQueue = new DeadlineQueue();

function fire(): void {
  deadlineQueue.tick();
}
