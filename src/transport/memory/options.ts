/**
 * Options of the in-memory broker and transport, with their defaults and validation.
 *
 * @module
 */
import { SwitchboardError } from '../../errors.js';
import { type MemoryClock, systemClock } from './clock.js';

/**
 * How much each topic partition keeps. Retention never drops a message a group with a live subscriber has not
 * been handed yet (back-pressure bounds those instead); it may drop messages that only groups without a live
 * subscriber still wait for, and counts them as dropped in `health().detail`.
 *
 * Two kinds of message are kept: those some group has not read yet (a group whose subscriber is away, or no
 * group at all yet: messages published before the first subscriber), up to `maxMessages`; and history every
 * group has already been handed, kept for groups created later with `startFrom: 'earliest'`, up to
 * `maxConsumed`. History is kept short by default because a message that stays alive for long gets promoted
 * out of V8's young generation: with 10 000 read messages kept per partition, garbage collection took over
 * 40 % of the bus's CPU on the in-memory benchmark (bench/ANALYSIS.md).
 *
 * @example
 * ```ts
 * // Keep more history for late groups, and nothing older than ten minutes.
 * memoryTransport({ retention: { maxMessages: 50_000, maxConsumed: 50_000, maxAgeMs: 10 * 60_000 } });
 * ```
 */
export interface MemoryRetention {
  /** Messages kept per partition, read or not. Default 10 000. */
  readonly maxMessages?: number | undefined;
  /**
   * Of those, messages every existing group has already been handed that stay for groups created later.
   * Default 1 000; at most `maxMessages`; 0 frees a message as soon as every group has it.
   */
  readonly maxConsumed?: number | undefined;
  /** Messages older than this many milliseconds are dropped. Default: no age limit. */
  readonly maxAgeMs?: number | undefined;
}

/**
 * Settings of an in-memory broker. The broker lives in one process and keeps everything in memory: nothing
 * survives the process, and two processes never see each other's messages.
 *
 * @example
 * ```ts
 * const broker = memoryBroker({ partitions: 8, maxBacklog: 2000, clock: new ManualClock() });
 * ```
 */
export interface MemoryBrokerOptions {
  /** Partitions of a topic created on first use (see `ensureTopic` for others). Default 4. */
  readonly partitions?: number | undefined;
  /** History kept per partition. */
  readonly retention?: MemoryRetention | undefined;
  /**
   * Back-pressure bound: messages of one partition a consumer group with a live subscriber has not been handed
   * yet (plus its redeliveries waiting there). When a publisher outruns a group, `publish` waits for space
   * instead of dropping anything, so a slow consumer holds memory bounded. Default 10 000.
   */
  readonly maxBacklog?: number | undefined;
  /** Time source for nack delays, zero-delay redelivery and drain grace. Default: real timers. */
  readonly clock?: MemoryClock | undefined;
}

/** Broker settings with every default filled in. */
export interface ResolvedBrokerOptions {
  readonly partitions: number;
  readonly maxMessages: number;
  readonly maxConsumed: number;
  readonly maxAgeMs: number;
  readonly maxBacklog: number;
  readonly clock: MemoryClock;
}

/** Throws `SWB_CONFIG_INVALID` unless `value` is an integer of at least `min` (or `Infinity` when allowed). */
export function checkCount(name: string, value: number, min = 1, allowInfinity = false): number {
  const ok =
    (allowInfinity && value === Number.POSITIVE_INFINITY) || (Number.isInteger(value) && value >= min);
  if (!ok) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', `${name} must be an integer >= ${min}`, {
      details: { option: name, min },
    });
  }
  return value;
}

/** Fills defaults in and validates broker options. */
export function resolveBrokerOptions(options: MemoryBrokerOptions = {}): ResolvedBrokerOptions {
  const maxMessages = checkCount('retention.maxMessages', options.retention?.maxMessages ?? 10_000, 0, true);
  const maxConsumed = checkCount('retention.maxConsumed', options.retention?.maxConsumed ?? 1_000, 0, true);
  return {
    partitions: checkCount('partitions', options.partitions ?? 4),
    maxMessages,
    maxConsumed: Math.min(maxConsumed, maxMessages),
    maxAgeMs: checkCount(
      'retention.maxAgeMs',
      options.retention?.maxAgeMs ?? Number.POSITIVE_INFINITY,
      1,
      true,
    ),
    maxBacklog: checkCount('maxBacklog', options.maxBacklog ?? 10_000, 1, true),
    clock: options.clock ?? systemClock,
  };
}
