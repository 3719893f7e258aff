/**
 * The time source of the in-memory transport: real timers by default, a manual clock in deterministic tests.
 *
 * @module
 */

/**
 * What the in-memory transport needs from time: the current time and one-shot timers. Every delay it applies
 * (nack redelivery, a zero-delay redelivery, the drain grace period) goes through it, so a test that supplies
 * {@link ManualClock} decides exactly when redeliveries happen.
 *
 * @example
 * ```ts
 * const clock: MemoryClock = { now: Date.now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout };
 * ```
 */
export interface MemoryClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once, `ms` milliseconds from now (`0`: on a later turn of the event loop, never synchronously). */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer made by {@link setTimeout}; unknown or fired handles are ignored. */
  clearTimeout(handle: unknown): void;
}

class ImmediateHandle {
  constructor(readonly immediate: NodeJS.Immediate) {}
}

/**
 * Real time. A zero delay uses `setImmediate`, so a handler that nacks at once lets I/O and timers run between
 * redeliveries instead of spinning in microtasks.
 *
 * @example
 * ```ts
 * memoryTransport({ clock: systemClock }); // the default
 * ```
 */
export const systemClock: MemoryClock = {
  now: Date.now,
  setTimeout(fn, ms) {
    return ms > 0 ? setTimeout(fn, ms) : new ImmediateHandle(setImmediate(fn));
  },
  clearTimeout(handle) {
    if (handle instanceof ImmediateHandle) clearImmediate(handle.immediate);
    else clearTimeout(handle as NodeJS.Timeout);
  },
};
