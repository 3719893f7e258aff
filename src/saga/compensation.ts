/**
 * The policy each compensation runs through: the saga's retry (seed 004's by default) around a per-attempt
 * timeout that rejects at its deadline even when the compensation ignores its signal.
 *
 * @module
 */
import { isPermanentError } from '../bus/consumer.js';
import type { AnyPolicy } from '../bus/types.js';
import { compose } from '../resilience/compose.js';
import { type RetryOptions, retry } from '../resilience/retry.js';
import { timeout } from '../resilience/timeout.js';
import type { SagaDefinition, SagaStep } from './types.js';

/**
 * Milliseconds a compensation attempt may take when its step sets neither `compensationTimeout` nor `timeout`.
 *
 * @example
 * ```ts
 * import { DEFAULT_COMPENSATION_TIMEOUT_MS, type SagaStep } from 'switchboard/saga';
 *
 * const reserve: SagaStep<{ agentId: string }> = {
 *   name: 'reserve_resources',
 *   action: ({ input }) => resources.reserve(input.agentId),
 *   compensation: ({ input }) => resources.release(input.agentId),
 *   compensationTimeout: 2 * DEFAULT_COMPENSATION_TIMEOUT_MS, // a slow release API: 60 s per attempt
 * };
 * ```
 */
export const DEFAULT_COMPENSATION_TIMEOUT_MS = 30_000;

/** Seed 004's retry: 3 attempts, 1 s base doubling to at most 10 s, with jitter. */
const SEED_RETRY: RetryOptions = {
  maxAttempts: 3,
  initialDelay: 1_000,
  maxDelay: 10_000,
  multiplier: 2,
  jitter: 'full',
};

function isPolicy(value: unknown): value is AnyPolicy {
  return typeof (value as { execute?: unknown } | null)?.execute === 'function';
}

/** The retry layer of a saga's compensations, or `undefined` for a single attempt. */
export function compensationRetry(definition: SagaDefinition<never>): AnyPolicy | undefined {
  const option = definition.compensationRetry;
  if (option === false) return undefined;
  if (isPolicy(option)) return option;
  return retry({
    name: `saga ${definition.name} compensation`,
    // A compensation that fails with a plain error is presumed to work on a later try; permanent errors stop.
    shouldRetry: (error) => !isPermanentError(error),
    ...SEED_RETRY,
    ...option,
  });
}

/** The full policy of one step's compensation. */
export function compensationPolicy(step: SagaStep<never>, retryLayer: AnyPolicy | undefined): AnyPolicy {
  const perAttempt = timeout({
    name: `saga compensation ${step.name}`,
    duration: step.compensationTimeout ?? step.timeout ?? DEFAULT_COMPENSATION_TIMEOUT_MS,
    strategy: 'aggressive',
  });
  return retryLayer === undefined ? perAttempt : compose(retryLayer, perAttempt);
}
