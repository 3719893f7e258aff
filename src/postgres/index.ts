/**
 * `switchboard/postgres`: the PostgreSQL idempotency store and the transactional outbox, on `pg` (an optional
 * peer dependency).
 *
 * @module
 */
export { isTransientPgError, pgError } from './errors.js';
export type {
  CleanupOptions,
  PostgresIdempotencyStore,
  PostgresIdempotencyStoreOptions,
} from './idempotency-store.js';
export { eventLogSchemaSql, postgresIdempotencyStore } from './idempotency-store.js';
export type { CleanupSentOptions, EnqueueResult, Outbox, OutboxEntry, OutboxOptions } from './outbox.js';
export { createOutbox } from './outbox.js';
export type { OutboxRelay, OutboxRelayOptions, OutboxRelayStats, RelayBatchResult } from './outbox-relay.js';
export { outboxSchemaSql } from './outbox-sql.js';
export type { Queryable } from './sql.js';
