/**
 * Replay protection: a time window on the message's authenticated `time`, and, inside the window, an
 * idempotency store that remembers which message ids were seen. The window bounds how long the store must
 * remember an id, so a store with expiring keys stays small.
 *
 * @module
 */

import { parseRfc3339 } from '../envelope/time.js';
import type { Envelope } from '../envelope/types.js';
import type { IdempotencyStore } from '../idempotency/types.js';
import { invalidConfig, rejected } from './errors.js';

/** Options of replay protection. */
export interface ReplayOptions {
  /**
   * How old (by its signed `time`) a message may be and still be accepted. Default 5 minutes. It must exceed
   * the longest lag a healthy consumer can have: a backlog older than this is rejected as stale.
   */
  readonly windowMs?: number | undefined;
  /** Tolerated difference between the producer's and the consumer's clocks, either way. Default 30 s. */
  readonly skewMs?: number | undefined;
  /**
   * Remembers the message ids seen inside the window (the bus checks it before decoding reaches a handler). Keys
   * are kept for `windowMs + 2 * skewMs`. Without a store only the time window applies. Share a store between
   * instances of one consumer group (Redis, PostgreSQL) to catch a replay sent to another instance.
   */
  readonly store?: IdempotencyStore | undefined;
  /** How long a first sighting holds its key before the handler's outcome is known. Default 30 s. */
  readonly leaseMs?: number | undefined;
}

/** {@link ReplayOptions} with defaults applied. */
export interface ResolvedReplay {
  readonly windowMs: number;
  readonly skewMs: number;
  readonly store: IdempotencyStore | undefined;
  readonly leaseMs: number;
  /** How long a seen id is remembered: `windowMs + 2 * skewMs`. */
  readonly rememberMs: number;
}

/**
 * Default replay window: 5 minutes.
 *
 * @example
 * ```ts
 * import { DEFAULT_REPLAY_WINDOW_MS, memoryIdempotencyStore, type SecurityOptions } from 'switchboard';
 *
 * // consumers that may lag up to 15 minutes need three times the default window
 * const security: SecurityOptions = {
 *   signing,
 *   replay: { windowMs: 3 * DEFAULT_REPLAY_WINDOW_MS, store: memoryIdempotencyStore() },
 * };
 * ```
 */
export const DEFAULT_REPLAY_WINDOW_MS = 5 * 60_000;
/**
 * Default tolerated clock skew: 30 seconds.
 *
 * @example
 * ```ts
 * import { DEFAULT_CLOCK_SKEW_MS, type SecurityOptions } from 'switchboard';
 *
 * // hosts whose clocks drift more than usual: allow a minute of skew either way
 * const security: SecurityOptions = { signing, replay: { skewMs: 2 * DEFAULT_CLOCK_SKEW_MS } };
 * ```
 */
export const DEFAULT_CLOCK_SKEW_MS = 30_000;
const DEFAULT_LEASE_MS = 30_000;

/** Applies defaults and checks the numbers. */
export function resolveReplay(options: ReplayOptions): ResolvedReplay {
  const windowMs = options.windowMs ?? DEFAULT_REPLAY_WINDOW_MS;
  const skewMs = options.skewMs ?? DEFAULT_CLOCK_SKEW_MS;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  for (const [path, value, min] of [
    ['replay.windowMs', windowMs, 1],
    ['replay.skewMs', skewMs, 0],
    ['replay.leaseMs', leaseMs, 1],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < min) {
      throw invalidConfig(path, `must be an integer of milliseconds, at least ${min}`);
    }
  }
  const store = options.store;
  if (store !== undefined && (typeof store.reserve !== 'function' || typeof store.commit !== 'function')) {
    throw invalidConfig('replay.store', 'must be an IdempotencyStore');
  }
  return { windowMs, skewMs, store, leaseMs, rememberMs: windowMs + 2 * skewMs };
}

/**
 * Checks a message's `time` against the window.
 *
 * @throws SwitchboardError `SWB_STALE_MESSAGE` when it is older than `windowMs + skewMs`, newer than
 * `now + skewMs`, or unreadable.
 */
export function checkWindow(envelope: Pick<Envelope, 'time'>, replay: ResolvedReplay, nowMs: number): void {
  const sentMs = parseRfc3339(envelope.time);
  if (sentMs === undefined) {
    throw rejected('SWB_STALE_MESSAGE', 'message time cannot be read', { reason: 'unreadable' });
  }
  if (nowMs - sentMs > replay.windowMs + replay.skewMs) {
    throw rejected('SWB_STALE_MESSAGE', 'message is older than the replay window', {
      reason: 'too-old',
      windowMs: replay.windowMs,
    });
  }
  if (sentMs - nowMs > replay.skewMs) {
    throw rejected('SWB_STALE_MESSAGE', 'message time is ahead of this clock by more than the allowed skew', {
      reason: 'in-the-future',
      skewMs: replay.skewMs,
    });
  }
}

/** Where a message was received: replays are tracked per consumer group and topic. */
export interface ReplayScope {
  readonly topic: string;
  readonly group: string;
}

/** The store key of a message id in a scope. */
export function replayKey(scope: ReplayScope, envelope: Pick<Envelope, 'source' | 'id'>): string {
  // JSON keeps the parts apart whatever characters they hold.
  return `swb-replay:${JSON.stringify([scope.group, scope.topic, envelope.source, envelope.id])}`;
}

/**
 * Records a first sighting of a message in the store.
 *
 * @throws SwitchboardError `SWB_REPLAY_DETECTED` when the id was seen inside the window (handled, or being
 * handled by someone else); whatever the store throws when it is down (the caller fails closed).
 */
export async function reserveSighting(
  store: IdempotencyStore,
  key: string,
  replay: ResolvedReplay,
): Promise<void> {
  const result = await store.reserve(key, replay.leaseMs);
  if (result !== 'acquired') {
    throw rejected('SWB_REPLAY_DETECTED', 'message id was already seen inside the replay window', {
      reason: result,
    });
  }
}
