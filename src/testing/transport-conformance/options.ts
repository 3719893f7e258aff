/**
 * Options of the transport conformance suite.
 *
 * @module
 */
import { SwitchboardError } from '../../errors.js';
import type { Transport, TransportFeatures } from '../../transport/types.js';
import { CONFORMANCE_TESTS, type ConformanceTestName } from './names.js';

/**
 * Scenarios to skip, with the reason shown in the test report.
 *
 * @example
 * ```ts
 * const skip: ConformanceSkip = { tests: ['reconnect'], reason: 'the broker runs outside the test harness' };
 * ```
 */
export interface ConformanceSkip {
  readonly tests: readonly ConformanceTestName[];
  /** Why; required and non-empty, so every skip explains itself. */
  readonly reason: string;
}

/**
 * Options of {@link runTransportConformance}.
 *
 * @example
 * ```ts
 * const broker = memoryBroker();
 * const options: TransportConformanceOptions = {
 *   name: 'memory transport',
 *   create: () => memoryTransport({ broker }),
 *   skip: [{ tests: ['reconnect'], reason: 'no broker process to restart' }],
 * };
 * runTransportConformance(options);
 * ```
 */
export interface TransportConformanceOptions {
  /** Title of the `describe` block. */
  readonly name: string;
  /**
   * Makes a transport. Called at least once per scenario (a few scenarios call it twice: one publisher, one
   * subscriber); the suite closes every transport it made. Transports made for one run must reach the same
   * broker: for the in-memory transport, share one `memoryBroker()` between them.
   */
  readonly create: () => Transport | Promise<Transport>;
  /** Overrides of the transport's own `features`, for example to test less than it claims. */
  readonly features?: Partial<TransportFeatures> | undefined;
  /** Scenarios to skip, each group with its reason. */
  readonly skip?: readonly ConformanceSkip[] | undefined;
  /**
   * The scenarios this call registers; default all. For a suite split across files (one file against a shared
   * broker, one against a broker it can restart), so the scenarios each file leaves to the other are not
   * registered at all rather than reported as skipped.
   *
   * @example
   * ```ts
   * runTransportConformance({ name: 'restartable', create, restart, only: ['reconnect'] });
   * ```
   */
  readonly only?: readonly ConformanceTestName[] | undefined;
  /** Restarts the broker; the `reconnect` scenario runs only with it and `features.restartable`. */
  readonly restart?: (() => Promise<void>) | undefined;
  /**
   * Creates a topic with `partitions` before a scenario uses it (Kafka topic creation). Without it the suite
   * calls the transport's `ensureTopic` when it has one, else nothing.
   */
  readonly provisionTopic?: ((topic: string, partitions: number) => Promise<void>) | undefined;
  /** Multiplies every wait and timeout, for slow real brokers. Default 1. */
  readonly timeoutScale?: number | undefined;
  /**
   * Scales the large message counts (5000 in `concurrent-subscribe`, 10 000 in `reconnect`, ...) for slow
   * brokers. Default 1, which is the standard a transport should meet; never below 1 message.
   */
  readonly messageCountScale?: number | undefined;
}

/** Validated options with defaults applied. */
export interface ResolvedConformanceOptions extends TransportConformanceOptions {
  readonly timeoutScale: number;
  readonly messageCountScale: number;
  /** Why each skipped scenario is skipped. */
  readonly skipped: ReadonlyMap<ConformanceTestName, string>;
  /** The scenarios registered. */
  readonly selected: ReadonlySet<ConformanceTestName>;
}

/** Validates options; a mistake here is a broken test setup, so it throws `SWB_CONFIG_INVALID` at once. */
export function resolveConformanceOptions(options: TransportConformanceOptions): ResolvedConformanceOptions {
  const invalid = (message: string): SwitchboardError => new SwitchboardError('SWB_CONFIG_INVALID', message);
  if (typeof options.name !== 'string' || options.name.length === 0)
    throw invalid('name must be a non-empty string');
  if (typeof options.create !== 'function') throw invalid('create must be a function');
  const timeoutScale = options.timeoutScale ?? 1;
  const messageCountScale = options.messageCountScale ?? 1;
  if (!(timeoutScale > 0) || !Number.isFinite(timeoutScale))
    throw invalid('timeoutScale must be a positive number');
  if (!(messageCountScale > 0) || !Number.isFinite(messageCountScale)) {
    throw invalid('messageCountScale must be a positive number');
  }
  const known: ReadonlySet<string> = new Set(CONFORMANCE_TESTS);
  const skipped = new Map<ConformanceTestName, string>();
  for (const entry of options.skip ?? []) {
    if (typeof entry.reason !== 'string' || entry.reason.trim().length === 0) {
      throw invalid(`a skip of ${entry.tests.join(', ')} needs a non-empty reason`);
    }
    for (const test of entry.tests) {
      if (!known.has(test)) throw invalid(`unknown conformance test in skip: ${test}`);
      skipped.set(test, entry.reason);
    }
  }
  for (const test of options.only ?? []) {
    if (!known.has(test)) throw invalid(`unknown conformance test in only: ${test}`);
  }
  if (options.only !== undefined && options.only.length === 0)
    throw invalid('only must name at least one test');
  const selected = new Set<ConformanceTestName>(options.only ?? CONFORMANCE_TESTS);
  return { ...options, timeoutScale, messageCountScale, skipped, selected };
}
