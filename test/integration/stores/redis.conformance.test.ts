import { randomUUID } from 'node:crypto';
import { describe, inject } from 'vitest';
import { redisIdempotencyStore } from '../../../src/redis/idempotency-store.js';
import { runStoreConformance } from '../../../src/testing/store-conformance.js';
import { deleteRedisPrefix } from '../../support/stores-redis.js';
import '../../support/stores-provided.js';
import { missingUrl, skipWithout } from '../../support/broker-skip.js';

const url = inject('redisUrl');
const prefix = `swb-test:${randomUUID().slice(0, 8)}:`;

// Skipped only when the global setup found no Redis outside CI (in CI that fails the run instead).
describe.skipIf(skipWithout('Redis', missingUrl(url, inject('storesUnavailableReason'), 'Redis')))(
  `redis (${inject('storesUnavailableReason') || url})`,
  () => {
    runStoreConformance({
      name: 'redis',
      // A store (and so a connection) per worker: the races run across connections for real.
      create: () => redisIdempotencyStore({ url, prefix }),
      cleanup: () => deleteRedisPrefix(url, prefix),
      crashLeaseMs: 150,
    });
  },
);
