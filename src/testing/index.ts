/**
 * `switchboard/testing`: conformance suites for anyone writing a transport or an idempotency store. They
 * register vitest tests, so vitest must be installed where they run.
 *
 * @module
 */

export { runStoreConformance, type StoreConformanceOptions } from './store-conformance.js';
export type {
  ConformanceSkip,
  ConformanceTestName,
  TransportConformanceOptions,
} from './transport-conformance/index.js';
export { CONFORMANCE_TESTS, runTransportConformance, waitFor } from './transport-conformance/index.js';
