import { type AddressInfo, createServer, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isSwitchboardError, type SwitchboardError } from '../../../src/errors.js';
import { eventLogSchemaSql, postgresIdempotencyStore } from '../../../src/postgres/idempotency-store.js';
import { dropTables, sql, uniqueTable } from '../../support/stores-postgres.js';
import { freePort } from '../../support/stores-redis.js';
import '../../support/stores-provided.js';
import { missingUrl, skipWithout } from '../../support/broker-skip.js';

const url = inject('postgresUrl');

async function rejection(promise: Promise<unknown>): Promise<SwitchboardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSwitchboardError(error)) throw new Error(`expected a SwitchboardError, got ${String(error)}`);
  return error;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Skipped only when the global setup found no PostgreSQL outside CI (in CI that fails the run instead).
describe.skipIf(skipWithout('PostgreSQL', missingUrl(url, inject('storesUnavailableReason'), 'PostgreSQL')))(
  'postgresIdempotencyStore',
  () => {
    const table = uniqueTable('idem');
    const tables = [table];
    let pool: pg.Pool;

    beforeAll(async () => {
      pool = new pg.Pool({ connectionString: url, max: 4 });
      await postgresIdempotencyStore({ pool, table, consumer: 'setup' }).ensureSchema();
    });

    afterAll(async () => {
      await pool.end();
      await dropTables(url, ...tables);
    });

    it('validates its options', () => {
      expect(() => postgresIdempotencyStore({ consumer: 'x' })).toThrow(/exactly one/);
      expect(() => postgresIdempotencyStore({ pool, connectionString: url, consumer: 'x' })).toThrow(
        /exactly one/,
      );
      expect(() => postgresIdempotencyStore({ pool, consumer: '' })).toThrow(/consumer/);
      for (const bad of ['a-b', 'x.y.z', '1abc', 'drop table;', 'a'.repeat(64)]) {
        expect(() => postgresIdempotencyStore({ pool, consumer: 'x', table: bad })).toThrow(
          expect.objectContaining({ code: 'SWB_CONFIG_INVALID' }),
        );
      }
    });

    it('creates the event log with seed 002 columns and an expiry index; twice and concurrently is fine', async () => {
      const fresh = uniqueTable('schema');
      tables.push(fresh);
      const stores = Array.from({ length: 4 }, () =>
        postgresIdempotencyStore({ pool, table: fresh, consumer: 'c' }),
      );
      await Promise.all(stores.map((s) => s.ensureSchema()));
      await stores[0]?.ensureSchema();
      const columns = await sql<{ column_name: string }>(
        url,
        'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
        [fresh],
      );
      expect(columns.map((c) => c.column_name)).toEqual([
        'consumer',
        'event_id',
        'status',
        'owner',
        'reserved_at',
        'processed_at',
        'expires_at',
      ]);
      const indexes = await sql<{ indexdef: string }>(
        url,
        'SELECT indexdef FROM pg_indexes WHERE tablename = $1',
        [fresh],
      );
      expect(indexes.map((i) => i.indexdef).join('\n')).toMatch(/\(expires_at\)/);
      expect(eventLogSchemaSql('app.log')).toContain('"app"."log"');
      expect(stores[0]?.table).toBe(`"${fresh}"`);
    });

    it('keeps consumers apart: each deduplicates the same event on its own', async () => {
      const notifications = postgresIdempotencyStore({ pool, table, consumer: 'notifications' });
      const recurring = postgresIdempotencyStore({ pool, table, consumer: 'recurring-tasks' });
      expect(await notifications.reserve('backend-api:e1', 10_000)).toBe('acquired');
      expect(await recurring.reserve('backend-api:e1', 10_000)).toBe('acquired');
      await notifications.commit('backend-api:e1', 60_000);
      expect(await recurring.reserve('backend-api:e1', 10_000)).toBe('in-progress');
      expect(await notifications.reserve('backend-api:e1', 10_000)).toBe('duplicate');
    });

    it('writes status, owner and expiry rows as documented', async () => {
      const store = postgresIdempotencyStore({ pool, table, consumer: 'shape' });
      await store.reserve('k1', 10_000);
      let [row] = await sql<{ status: string; owner: string; lease: number; processed_at: Date | null }>(
        url,
        `SELECT status, owner, processed_at, extract(epoch FROM expires_at - now()) * 1000 AS lease
       FROM "${table}" WHERE consumer = 'shape' AND event_id = 'k1'`,
      );
      expect(row).toMatchObject({ status: 'reserved', processed_at: null });
      expect(row?.owner).toMatch(/^o:/);
      expect(Number(row?.lease)).toBeGreaterThan(8000);
      await store.commit('k1', 3_600_000);
      [row] = await sql(
        url,
        `SELECT status, owner, processed_at, extract(epoch FROM expires_at - now()) * 1000 AS lease
       FROM "${table}" WHERE consumer = 'shape' AND event_id = 'k1'`,
      );
      expect(row?.status).toBe('done');
      expect(row?.processed_at).toBeInstanceOf(Date);
      expect(Number(row?.lease)).toBeGreaterThan(3_500_000);
    });

    it("release drops only this instance's reservation", async () => {
      const a = postgresIdempotencyStore({ pool, table, consumer: 'owners' });
      const b = postgresIdempotencyStore({ pool, table, consumer: 'owners' });
      expect(await a.reserve('k', 10_000)).toBe('acquired');
      await b.release('k');
      expect(await b.reserve('k', 10_000)).toBe('in-progress');
      await a.release('k');
      expect(await b.reserve('k', 10_000)).toBe('acquired');
    });

    it('cleans up expired rows in bounded batches, leaving live ones', async () => {
      const store = postgresIdempotencyStore({ pool, table, consumer: 'cleanup' });
      await sql(
        url,
        `INSERT INTO "${table}" (consumer, event_id, status, expires_at)
       SELECT 'cleanup', 'old-' || g, CASE WHEN g % 2 = 0 THEN 'done' ELSE 'reserved' END, now() - interval '1 second'
       FROM generate_series(1, 2500) g`,
      );
      await store.commit('live', 60_000);
      await store.reserve('live-reservation', 60_000);
      expect(await store.cleanupExpired({ batchSize: 1000, maxBatches: 1 })).toBe(1000);
      expect(await store.cleanupExpired({ batchSize: 1000 })).toBeGreaterThanOrEqual(1500);
      const [left] = await sql<{ n: string }>(
        url,
        `SELECT count(*) AS n FROM "${table}" WHERE consumer = 'cleanup'`,
      );
      expect(Number(left?.n)).toBe(2);
      expect(await store.reserve('live', 1000)).toBe('duplicate');
      await expect(store.cleanupExpired({ batchSize: 0 })).rejects.toMatchObject({
        code: 'SWB_CONFIG_INVALID',
      });
    });

    it('runs the cleanup on a timer when asked, and reports its failures', async () => {
      await sql(
        url,
        `INSERT INTO "${table}" (consumer, event_id, status, expires_at) VALUES ('timer', 'old', 'done', now() - interval '1 second')`,
      );
      const store = postgresIdempotencyStore({
        connectionString: url,
        table,
        consumer: 'timer',
        cleanupIntervalMs: 20,
      });
      const deadline = Date.now() + 5000;
      for (;;) {
        const [row] = await sql<{ n: string }>(
          url,
          `SELECT count(*) AS n FROM "${table}" WHERE consumer = 'timer'`,
        );
        if (Number(row?.n) === 0 || Date.now() > deadline) break;
        await sleep(20);
      }
      await store.close();
      const [row] = await sql<{ n: string }>(
        url,
        `SELECT count(*) AS n FROM "${table}" WHERE consumer = 'timer'`,
      );
      expect(Number(row?.n)).toBe(0);

      const errors: SwitchboardError[] = [];
      const broken = postgresIdempotencyStore({
        pool,
        table: 'swb_missing_table',
        consumer: 'timer',
        cleanupIntervalMs: 20,
        onCleanupError: (error) => errors.push(error),
      });
      while (errors.length === 0) await sleep(20);
      await broken.close();
      expect(errors[0]).toMatchObject({ code: 'SWB_STORE_UNAVAILABLE', retryable: false });
    });

    it('answers a missing table with a non-retryable error naming the SQLSTATE', async () => {
      const store = postgresIdempotencyStore({ pool, table: 'swb_missing_table', consumer: 'c' });
      const error = await rejection(store.reserve('secret-key', 1000));
      expect(error).toMatchObject({ code: 'SWB_STORE_UNAVAILABLE', retryable: false });
      expect(error.details).toMatchObject({ sqlState: '42P01', op: 'reserve' });
      expect(error.message).not.toContain('secret-key');
    });

    it('leaves a pool it was given open; ends one it created; rejects after close', async () => {
      const given = postgresIdempotencyStore({ pool, table, consumer: 'close' });
      await given.close();
      expect((await pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
      const own = postgresIdempotencyStore({ connectionString: url, table, consumer: 'close' });
      expect(await own.health()).toEqual({ ok: true, detail: 'postgres: SELECT 1' });
      await own.close();
      await own.close();
      const closed = await rejection(own.reserve('k', 1000));
      expect(closed.retryable).toBe(false);
      expect((await own.health()).ok).toBe(false);
    });

    it('rejects quickly and retryably when the server is unreachable', async () => {
      const port = await freePort();
      const dead = `postgres://postgres@127.0.0.1:${port}/test`;
      const own = postgresIdempotencyStore({ connectionString: dead, consumer: 'c', timeoutMs: 1000 });
      const started = Date.now();
      const error = await rejection(own.reserve('k', 1000));
      expect(error).toMatchObject({ code: 'SWB_STORE_UNAVAILABLE', retryable: true });
      expect((await own.health()).ok).toBe(false);
      await own.close();
      // A given pool without connectionTimeoutMillis: the store bounds the wait itself.
      // A server that accepts connections and never answers.
      const sockets: Socket[] = [];
      const silent = createServer((socket) => {
        sockets.push(socket);
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const silentPort = (silent.address() as AddressInfo).port;
      const blackHole = new pg.Pool({
        host: '127.0.0.1',
        port: silentPort,
        user: 'postgres',
        database: 'test',
      });
      blackHole.on('error', () => {});
      const given = postgresIdempotencyStore({ pool: blackHole, consumer: 'c', timeoutMs: 300 });
      const bounded = await rejection(given.commit('k', 1000));
      expect(bounded).toMatchObject({ code: 'SWB_STORE_UNAVAILABLE', retryable: true });
      expect(Date.now() - started).toBeLessThan(4000);
      for (const socket of sockets) socket.destroy();
      silent.close();
      void blackHole.end().catch(() => {});
    });
  },
);
