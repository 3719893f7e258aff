/**
 * `switchboard/redis`: the Redis idempotency store, on ioredis (an optional peer dependency).
 *
 * @module
 */
export { redisStoreError } from './errors.js';
export type { RedisIdempotencyStore, RedisIdempotencyStoreOptions } from './idempotency-store.js';
export { redisIdempotencyStore } from './idempotency-store.js';
