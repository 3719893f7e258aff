/**
 * The books of a chaos scenario: which messages were published, which publishes the broker acknowledged, how
 * often each message's side effect ran, what was suppressed as a duplicate and what went to the dead-letter
 * topic. Every scenario prints one line from it and asserts `lost == 0`.
 *
 * @module
 */
import type { Bus } from '../../../src/bus/index.js';

/** Numbers of the one line a scenario prints. */
export interface LedgerCounts {
  /** Distinct messages a publisher tried to send. */
  readonly published: number;
  /** Distinct messages whose publish resolved (the broker accepted them). */
  readonly acknowledged: number;
  /** Side effects that ran (a message handled twice counts twice). */
  readonly handled: number;
  /** Deliveries the idempotency store recognised and skipped. */
  readonly duplicates: number;
  /** Distinct messages in the dead-letter topic. */
  readonly deadLettered: number;
  /** Acknowledged messages neither handled nor dead-lettered. */
  readonly lost: number;
}

/** Counts one scenario's messages. */
export class Ledger {
  readonly published = new Set<string>();
  readonly acknowledged = new Set<string>();
  readonly effects = new Map<string, number>();
  readonly deadLettered = new Set<string>();
  duplicates = 0;
  /** Publish calls that rejected (the message was retried or given up). */
  publishFailures = 0;

  /** A publisher is about to send `id`. */
  attempt(id: string): void {
    this.published.add(id);
  }

  /** The broker accepted `id`. */
  acknowledge(id: string): void {
    this.acknowledged.add(id);
  }

  /** The side effect of `id` ran; returns how often it has now. */
  effect(id: string): number {
    const times = (this.effects.get(id) ?? 0) + 1;
    this.effects.set(id, times);
    return times;
  }

  /** Counts the bus's `duplicate` events. */
  watch(bus: Bus): this {
    bus.events.on('duplicate', () => {
      this.duplicates++;
    });
    return this;
  }

  /** Side effects that ran, repeats included. */
  get handled(): number {
    let sum = 0;
    for (const times of this.effects.values()) sum += times;
    return sum;
  }

  /** Acknowledged messages neither handled nor dead-lettered. */
  lost(): string[] {
    return [...this.acknowledged].filter((id) => !this.effects.has(id) && !this.deadLettered.has(id));
  }

  /** Messages whose side effect ran more than once. */
  repeated(): string[] {
    return [...this.effects].filter(([, times]) => times > 1).map(([id]) => id);
  }

  /** Whether every acknowledged message is handled or dead-lettered. */
  complete(): boolean {
    for (const id of this.acknowledged) if (!this.effects.has(id) && !this.deadLettered.has(id)) return false;
    return true;
  }

  counts(): LedgerCounts {
    return {
      published: this.published.size,
      acknowledged: this.acknowledged.size,
      handled: this.handled,
      duplicates: this.duplicates,
      deadLettered: this.deadLettered.size,
      lost: this.lost().length,
    };
  }

  /** Prints the scenario's line (and returns it): the six counts, then scenario-specific facts. */
  report(scenario: string, extra: Record<string, string | number | boolean> = {}): string {
    const c = this.counts();
    const facts = Object.entries(extra)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const line =
      `[chaos] ${scenario}: published=${c.published} acknowledged=${c.acknowledged} handled=${c.handled} ` +
      `duplicates-suppressed=${c.duplicates} dead-lettered=${c.deadLettered} lost=${c.lost}` +
      (facts === '' ? '' : ` | ${facts}`);
    console.log(line);
    return line;
  }
}
