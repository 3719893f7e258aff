/**
 * A clock that only moves when told to, for deterministic tests of redelivery and drain timing.
 *
 * @module
 */
import type { MemoryClock } from './clock.js';

interface ManualTimer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/**
 * A {@link MemoryClock} whose time moves only through {@link advance}. Timers run in due order (ties in creation
 * order), synchronously inside `advance`. Deliveries the transport schedules as a result still run in
 * microtasks, so await a turn of the event loop after advancing before you look at what a handler saw.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const transport = memoryTransport({ clock });
 * // ... a handler nacks with { delayMs: 1000 }
 * clock.advance(999); // not redelivered yet
 * clock.advance(1);   // redelivered now
 * ```
 */
export class ManualClock implements MemoryClock {
  #now: number;
  #nextId = 1;
  #timers: ManualTimer[] = [];

  /** @param start the initial time in milliseconds since the epoch (default 0). */
  constructor(start = 0) {
    this.#now = start;
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#timers.length;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer: ManualTimer = { id: this.#nextId++, due: this.#now + Math.max(0, ms), fn };
    // Keep the list sorted by (due, id) so advance() pops from the front.
    let i = this.#timers.length;
    while (i > 0 && this.#timers[i - 1]!.due > timer.due) i--;
    this.#timers.splice(i, 0, timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    const i = this.#timers.findIndex((t) => t.id === handle);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Moves time forward by `ms`, running every timer that falls due, including ones they schedule meanwhile. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.due > target) break;
      this.#timers.shift();
      this.#now = next.due;
      next.fn();
    }
    this.#now = target;
  }
}
