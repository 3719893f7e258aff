/**
 * A private redis-server per scenario (free port, own directory, append-only file synced on every write), from
 * the store tests' helper, with its pid registered for the teardown after every start.
 *
 * @module
 */
import { type PrivateRedis, startPrivateRedis } from '../../support/stores-redis.js';
import { runDir } from './env.js';
import { trackPid } from './processes.js';

/** Starts the server; `start()` after `kill()` brings it back on the same port and directory. */
export async function chaosRedis(): Promise<PrivateRedis> {
  const redis = await startPrivateRedis();
  // redis-server rewrites its process title to `redis-server 127.0.0.1:<port>`.
  const marker = `127.0.0.1:${redis.port}`;
  const track = (): void => {
    if (redis.pid !== undefined) trackPid(runDir, redis.pid, marker);
  };
  track();
  return {
    url: redis.url,
    port: redis.port,
    get pid() {
      return redis.pid;
    },
    kill: () => redis.kill(),
    async start() {
      await redis.start();
      track();
    },
    destroy: () => redis.destroy(),
  };
}
