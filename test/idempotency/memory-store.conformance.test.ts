import { memoryIdempotencyStore } from '../../src/idempotency/memory-store.js';
import { runStoreConformance } from '../../src/testing/store-conformance.js';

// One shared instance: the in-memory store's workers are callers in one process.
const shared = memoryIdempotencyStore({ maxKeys: 1_000_000 });

runStoreConformance({
  name: 'memory',
  create: () => shared,
  cleanup: () => shared.clear(),
  crashLeaseMs: 100,
});
