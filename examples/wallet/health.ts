/**
 * A service's answer to seed 003's `ServiceHealthMonitor`: the bus's own health plus the service's checks.
 *
 * @module
 */
import type { Bus } from '../../src/index.js';
import type { ServiceHealth } from './contracts.js';

/**
 * Combines the bus's health (transport, idempotency store, breakers) with `checks` (`healthy` or a reason).
 *
 * @example
 * ```ts
 * const health = await serviceHealth('wallet', bus, { database: store.down ? 'unreachable' : 'healthy' });
 * ```
 */
export async function serviceHealth(
  service: string,
  bus: Pick<Bus, 'health'>,
  checks: Readonly<Record<string, string>> = {},
): Promise<ServiceHealth> {
  const busHealth = await bus.health();
  const dependencies: Record<string, string> = {};
  for (const [name, dependency] of Object.entries(busHealth.dependencies))
    dependencies[name] = dependency.status;
  for (const [name, state] of Object.entries(checks)) dependencies[name] = state;
  const values = Object.values(dependencies);
  const status = values.some((v) => v !== 'healthy' && v !== 'degraded' && v !== 'closed')
    ? 'unhealthy'
    : values.includes('degraded')
      ? 'degraded'
      : 'healthy';
  return { service, status, dependencies };
}
