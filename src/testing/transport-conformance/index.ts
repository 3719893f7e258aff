/**
 * The transport conformance suite: one set of vitest scenarios every transport runs, with feature flags and
 * skips that carry reasons.
 *
 * @module
 */

export type { ConformanceTestName } from './names.js';
export { CONFORMANCE_TESTS } from './names.js';
export type { ConformanceSkip, TransportConformanceOptions } from './options.js';
export { runTransportConformance } from './run.js';
export { waitFor } from './wait-for.js';
