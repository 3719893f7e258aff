/**
 * Idempotent consumers: the store contract, the in-memory store and the default key.
 *
 * The Redis and PostgreSQL stores live behind their own subpaths (`switchboard/redis`, `switchboard/postgres`)
 * so their clients stay optional.
 *
 * @module
 */

export type { IdempotencyKeyFn } from './key.js';
export { idempotencyKey } from './key.js';
export type {
  MemoryIdempotencyStore,
  MemoryIdempotencyStoreOptions,
  MemoryIdempotencyStoreStats,
} from './memory-store.js';
export { memoryIdempotencyStore } from './memory-store.js';
export type { IdempotencyStore, ReserveResult } from './types.js';
