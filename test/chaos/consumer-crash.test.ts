/**
 * Chaos scenario 6: a consumer process is killed with SIGKILL after its side effect (and the idempotency
 * commit) and before its ack, twice, and started again each time. The broker (NATS JetStream) redelivers the
 * unacknowledged message to the next process, which recognises it: the side effect is not repeated. Once with
 * the Redis store, once with the PostgreSQL store; side effects are rows in PostgreSQL, counted here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBus } from '../../src/bus/index.js';
import { postgresIdempotencyStore } from '../../src/postgres/index.js';
import { dropTables, sql, uniqueTable } from '../support/stores-postgres.js';
import type { PrivateRedis } from '../support/stores-redis.js';
import { describeServers, postgresUrl, runDir } from './support/env.js';
import { Ledger } from './support/ledger.js';
import { type ChaosNats, chaosNats, chaosNatsTransport } from './support/nats-server.js';
import { type FixtureProcess, spawnFixture } from './support/processes.js';
import { chaosRedis } from './support/redis-server.js';
import { settle, until } from './support/timing.js';

const fixture = fileURLToPath(new URL('./fixtures/crashing-consumer.ts', import.meta.url));
const TOTAL = 300;
const KILLS = [100, 80];

describeServers('chaos 6: a consumer process killed between side effect and ack', () => {
  let nats: ChaosNats;
  let redis: PrivateRedis;
  const tables: string[] = [];
  const children: FixtureProcess[] = [];

  beforeAll(async () => {
    [nats, redis] = await Promise.all([chaosNats(), chaosRedis()]);
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()));
    await Promise.all([nats?.stop(), redis?.destroy()]);
    await dropTables(postgresUrl, ...tables);
  });

  async function crashAndRecover(store: 'redis' | 'postgres'): Promise<void> {
    const type = `chaos.crash.${store}.v1`;
    const effectsTable = uniqueTable('chaos_effects');
    const eventLogTable = uniqueTable('chaos_eventlog');
    tables.push(effectsTable, eventLogTable);
    await sql(postgresUrl, `CREATE TABLE "${effectsTable}" (id text NOT NULL, child text NOT NULL)`);
    if (store === 'postgres') {
      const schema = postgresIdempotencyStore({
        connectionString: postgresUrl,
        table: eventLogTable,
        consumer: 'x',
      });
      await schema.ensureSchema();
      await schema.close();
    }
    const logFile = join(runDir, `crash-${store}.log`);
    writeFileSync(logFile, '');
    const log = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean);

    // The publishing service: every message is stored before the first consumer starts.
    const ledger = new Ledger();
    const publisher = createBus({
      transport: chaosNatsTransport(nats.url),
      source: 'chaos-crash',
      telemetry: false,
    });
    try {
      for (let i = 0; i < TOTAL; i++) {
        const id = `${store}-${i}`;
        ledger.attempt(id);
        await publisher.publish(type, { i }, { id });
        ledger.acknowledge(id);
      }
    } finally {
      await publisher.close();
    }

    const start = (killAt: number, name: string): FixtureProcess => {
      const child = spawnFixture(runDir, fixture, {
        NATS_URL: nats.url,
        TYPE: type,
        STORE: store,
        REDIS_URL: redis.url,
        REDIS_PREFIX: `chaos:${effectsTable}:`,
        PG_URL: postgresUrl,
        EVENT_LOG_TABLE: eventLogTable,
        EFFECTS_TABLE: effectsTable,
        LOG_FILE: logFile,
        KILL_AT: String(killAt),
        CHILD: name,
      });
      children.push(child);
      return child;
    };
    const killed: string[] = [];
    for (const [n, killAt] of KILLS.entries()) {
      const child = start(killAt, `c${n + 1}`);
      const exit = await child.exited;
      expect(exit.signal, child.stderr).toBe('SIGKILL');
      const line = log().findLast((l) => l.startsWith('killed '));
      expect(line).toBeDefined();
      killed.push(line!.slice('killed '.length));
    }
    const last = start(0, 'c3');
    const counts = async () =>
      new Map(
        (
          await sql<{ id: string; n: string }>(
            postgresUrl,
            `SELECT id, count(*) AS n FROM "${effectsTable}" GROUP BY id`,
          )
        ).map((r) => [r.id, Number(r.n)]),
      );
    const dups = () =>
      log()
        .filter((l) => l.startsWith('dup '))
        .map((l) => l.slice('dup '.length));
    try {
      // Done when every message has its side effect and both crashed messages came back as duplicates.
      await until(
        async () => (await counts()).size === TOTAL && killed.every((id) => dups().includes(id)),
        60_000,
        'every side effect, and the crashed messages redelivered',
        200,
      );
      // Give a late repeat the time to show: quiet for 1.5 s in side-effect rows and duplicates alike.
      await settle(
        async () => [...(await counts()).values()].reduce((a, b) => a + b, 0) + dups().length,
        1500,
      );
      last.signal('SIGTERM');
      const exit = await last.exited;
      expect(exit, last.stderr).toEqual({ code: 0, signal: null });
    } finally {
      await last.kill();
    }
    for (const [id, times] of await counts()) for (let t = 0; t < times; t++) ledger.effect(id);
    ledger.duplicates = dups().length;

    ledger.report(`6 consumer SIGKILLed after side effect, before ack (${store} store, NATS JetStream)`, {
      'consumer-processes': KILLS.length + 1,
      'killed-on-ack-of': killed.join(','),
    });
    expect(ledger.lost()).toEqual([]);
    expect(ledger.repeated()).toEqual([]);
    expect(ledger.effects.size).toBe(TOTAL);
    expect(ledger.handled).toBe(TOTAL);
    // The messages whose acks died with their process came back and were recognised, not handled again.
    expect(killed).toHaveLength(KILLS.length);
    for (const id of killed) {
      expect(ledger.effects.get(id)).toBe(1);
      expect(dups()).toContain(id);
    }
  }

  it('does not repeat the side effect with the Redis store', () => crashAndRecover('redis'), 120_000);
  it('does not repeat the side effect with the PostgreSQL store', () => crashAndRecover('postgres'), 120_000);
});
