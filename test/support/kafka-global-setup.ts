import type { TestProject } from 'vitest/node';

/**
 * Global setup of the `kafka` test project: starts (or finds) the real broker once and provides its address to the
 * tests. Placeholder until the kafka integration lands.
 */
export default async function setup(_project: TestProject): Promise<() => Promise<void>> {
  return async () => {};
}
