/**
 * Idempotency stores and the outbox relay against the raw clients doing the same calls, in the same run.
 *
 * - Redis: store reserve + commit beside raw ioredis `SET NX PX` + `SET PX`, each on its own connection.
 * - PostgreSQL: store reserve + commit beside raw `pg` `INSERT ... ON CONFLICT DO NOTHING` + `UPDATE`, each on its
 *   own pool of the same size; both use named (prepared) statements.
 * - Outbox: rows relayed per second by the relay (per-key order, LISTEN, back-off bookkeeping) beside a bare
 *   `FOR UPDATE SKIP LOCKED` + `UPDATE` loop, both publishing to a no-op transport.
 *
 * Every case runs `CONCURRENCY` pairs at once per operation, so both sides pipeline alike. Target: >= 0.7x raw.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ensurePostgres, ensureRedis } from '../scripts/stores/services.js';
import { postgresIdempotencyStore } from '../src/postgres/idempotency-store.js';
import { createOutbox } from '../src/postgres/outbox.js';
import { redisIdempotencyStore } from '../src/redis/idempotency-store.js';
import { formatOps, main, scenario, smoke, table, target, title } from './harness.js';

title('Idempotency stores and outbox relay (bench/stores.bench.ts)');

const CONCURRENCY = 16;
const run = randomUUID().slice(0, 8);
let n = 0;
const nextKey = () => `bench:${run}:${++n}`;

function pairs(fn: (key: string) => Promise<unknown>): () => Promise<unknown> {
  return () => Promise.all(Array.from({ length: CONCURRENCY }, () => fn(nextKey())));
}

async function benchRedis(url: string): Promise<void> {
  const prefix = `swb-bench:${run}:`;
  const raw = new Redis(url, { lazyConnect: true });
  await raw.connect();
  const store = redisIdempotencyStore({ url, prefix });
  try {
    const results = await scenario(`Redis reserve + commit (${CONCURRENCY} in flight per op)`, [
      {
        name: 'raw ioredis SET NX PX + SET PX',
        anchor: true,
        fn: pairs(async (key) => {
          await raw.set(prefix + key, 'r:bench', 'PX', 30_000, 'NX');
          await raw.set(prefix + key, 'd', 'PX', 60_000);
        }),
      },
      {
        name: 'redisIdempotencyStore reserve + commit',
        fn: pairs(async (key) => {
          await store.reserve(key, 30_000);
          await store.commit(key, 60_000);
        }),
      },
    ]);
    const ratio = results[1]?.ratioToAnchor ?? 0;
    target(
      'Redis store reserve + commit >= 0.7x raw',
      ratio >= 0.7,
      `${ratio.toFixed(2)}x; ${formatOps((results[1]?.opsPerSec ?? 0) * CONCURRENCY)} pairs/s vs ${formatOps((results[0]?.opsPerSec ?? 0) * CONCURRENCY)} raw`,
    );
  } finally {
    await store.close();
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await raw.del(...keys);
    } while (cursor !== '0');
    raw.disconnect();
  }
}

async function benchPostgres(url: string): Promise<void> {
  const table = `swb_bench_${run}`;
  const rawPool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
  const storePool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
  const store = postgresIdempotencyStore({ pool: storePool, table, consumer: 'bench' });
  await store.ensureSchema();
  const insert = {
    name: 'bench_raw_insert',
    text: `INSERT INTO "${table}" (consumer, event_id, status, expires_at)
VALUES ($1, $2, 'reserved', now() + interval '30 seconds') ON CONFLICT DO NOTHING`,
  };
  const update = {
    name: 'bench_raw_update',
    text: `UPDATE "${table}" SET status = 'done', processed_at = now(), expires_at = now() + interval '60 seconds'
WHERE consumer = $1 AND event_id = $2`,
  };
  try {
    const results = await scenario(`PostgreSQL reserve + commit (${CONCURRENCY} in flight per op)`, [
      {
        name: 'raw pg INSERT ON CONFLICT + UPDATE',
        anchor: true,
        fn: pairs(async (key) => {
          await rawPool.query({ ...insert, values: ['bench', key] });
          await rawPool.query({ ...update, values: ['bench', key] });
        }),
      },
      {
        name: 'postgresIdempotencyStore reserve + commit',
        fn: pairs(async (key) => {
          await store.reserve(key, 30_000);
          await store.commit(key, 60_000);
        }),
      },
    ]);
    const ratio = results[1]?.ratioToAnchor ?? 0;
    target(
      'PostgreSQL store reserve + commit >= 0.7x raw',
      ratio >= 0.7,
      `${ratio.toFixed(2)}x; ${formatOps((results[1]?.opsPerSec ?? 0) * CONCURRENCY)} pairs/s vs ${formatOps((results[0]?.opsPerSec ?? 0) * CONCURRENCY)} raw`,
    );
  } finally {
    await store.close();
    await rawPool.query(`DROP TABLE IF EXISTS "${table}"`);
    await Promise.all([rawPool.end(), storePool.end()]);
  }
}

const noopTransport = { publish: async (topic: string) => ({ topic }) };

async function fill(pool: pg.Pool, table: string, rows: number, keys: number): Promise<void> {
  await pool.query(
    `INSERT INTO "${table}" (topic, partition_key, message_id, message_key, headers, body)
     SELECT 'bench', CASE WHEN $2::int = 0 THEN NULL ELSE 'k' || (g % $2::int) END, 'm' || g, NULL,
            '{"ce_type":"bench.v1"}'::jsonb, decode(repeat('ab', 128), 'hex')
     FROM generate_series(1, $1::int) g`,
    [rows, keys],
  );
}

/** The bare relay: no order per key, no notification, no retry bookkeeping. */
async function rawRelay(pool: pg.Pool, table: string, batchSize: number): Promise<void> {
  for (;;) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{
        id: string;
        topic: string;
        headers: Record<string, string>;
        body: Buffer;
      }>(
        `SELECT id, topic, headers, body FROM "${table}" WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      await Promise.all(rows.map((row) => noopTransport.publish(row.topic)));
      if (rows.length > 0) {
        await client.query(`UPDATE "${table}" SET sent_at = now() WHERE id = ANY($1::bigint[])`, [
          rows.map((r) => r.id),
        ]);
      }
      await client.query('COMMIT');
      if (rows.length < batchSize) return;
    } finally {
      client.release();
    }
  }
}

async function benchOutbox(url: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const rows = smoke ? 500 : 20_000;
  const rounds = smoke ? 1 : 3;
  const batchSize = 100;
  const tables: string[] = [];
  try {
    for (const keys of [0, 100]) {
      const samples = { raw: [] as number[], relay: [] as number[] };
      // Round 0 warms up (pool connections, JIT, plans) and is not counted.
      for (let round = 0; round <= rounds; round++) {
        for (const kind of ['raw', 'relay'] as const) {
          const table = `swb_bench_outbox_${run}_${kind}_${keys}_${round}`;
          tables.push(table);
          const outbox = createOutbox({ pool, table });
          await outbox.ensureSchema();
          await fill(pool, table, rows, keys);
          await pool.query(`ANALYZE "${table}"`);
          const started = performance.now();
          if (kind === 'raw') {
            await rawRelay(pool, table, batchSize);
          } else {
            const relay = outbox.startRelay({ transport: noopTransport, batchSize, pollIntervalMs: 1000 });
            // Watch the relay's own counter: polling the table would load the database it measures.
            while (relay.stats().published < rows) await new Promise((r) => setTimeout(r, 2));
            await relay.stop();
          }
          if (round > 0) samples[kind].push((rows * 1000) / (performance.now() - started));
          await pool.query(`DROP TABLE "${table}"`);
        }
      }
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1] ?? 0;
      const raw = median(samples.raw);
      const relay = median(samples.relay);
      const title = keys === 0 ? 'rows without a partition key' : `rows over ${keys} partition keys`;
      table({
        title: `Outbox relay, ${rows} ${title}, batch ${batchSize} (median of ${rounds} rounds)`,
        anchors: ['bare SKIP LOCKED loop'],
        columns: ['case', 'rows/s', 'ratio to anchor'],
        rows: [
          ['bare SKIP LOCKED loop (no per-key order)', formatOps(raw), '1.00x'],
          ['outbox relay', formatOps(relay), `${(relay / raw).toFixed(2)}x`],
        ],
      });
      target(`outbox relay (${title}) >= 0.7x bare loop`, relay / raw >= 0.7, `${(relay / raw).toFixed(2)}x`);
    }
  } finally {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
  }
}

await main(async () => {
  const [redisUrl, postgresUrl] = await Promise.all([ensureRedis(), ensurePostgres()]);
  await benchRedis(redisUrl);
  await benchPostgres(postgresUrl);
  await benchOutbox(postgresUrl);
});
