/**
 * Finds the local Redis and PostgreSQL servers the store tests and benchmarks use, and starts them when they do not
 * answer (brief section 9: Redis on 127.0.0.1:6379, PostgreSQL on 127.0.0.1:5432 with trust auth, database `test`).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';

type Log = (line: string) => void;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves when `probe` succeeds, or rejects with its last error after `timeoutMs`. */
async function until<T>(probe: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(250);
    }
  }
}

/** PINGs a Redis server once, failing fast (no reconnects, no offline queue). */
export async function pingRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

/**
 * Returns the URL of a reachable Redis on `127.0.0.1:<port>`, starting `redis-server` (no persistence) when none
 * answers.
 */
export async function ensureRedis(options: { port?: number; log?: Log } = {}): Promise<string> {
  const port = options.port ?? 6379;
  const url = `redis://127.0.0.1:${port}`;
  const log = options.log ?? (() => {});
  try {
    await pingRedis(url);
    return url;
  } catch {
    log(`no Redis on ${url}; starting redis-server`);
  }
  const started = spawnSync(
    'redis-server',
    ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    { encoding: 'utf8' },
  );
  if (started.error !== undefined) throw new Error(`redis-server could not start: ${started.error.message}`);
  await until(() => pingRedis(url), 20_000);
  log(`Redis started on ${url}`);
  return url;
}

async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Returns the URL of a reachable PostgreSQL database `database` on 127.0.0.1:5432 (trust auth, user `postgres`
 * or `root`), starting the Debian cluster with `pg_ctlcluster` when nothing answers and creating the database when
 * it is missing.
 */
export async function ensurePostgres(options: { database?: string; log?: Log } = {}): Promise<string> {
  const database = options.database ?? 'test';
  const log = options.log ?? (() => {});
  const urls = ['postgres', 'root'].map((user) => `postgres://${user}@127.0.0.1:5432/${database}`);
  const tryAll = async (): Promise<string> => {
    let last: unknown;
    for (const url of urls) {
      try {
        await probePostgres(url);
        return url;
      } catch (error) {
        last = error;
        if (errorCode(error) === '3D000') {
          // The server answers but the database is missing: create it as the same user.
          const admin = url.replace(/\/[^/]*$/, '/postgres');
          const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 2000 });
          try {
            await client.connect();
            await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
            log(`created database ${database}`);
          } catch (createError) {
            if (errorCode(createError) !== '42P04') last = createError;
          } finally {
            await client.end().catch(() => {});
          }
          try {
            await probePostgres(url);
            return url;
          } catch (retryError) {
            last = retryError;
          }
        }
      }
    }
    throw last;
  };
  try {
    return await tryAll();
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ECONNREFUSED' && code !== 'ENOENT' && code !== undefined) throw error;
    log('no PostgreSQL on 127.0.0.1:5432; starting the cluster with pg_ctlcluster');
  }
  let versions: string[] = [];
  try {
    versions = readdirSync('/etc/postgresql');
  } catch {
    throw new Error('PostgreSQL is not reachable and /etc/postgresql does not exist: install postgresql');
  }
  for (const version of versions) {
    spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { encoding: 'utf8' });
  }
  const url = await until(tryAll, 30_000);
  log(`PostgreSQL reachable at ${url}`);
  return url;
}
