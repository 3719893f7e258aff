/**
 * The idempotency store contract: reserve a key before handling, commit it after, release it on failure.
 *
 * @module
 */

/** The outcome of {@link IdempotencyStore.reserve}. */
export type ReserveResult =
  /** This caller holds the key now and must later `commit` or `release` it. */
  | 'acquired'
  /** The key was committed before: the message was handled; ack it and skip the handler. */
  | 'duplicate'
  /** Another worker holds an unexpired reservation: nack and retry later. */
  | 'in-progress';

/**
 * Remembers which messages were handled, so at-least-once delivery gives exactly-once side effects.
 *
 * Guarantees every implementation must give (the store conformance suite in `switchboard/testing` checks them):
 * - `reserve` is atomic: of any number of concurrent callers for one unreserved key, exactly one gets
 *   `'acquired'`, across processes for distributed stores.
 * - A reservation expires after `leaseMs`, so a crashed worker never blocks a key forever; afterwards the key can
 *   be acquired again.
 * - `commit` turns a reservation into a record kept for `ttlMs`; while it lives, `reserve` answers `'duplicate'`.
 *   `commit` on a key whose lease expired and was taken by another worker must not overwrite that worker's
 *   reservation state in a way that loses it (implementations commit unconditionally; the second commit is
 *   harmless because both handled the message).
 * - `release` drops a reservation (not a committed record) so the message can be retried at once.
 * - A store that cannot be reached rejects with a retryable `SWB_STORE_UNAVAILABLE` error; callers fail closed
 *   (nack and retry), never process without a reservation.
 */
export interface IdempotencyStore {
  /**
   * Tries to take `key` for `leaseMs` milliseconds.
   *
   * @returns `'acquired'`, `'duplicate'` (committed before) or `'in-progress'` (someone holds it).
   */
  reserve(key: string, leaseMs: number): Promise<ReserveResult>;
  /** Marks `key` as handled for `ttlMs` milliseconds. */
  commit(key: string, ttlMs: number): Promise<void>;
  /** Drops a reservation on `key` (a failed handler), leaving committed records alone. */
  release(key: string): Promise<void>;
  /** Releases connections the store created itself (never a client the user passed in). */
  close?(): Promise<void>;
  /** Reachability for `health()`. */
  health?(): Promise<{ ok: boolean; detail?: string }>;
}
