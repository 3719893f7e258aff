import type { TestProject } from 'vitest/node';
import { ensurePostgres, ensureRedis } from '../../scripts/stores/services.js';
import './stores-provided.js';

/**
 * Global setup of the `stores` test project: finds Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432,
 * database `test`), starts them when they do not answer, and provides their URLs to the tests. It leaves them
 * running afterwards: they are the machine's shared services, not ours to stop.
 *
 * With `CI=true` a server still unreachable after a start attempt fails the run. Elsewhere the tests that need it
 * are skipped with the reason.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[stores] ${line}\n`);
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const reasons: string[] = [];
  const [redis, postgres] = await Promise.allSettled([ensureRedis({ log }), ensurePostgres({ log })]);
  if (redis.status === 'rejected') reasons.push(`no Redis: ${String(redis.reason)}`);
  if (postgres.status === 'rejected') reasons.push(`no PostgreSQL: ${String(postgres.reason)}`);
  if (reasons.length > 0) {
    if (ci) throw new Error(reasons.join('; '));
    for (const reason of reasons) log(reason);
  }
  project.provide('redisUrl', redis.status === 'fulfilled' ? redis.value : '');
  project.provide('postgresUrl', postgres.status === 'fulfilled' ? postgres.value : '');
  project.provide('storesUnavailableReason', reasons.join('; '));
  return async () => {};
}
