import { describe, inject } from 'vitest';
import { postgresIdempotencyStore } from '../../../src/postgres/idempotency-store.js';
import { runStoreConformance } from '../../../src/testing/store-conformance.js';
import { dropTables, uniqueTable } from '../../support/stores-postgres.js';
import '../../support/stores-provided.js';
import { missingUrl, skipWithout } from '../../support/broker-skip.js';

const url = inject('postgresUrl');
const table = uniqueTable('conf');
let schema: Promise<void> | undefined;

// Skipped only when the global setup found no PostgreSQL outside CI (in CI that fails the run instead).
describe.skipIf(skipWithout('PostgreSQL', missingUrl(url, inject('storesUnavailableReason'), 'PostgreSQL')))(
  `postgres (${inject('storesUnavailableReason') || url})`,
  () => {
    runStoreConformance({
      name: 'postgres',
      // A store with a pool of its own per worker: the races run across connections for real.
      create: async () => {
        const store = postgresIdempotencyStore({
          connectionString: url,
          table,
          consumer: 'conformance',
          poolSize: 2,
        });
        schema ??= store.ensureSchema();
        await schema;
        return store;
      },
      cleanup: () => dropTables(url, table),
      crashLeaseMs: 250,
    });
  },
);
