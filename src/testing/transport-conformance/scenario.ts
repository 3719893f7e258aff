/**
 * The shape of one conformance scenario.
 *
 * @module
 */
import type { TransportFeatures } from '../../transport/types.js';
import type { ConformanceContext } from './context.js';
import type { ConformanceTestName } from './names.js';

/** One scenario: its name, its time budget and what it needs from the transport. */
export interface Scenario {
  readonly name: ConformanceTestName;
  /** Budget for the whole scenario before scaling by `timeoutScale`. */
  readonly timeoutMs: number;
  /** Why the transport cannot run this scenario (a missing feature), or `undefined` when it can. */
  readonly unsupported?: (features: TransportFeatures, context: ConformanceContext) => string | undefined;
  /** The scenario itself; the runner disposes of the context afterwards, whatever happens. */
  run(context: ConformanceContext): Promise<void>;
}

/** `unsupported` for scenarios that need every one of `flags`. */
export function needs(
  ...flags: (keyof TransportFeatures)[]
): (features: TransportFeatures) => string | undefined {
  return (features) => {
    const missing = flags.filter((flag) => !features[flag]);
    return missing.length === 0 ? undefined : `the transport does not claim ${missing.join(' and ')}`;
  };
}
