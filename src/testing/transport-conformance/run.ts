/**
 * Registers the transport conformance suite with vitest.
 *
 * @module
 */
import { describe, it } from 'vitest';
import { ConformanceContext } from './context.js';
import type { ConformanceTestName } from './names.js';
import { resolveConformanceOptions, type TransportConformanceOptions } from './options.js';
import type { Scenario } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';

// Room for closing what a scenario opened, on top of its own budget.
const DISPOSE_BUDGET_MS = 10_000;

/**
 * Registers one vitest `describe` block with every conformance scenario (see {@link CONFORMANCE_TESTS}) run
 * against transports from `options.create`. Call it at the top level of a test file. Scenarios a transport's
 * features rule out are reported as skipped with the missing feature; `skip` skips others with your reason;
 * `only` registers a subset (a suite split across files).
 * Every scenario uses its own random topic and group names, so runs against a shared broker do not interfere,
 * and closes all it opened even when it fails.
 *
 * @example
 * ```ts
 * // test/transport/my-transport.conformance.test.ts
 * import { runTransportConformance } from 'switchboard/testing';
 * import { myTransport } from '../../src/my-transport.js';
 *
 * runTransportConformance({
 *   name: 'my transport',
 *   create: () => myTransport({ url: process.env.BROKER_URL }),
 *   provisionTopic: (topic, partitions) => admin.createTopic(topic, partitions),
 *   timeoutScale: 3,
 *   skip: [{ tests: ['reconnect'], reason: 'the broker runs outside the test harness' }],
 * });
 * ```
 */
export function runTransportConformance(options: TransportConformanceOptions): void {
  const resolved = resolveConformanceOptions(options);
  describe(resolved.name, () => {
    for (const scenario of SCENARIOS) {
      if (!resolved.selected.has(scenario.name)) continue;
      const reason = resolved.skipped.get(scenario.name);
      if (reason !== undefined) {
        it.skip(`${scenario.name} (skipped: ${reason})`, () => {});
        continue;
      }
      it(
        scenario.name,
        async ({ skip }) => {
          const unsupported = await runScenario(scenario, resolved);
          if (unsupported !== undefined) skip(unsupported);
        },
        Math.round(scenario.timeoutMs * resolved.timeoutScale) + DISPOSE_BUDGET_MS,
      );
    }
  });
}

/** Runs one scenario; returns why it does not apply to this transport, or `undefined` once it passed. */
async function runScenario(
  scenario: Scenario,
  options: ReturnType<typeof resolveConformanceOptions>,
): Promise<string | undefined> {
  const context = await ConformanceContext.open(options);
  try {
    const unsupported = scenario.unsupported?.(context.features, context);
    if (unsupported !== undefined) return unsupported;
    await scenario.run(context);
    return undefined;
  } finally {
    await context.dispose();
  }
}

/**
 * Runs a single scenario outside `describe`/`it` and resolves with why it did not apply (or `undefined` once it
 * passed); rejects with the scenario's assertion error. Internal: the suite's own tests use it to check that
 * scenarios catch broken transports.
 */
export function runConformanceScenario(
  name: ConformanceTestName,
  options: TransportConformanceOptions,
): Promise<string | undefined> {
  const scenario = SCENARIOS.find((candidate) => candidate.name === name);
  if (scenario === undefined) return Promise.reject(new Error(`unknown scenario ${name}`));
  return runScenario(scenario, resolveConformanceOptions(options));
}
