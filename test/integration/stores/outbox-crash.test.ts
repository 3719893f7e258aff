import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgresIdempotencyStore } from '../../../src/postgres/idempotency-store.js';
import { createOutbox } from '../../../src/postgres/outbox.js';
import { dropTables, sql, uniqueTable } from '../../support/stores-postgres.js';
import { textMessage } from '../../support/stores-transport.js';
import '../../support/stores-provided.js';
import { missingUrl, skipWithout } from '../../support/broker-skip.js';

const url = inject('postgresUrl');
const child = fileURLToPath(new URL('./fixtures/outbox-relay-child.ts', import.meta.url));

// Skipped only when the global setup found no PostgreSQL outside CI (in CI that fails the run instead).
describe.skipIf(skipWithout('PostgreSQL', missingUrl(url, inject('storesUnavailableReason'), 'PostgreSQL')))(
  'outbox relay killed between publish and mark',
  () => {
    let pool: pg.Pool;
    let dir: string;
    const outboxTable = uniqueTable('crash');
    const logTable = uniqueTable('crashlog');

    beforeAll(() => {
      pool = new pg.Pool({ connectionString: url, max: 4 });
      dir = mkdtempSync(join(tmpdir(), 'swb-outbox-'));
    });

    afterAll(async () => {
      await pool.end();
      await dropTables(url, outboxTable, logTable);
      rmSync(dir, { recursive: true, force: true });
    });

    it('publishes every row at least once, and a deduplicating consumer handles each exactly once', async () => {
      const outbox = createOutbox({ pool, table: outboxTable });
      await outbox.ensureSchema();
      const keys = 5;
      const perKey = 20;
      const client = await pool.connect();
      const ids: string[] = [];
      try {
        for (let i = 0; i < perKey; i++) {
          for (let k = 0; k < keys; k++) {
            await client.query('BEGIN');
            ids.push(
              (
                await outbox.enqueue(client, {
                  topic: 'task-events',
                  message: textMessage(`k${k}:${i}`, `k${k}`),
                })
              ).messageId,
            );
            await client.query('COMMIT');
          }
        }
      } finally {
        client.release();
      }
      const log = join(dir, 'published.log');
      writeFileSync(log, '');

      // A relay process publishes 3 batches and a half, then SIGKILLs itself right after a publish.
      const killAfter = 35;
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve, reject) => {
          const proc = spawn(process.execPath, ['--import', 'tsx', child], {
            env: {
              ...process.env,
              DATABASE_URL: url,
              OUTBOX_TABLE: outboxTable,
              LOG_FILE: log,
              KILL_AFTER: String(killAfter),
              BATCH_SIZE: '10',
            },
            stdio: ['ignore', 'inherit', 'inherit'],
          });
          proc.once('error', reject);
          proc.once('exit', (code, signal) => resolve({ code, signal }));
        },
      );
      expect(exit.signal).toBe('SIGKILL');
      const beforeRestart = readFileSync(log, 'utf8').trim().split('\n');
      expect(beforeRestart).toHaveLength(killAfter);
      const [marked] = await sql<{ n: number }>(
        url,
        `SELECT count(*)::int AS n FROM ${outbox.table} WHERE sent_at IS NOT NULL`,
      );
      // Published but never marked: the rows of the batch the crash cut short.
      expect(marked?.n).toBeLessThan(killAfter);

      // A new relay (this process) takes over; its broker is the same file.
      const relay = outbox.startRelay({
        transport: {
          async publish(topic, message, options) {
            appendFileSync(log, `${options?.messageId} ${new TextDecoder().decode(message.body)}\n`);
            return { topic };
          },
        },
        batchSize: 10,
        pollIntervalMs: 20,
      });
      const deadline = Date.now() + 20_000;
      while ((await outbox.pending()) > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      await relay.stop();

      const lines = readFileSync(log, 'utf8').trim().split('\n');
      const publications = lines.map((line) => {
        const [messageId, text] = line.split(' ') as [string, string];
        return { messageId, text };
      });
      // At least once: every row, some of them twice.
      expect(new Set(publications.map((p) => p.messageId))).toEqual(new Set(ids));
      expect(publications.length).toBeGreaterThan(ids.length);
      expect(publications.length - ids.length).toBe(killAfter - (marked?.n ?? 0));

      // Per key, first publications follow enqueue order even across the crash.
      for (let k = 0; k < keys; k++) {
        const firsts: number[] = [];
        for (const p of publications) {
          if (!p.text.startsWith(`k${k}:`)) continue;
          const seq = Number(p.text.split(':')[1]);
          if (!firsts.includes(seq)) firsts.push(seq);
        }
        expect(firsts).toEqual(Array.from({ length: perKey }, (_, i) => i));
      }

      // A consumer with the PostgreSQL idempotency store handles each message exactly once.
      const store = postgresIdempotencyStore({ pool, table: logTable, consumer: 'notifications' });
      await store.ensureSchema();
      const handled = new Map<string, number>();
      for (const { messageId } of publications) {
        const result = await store.reserve(messageId, 30_000);
        if (result !== 'acquired') continue;
        handled.set(messageId, (handled.get(messageId) ?? 0) + 1);
        await store.commit(messageId, 3_600_000);
      }
      expect(handled.size).toBe(ids.length);
      expect([...handled.values()].every((times) => times === 1)).toBe(true);
    }, 60_000);
  },
);
