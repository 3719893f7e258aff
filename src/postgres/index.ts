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
export type { Queryable } from './sql.js';
