/**
 * `/health` in the seed's shape: `status`, `timestamp`, `version` and one line per dependency (`healthy` or
 * `unhealthy: <why>`), 200 when all are healthy and 503 otherwise.
 *
 * @module
 */
import type { Bus } from '../../../src/index.js';

/** The seed's health report. */
export interface HealthReport {
  readonly status: 'healthy' | 'unhealthy';
  readonly timestamp: string;
  readonly version: string;
  readonly dependencies: Readonly<Record<string, string>>;
}

/** Something to check: resolves when healthy, rejects (or resolves with a reason) when not. */
export type HealthCheck = () => Promise<string | undefined>;

/** The platform's version, reported by every service. */
export const PLATFORM_VERSION = '5.0.0';

/**
 * Checks the database and the bus: the broker (named after the transport: `memory`, `nats` or `kafka`) and the
 * bus itself, which plays the part the seed gives the Dapr sidecar.
 *
 * @example
 * ```ts
 * const report = await healthReport({ database: () => db.ping().then(() => undefined) }, bus);
 * ```
 */
export async function healthReport(
  checks: Readonly<Record<string, HealthCheck>>,
  bus: Pick<Bus, 'health'>,
): Promise<HealthReport> {
  const dependencies: Record<string, string> = {};
  await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        const problem = await withTimeout(check(), 5000);
        dependencies[name] = problem === undefined ? 'healthy' : `unhealthy: ${problem}`;
      } catch (error) {
        dependencies[name] = `unhealthy: ${error instanceof Error ? error.message : String(error)}`;
      }
    }),
  );
  const busHealth = await bus.health();
  for (const [name, dependency] of Object.entries(busHealth.dependencies)) {
    if (name === 'idempotency' || name.startsWith('breaker:')) {
      dependencies[name] = dependency.status === 'unhealthy' ? 'unhealthy' : dependency.status;
      continue;
    }
    dependencies[name] =
      dependency.status === 'healthy'
        ? 'healthy'
        : `${dependency.status}${typeof dependency.detail === 'string' ? `: ${dependency.detail}` : ''}`;
  }
  const unhealthy = Object.values(dependencies).some((value) => value.startsWith('unhealthy'));
  return {
    status: unhealthy ? 'unhealthy' : 'healthy',
    timestamp: new Date().toISOString(),
    version: PLATFORM_VERSION,
    dependencies,
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
