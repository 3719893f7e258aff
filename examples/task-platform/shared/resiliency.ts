/**
 * The seed's resiliency policies as a Dapr resiliency document, loaded with `loadResiliencyConfig`. The values
 * are the seed's; tests shrink the durations so they run in milliseconds.
 *
 * @module
 */
import { loadResiliencyConfig, type ResiliencyConfig } from '../../../src/index.js';

/** Durations of the policies (Dapr duration strings: `1s`, `250ms`). */
export interface ResiliencyDurations {
  /** backend-api-retry `initialInterval`. Seed: 1s. */
  readonly retryInitial?: string;
  /** backend-api-retry `maxInterval`. Seed: 10s. */
  readonly retryMax?: string;
  /** backend-api-cb `timeout` (open time). Seed: 30s. */
  readonly breakerOpen?: string;
  /** backend-api-cb `interval`. Seed: 5s. */
  readonly breakerInterval?: string;
  /** Service invocation timeout. Seed: 60s. */
  readonly invokeTimeout?: string;
  /** postgresql-cb `timeout` (open time). Seed: 60s. */
  readonly databaseBreakerOpen?: string;
  /** Database query timeout. Seed: 10s. */
  readonly databaseTimeout?: string;
}

/**
 * The resiliency document: the seed's `backend-api-retry`, `backend-api-cb` and `postgresql-cb`, with the
 * seed's timeouts, applied to the app `backend-api` (service invocation) and the component `postgresql`.
 *
 * @example
 * ```ts
 * console.log(resiliencyYaml()); // the seed's values
 * ```
 */
export function resiliencyYaml(d: ResiliencyDurations = {}): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: task-platform
spec:
  policies:
    timeouts:
      service-invocation: ${d.invokeTimeout ?? '60s'}
      database: ${d.databaseTimeout ?? '10s'}
    retries:
      backend-api-retry:
        policy: exponential
        maxRetries: 3
        maxInterval: ${d.retryMax ?? '10s'}
        initialInterval: ${d.retryInitial ?? '1s'}
        multiplier: 2
        randomizationFactor: 0
    circuitBreakers:
      postgresql-cb:
        maxRequests: 10
        interval: 10s
        timeout: ${d.databaseBreakerOpen ?? '60s'}
        trip: consecutiveFailures > 5
      backend-api-cb:
        maxRequests: 5
        interval: ${d.breakerInterval ?? '5s'}
        timeout: ${d.breakerOpen ?? '30s'}
        trip: consecutiveFailures > 3
  targets:
    apps:
      backend-api:
        timeout: service-invocation
        retry: backend-api-retry
        circuitBreaker: backend-api-cb
    components:
      postgresql:
        outbound:
          timeout: database
          circuitBreaker: postgresql-cb
`;
}

/**
 * Loads {@link resiliencyYaml}.
 *
 * @example
 * ```ts
 * const toBackend = platformResiliency().policyFor({ app: 'backend-api' }, 'outbound');
 * ```
 */
export function platformResiliency(durations: ResiliencyDurations = {}): ResiliencyConfig {
  return loadResiliencyConfig(resiliencyYaml(durations));
}
