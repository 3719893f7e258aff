/**
 * The in-memory transport: a partitioned log broker in this process's memory, with consumer groups, per-key
 * order, retention, nack delays, back-pressure and an optional manual clock for deterministic tests.
 *
 * @module
 */
export { MemoryBroker, memoryBroker } from './broker.js';
export type { MemoryClock } from './clock.js';
export { systemClock } from './clock.js';
export { ManualClock } from './manual-clock.js';
export type { MemoryTransportOptions } from './memory-transport.js';
export { MEMORY_FEATURES, MemoryTransport, memoryTransport } from './memory-transport.js';
export { murmur2, partitionForKey } from './murmur2.js';
export type { MemoryBrokerOptions, MemoryRetention } from './options.js';
