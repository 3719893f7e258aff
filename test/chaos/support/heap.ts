/**
 * Settled-memory sampling: a full GC, then heap plus array buffers (message bodies live in array buffers), on a
 * timer. Needs `--expose-gc` (the chaos project passes it to its workers).
 *
 * @module
 */

/** Heap and array-buffer bytes after a full collection. */
export function settledMemory(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc (the chaos project does)');
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Samples {@link settledMemory} every `everyMs` until stopped; reports the baseline and the peak. */
export class MemorySampler {
  readonly baseline: number;
  peak: number;
  #timer: NodeJS.Timeout;

  constructor(everyMs = 250) {
    this.baseline = settledMemory();
    this.peak = this.baseline;
    this.#timer = setInterval(() => {
      this.peak = Math.max(this.peak, settledMemory());
    }, everyMs);
  }

  /** Growth of the peak over the baseline, in bytes. */
  get growth(): number {
    return this.peak - this.baseline;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.peak = Math.max(this.peak, settledMemory());
  }
}

/** Bytes as MiB with one decimal. */
export const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
