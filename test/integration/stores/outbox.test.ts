import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SwitchboardError } from '../../../src/errors.js';
import { createOutbox, type Outbox } from '../../../src/postgres/outbox.js';
import { outboxSchemaSql } from '../../../src/postgres/outbox-sql.js';
import { memoryTransport } from '../../../src/transport/memory/index.js';
import type { Delivery } from '../../../src/transport/types.js';
import { dropTables, sql, uniqueTable } from '../../support/stores-postgres.js';
import { recordingTransport, textMessage } from '../../support/stores-transport.js';
import '../../support/stores-provided.js';
import { missingUrl, skipWithout } from '../../support/broker-skip.js';

const url = inject('postgresUrl');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

// Skipped only when the global setup found no PostgreSQL outside CI (in CI that fails the run instead).
describe.skipIf(skipWithout('PostgreSQL', missingUrl(url, inject('storesUnavailableReason'), 'PostgreSQL')))(
  'postgres outbox',
  () => {
    let pool: pg.Pool;
    const tables: string[] = [];

    async function freshOutbox(label: string): Promise<Outbox> {
      const table = uniqueTable(label);
      tables.push(table);
      const outbox = createOutbox({ pool, table });
      await outbox.ensureSchema();
      return outbox;
    }

    /** Enqueues each entry in its own committed transaction, as a service handling requests would. */
    async function enqueueAll(outbox: Outbox, entries: { topic?: string; text: string; key?: string }[]) {
      const client = await pool.connect();
      try {
        for (const entry of entries) {
          await client.query('BEGIN');
          await outbox.enqueue(client, {
            topic: entry.topic ?? 'task-events',
            message: textMessage(entry.text, entry.key),
          });
          await client.query('COMMIT');
        }
      } finally {
        client.release();
      }
    }

    beforeAll(() => {
      pool = new pg.Pool({ connectionString: url, max: 12 });
    });

    afterAll(async () => {
      await pool.end();
      await dropTables(url, ...tables);
    });

    it('validates its options and entries', async () => {
      expect(() => createOutbox({ pool, table: 'bad-name' })).toThrow(
        expect.objectContaining({ code: 'SWB_CONFIG_INVALID' }),
      );
      expect(() => createOutbox({ pool, channel: 'no spaces' })).toThrow(/channel/);
      const outbox = createOutbox({ pool });
      await expect(outbox.enqueue(pool, { topic: '', message: textMessage('x') })).rejects.toMatchObject({
        code: 'SWB_CONFIG_INVALID',
      });
      await expect(
        outbox.enqueue(pool, { topic: 't', message: { headers: {}, body: 'text' as unknown as Uint8Array } }),
      ).rejects.toMatchObject({ code: 'SWB_ENVELOPE_INVALID' });
      await expect(
        outbox.enqueue(pool, {
          topic: 't',
          message: { headers: { n: 1 as unknown as string }, body: new Uint8Array() },
        }),
      ).rejects.toMatchObject({ code: 'SWB_ENVELOPE_INVALID' });
      expect(() => outbox.startRelay({ transport: {} as never })).toThrow(/publish/);
      expect(() => outbox.startRelay({ transport: recordingTransport(), batchSize: 0 })).toThrow(/batchSize/);
      await expect(outbox.cleanupSent({ batchSize: -1 })).rejects.toMatchObject({
        code: 'SWB_CONFIG_INVALID',
      });
    });

    it('creates its table and indexes, also from several callers at once', async () => {
      const table = uniqueTable('schema');
      tables.push(table);
      await Promise.all(Array.from({ length: 4 }, () => createOutbox({ pool, table }).ensureSchema()));
      const indexes = await sql<{ indexname: string }>(
        url,
        'SELECT indexname FROM pg_indexes WHERE tablename = $1',
        [table],
      );
      expect(indexes.map((i) => i.indexname).sort()).toEqual(
        [`${table}_pending_idx`, `${table}_pending_key_idx`, `${table}_pkey`, `${table}_sent_at_idx`].sort(),
      );
      expect(outboxSchemaSql('app.box')).toContain('"app"."box"');
      expect(createOutbox({ pool, table }).channel).toBe(`${table}_pending`);
    });

    it("writes in the caller's transaction: a rollback leaves nothing, a commit leaves the row", async () => {
      const outbox = await freshOutbox('tx');
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await outbox.enqueue(client, { topic: 't', message: textMessage('rolled back') });
        await client.query('ROLLBACK');
        expect(await outbox.pending()).toBe(0);

        await client.query('BEGIN');
        const written = await outbox.enqueue(client, {
          topic: 'task-events',
          message: textMessage('{"id":1}', 'task-1', { ce_id: 'evt-1', 'content-type': 'application/json' }),
        });
        // Not visible to others before the commit.
        expect(await outbox.pending()).toBe(0);
        await client.query('COMMIT');
        expect(written).toEqual({ id: expect.stringMatching(/^\d+$/), messageId: 'evt-1' });
        const [row] = await sql(url, `SELECT * FROM ${outbox.table} WHERE id = $1`, [written.id]);
        expect(row).toMatchObject({
          topic: 'task-events',
          partition_key: 'task-1',
          message_key: 'task-1',
          message_id: 'evt-1',
          headers: { ce_id: 'evt-1', 'content-type': 'application/json' },
          attempts: 0,
          sent_at: null,
        });
        // Message id from the NATS-style header, then generated; explicit partition key wins over the key.
        const nats = await outbox.enqueue(client, {
          topic: 't',
          message: textMessage('x', undefined, { 'ce-id': 'n-1' }),
        });
        expect(nats.messageId).toBe('n-1');
        const generated = await outbox.enqueue(client, {
          topic: 't',
          message: textMessage('x', 'k'),
          partitionKey: 'p',
        });
        expect(generated.messageId).toMatch(/^[0-9a-f-]{36}$/);
        const [explicit] = await sql(url, `SELECT partition_key FROM ${outbox.table} WHERE id = $1`, [
          generated.id,
        ]);
        expect(explicit).toEqual({ partition_key: 'p' });
      } finally {
        client.release();
      }
    });

    it('relays through the in-memory transport: key, headers, body and message id arrive intact', async () => {
      const outbox = await freshOutbox('memory');
      const transport = memoryTransport();
      const received: Delivery[] = [];
      await transport.subscribe(
        'task-events',
        async (delivery) => {
          received.push(delivery);
          await delivery.ack();
        },
        { group: 'notifications', startFrom: 'earliest' },
      );
      const client = await pool.connect();
      await client.query('BEGIN');
      await client.query('SELECT 1'); // the business write would be here
      await outbox.enqueue(client, {
        topic: 'task-events',
        message: {
          key: 'task-7',
          headers: { ce_id: 'e-7', ce_type: 'task.created.v1' },
          body: new Uint8Array([0, 1, 255]),
        },
      });
      await client.query('COMMIT');
      client.release();

      expect(await outbox.relayOnce({ transport })).toEqual({ claimed: 1, published: 1, failed: 0 });
      await waitUntil(() => received.length === 1);
      expect(received[0]?.message).toEqual({
        key: 'task-7',
        headers: { ce_id: 'e-7', ce_type: 'task.created.v1' },
        body: new Uint8Array([0, 1, 255]),
      });
      expect(await outbox.pending()).toBe(0);
      expect(await outbox.relayOnce({ transport })).toEqual({ claimed: 0, published: 0, failed: 0 });
      await transport.close();
    });

    it('wakes on NOTIFY without waiting for the poll', async () => {
      const outbox = await freshOutbox('notify');
      const transport = recordingTransport();
      const relay = outbox.startRelay({ transport, pollIntervalMs: 60_000 });
      // Let the first (empty) batch and LISTEN happen, so only a notification can wake the relay now.
      await sleep(300);
      await enqueueAll(outbox, [{ text: 'ping' }]);
      await waitUntil(() => transport.published.length === 1, 5000);
      expect(relay.running).toBe(true);
      await relay.stop();
      await relay.stop();
      expect(relay.running).toBe(false);
      expect(relay.stats()).toMatchObject({ published: 1, failed: 0 });
    });

    it('polls when LISTEN is off', async () => {
      const outbox = await freshOutbox('poll');
      const transport = recordingTransport();
      const relay = outbox.startRelay({ transport, listen: false, pollIntervalMs: 50 });
      await sleep(100);
      await enqueueAll(outbox, [{ text: 'a' }, { text: 'b' }]);
      await waitUntil(() => transport.published.length === 2, 5000);
      await relay.stop();
    });

    it('retries a failed publish with back-off, keeping the rest of its key waiting', async () => {
      const outbox = await freshOutbox('retry');
      let failuresLeft = 2;
      const transport = recordingTransport({
        fail: (p) => p.text === 'k1-0' && failuresLeft-- > 0,
      });
      await enqueueAll(outbox, [
        { text: 'k1-0', key: 'k1' },
        { text: 'k1-1', key: 'k1' },
        { text: 'k2-0', key: 'k2' },
        { text: 'none' },
      ]);
      const errors: SwitchboardError[] = [];
      const first = await outbox.relayOnce({
        transport,
        backoff: { initialMs: 100, maxMs: 100 },
        onError: (e) => errors.push(e),
      });
      expect(first).toMatchObject({ failed: 1 });
      // k1-1 must not go before k1-0.
      expect(transport.published.map((p) => p.text).sort()).toEqual(['k2-0', 'none']);
      expect(errors[0]).toMatchObject({ code: 'SWB_PUBLISH_FAILED', retryable: true });
      const [failed] = await sql<{ attempts: number; last_error: string; wait: number }>(
        url,
        `SELECT attempts, last_error, extract(epoch FROM next_attempt_at - now()) * 1000 AS wait
       FROM ${outbox.table} WHERE message_key = 'k1' ORDER BY id LIMIT 1`,
      );
      expect(failed?.attempts).toBe(1);
      expect(failed?.last_error).toBe('SWB_PUBLISH_FAILED: broker said no');
      expect(Number(failed?.wait)).toBeGreaterThan(0);
      // Still in back-off: nothing to claim for k1.
      expect(await outbox.relayOnce({ transport })).toMatchObject({ claimed: 0 });

      const relay = outbox.startRelay({
        transport,
        pollIntervalMs: 20,
        backoff: { initialMs: 50, maxMs: 100 },
      });
      await waitUntil(() => transport.published.length === 4);
      await relay.stop();
      expect(transport.published.map((p) => p.text).sort()).toEqual(['k1-0', 'k1-1', 'k2-0', 'none']);
      const order = transport.published.filter((p) => p.key === 'k1').map((p) => p.text);
      expect(order).toEqual(['k1-0', 'k1-1']);
      const [row] = await sql<{ attempts: number; last_error: string | null }>(
        url,
        `SELECT attempts, last_error FROM ${outbox.table} WHERE message_key = 'k1' ORDER BY id LIMIT 1`,
      );
      expect(row).toEqual({ attempts: 3, last_error: null });
    });

    it('gives up on a publish that hangs past publishTimeoutMs and retries the row', async () => {
      const outbox = await freshOutbox('timeout');
      await enqueueAll(outbox, [
        { text: 'slow', key: 'k' },
        { text: 'after', key: 'k' },
      ]);
      let signal: AbortSignal | undefined;
      const hanging = {
        publish: (_topic: string, _message: unknown, options?: { signal?: AbortSignal }) => {
          signal = options?.signal;
          return new Promise<never>(() => {});
        },
      };
      const errors: SwitchboardError[] = [];
      const result = await outbox.relayOnce({
        transport: hanging,
        publishTimeoutMs: 100,
        onError: (e) => errors.push(e),
      });
      expect(result).toEqual({ claimed: 2, published: 0, failed: 1 });
      expect(signal?.aborted).toBe(true);
      expect(errors[0]).toMatchObject({ code: 'SWB_TIMEOUT', retryable: true });
      const rows = await sql<{ attempts: number; last_error: string | null }>(
        url,
        `SELECT attempts, last_error FROM ${outbox.table} ORDER BY id`,
      );
      expect(rows).toEqual([
        { attempts: 1, last_error: 'SWB_TIMEOUT: outbox relay: publish timed out' },
        { attempts: 0, last_error: null },
      ]);
    });

    it('publishes the head alone when a later row of its key is locked elsewhere', async () => {
      const outbox = await freshOutbox('nowait');
      await enqueueAll(outbox, [
        { text: '0', key: 'k' },
        { text: '1', key: 'k' },
        { text: '2', key: 'k' },
      ]);
      const locker = await pool.connect();
      try {
        await locker.query('BEGIN');
        // By id: with OFFSET, FOR UPDATE would lock the skipped row too.
        const [second] = await sql<{ id: string }>(
          url,
          `SELECT id FROM ${outbox.table} ORDER BY id OFFSET 1 LIMIT 1`,
        );
        await locker.query(`SELECT id FROM ${outbox.table} WHERE id = $1 FOR UPDATE`, [second?.id]);
        const transport = recordingTransport();
        expect(await outbox.relayOnce({ transport, batchSize: 10 })).toEqual({
          claimed: 1,
          published: 1,
          failed: 0,
        });
        await locker.query('ROLLBACK');
        expect(await outbox.relayOnce({ transport, batchSize: 10 })).toEqual({
          claimed: 2,
          published: 2,
          failed: 0,
        });
        expect(transport.published.map((p) => p.text)).toEqual(['0', '1', '2']);
      } finally {
        locker.release();
      }
    });

    it('listens again after its LISTEN connection dies', async () => {
      const outbox = await freshOutbox('relisten');
      const transport = recordingTransport();
      const errors: SwitchboardError[] = [];
      const relay = outbox.startRelay({ transport, pollIntervalMs: 60_000, onError: (e) => errors.push(e) });
      try {
        const listening = async () =>
          (
            await sql<{ pid: number }>(url, 'SELECT pid FROM pg_stat_activity WHERE query = $1', [
              `LISTEN "${outbox.channel}"`,
            ])
          ).length === 1;
        await waitUntil(listening);
        await sql(url, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1', [
          `LISTEN "${outbox.channel}"`,
        ]);
        await waitUntil(() => errors.some((e) => e.details?.op === 'listen'));
        expect(errors[0]).toMatchObject({ code: 'SWB_STORE_UNAVAILABLE', retryable: true });
        await waitUntil(listening);
        await enqueueAll(outbox, [{ text: 'after' }]);
        await waitUntil(() => transport.published.length === 1, 5000);
      } finally {
        await relay.stop();
      }
    });

    it('drains a hot key in few batches, in order', async () => {
      const outbox = await freshOutbox('hot');
      await enqueueAll(
        outbox,
        Array.from({ length: 300 }, (_, i) => ({ text: String(i), key: 'hot' })),
      );
      const transport = recordingTransport();
      let batches = 0;
      for (;;) {
        const result = await outbox.relayOnce({ transport, batchSize: 50 });
        if (result.claimed === 0) break;
        batches++;
      }
      expect(transport.published.map((p) => Number(p.text))).toEqual(
        Array.from({ length: 300 }, (_, i) => i),
      );
      expect(batches).toBe(6);
    });

    it('several relays at once, with failing publishes: every row once, per-key order kept', async () => {
      const outbox = await freshOutbox('many');
      const keys = 8;
      const perKey = 40;
      const entries: { text: string; key?: string }[] = [];
      for (let i = 0; i < perKey; i++) {
        for (let k = 0; k < keys; k++) entries.push({ text: `k${k}:${i}`, key: `k${k}` });
        if (i % 4 === 0) entries.push({ text: `free:${i}` });
      }
      const transport = recordingTransport({
        fail: () => Math.random() < 0.1,
        delayMs: () => Math.random() * 2,
      });
      const relays = Array.from({ length: 3 }, () =>
        outbox.startRelay({
          transport,
          batchSize: 16,
          pollIntervalMs: 20,
          backoff: { initialMs: 5, maxMs: 20 },
        }),
      );
      // Four producers on four connections enqueue while the relays run, as four API instances would. Each key
      // belongs to one producer, so its enqueue order is well defined.
      const producer = (e: { text: string; key?: string }) =>
        e.key === undefined ? Number(e.text.split(':')[1]) % 4 : Number(e.key.slice(1)) % 4;
      await Promise.all(
        [0, 1, 2, 3].map((c) =>
          enqueueAll(
            outbox,
            entries.filter((e) => producer(e) === c),
          ),
        ),
      );
      await waitUntil(() => transport.published.length === entries.length, 30_000);
      await Promise.all(relays.map((r) => r.stop()));
      expect(await outbox.pending()).toBe(0);
      const texts = transport.published.map((p) => p.text);
      expect(new Set(texts).size).toBe(entries.length);
      for (let k = 0; k < keys; k++) {
        const seq = transport.published
          .filter((p) => p.key === `k${k}`)
          .map((p) => Number(p.text.split(':')[1]));
        expect(seq).toEqual(Array.from({ length: perKey }, (_, i) => i));
      }
      const stats = relays.map((r) => r.stats());
      expect(stats.reduce((sum, s) => sum + s.published, 0)).toBe(entries.length);
      // The work was shared.
      expect(stats.filter((s) => s.published > 0).length).toBeGreaterThan(1);
    }, 60_000);

    it('stop() lets the batch in flight finish and mark; nothing is published afterwards', async () => {
      const outbox = await freshOutbox('drain');
      await enqueueAll(
        outbox,
        Array.from({ length: 120 }, (_, i) => ({ text: String(i) })),
      );
      const transport = recordingTransport({ delayMs: () => 3 });
      const relay = outbox.startRelay({ transport, batchSize: 10, pollIntervalMs: 1000 });
      await waitUntil(() => transport.published.length >= 15);
      await relay.stop();
      transport.closed = true;
      const published = transport.published.length;
      expect(published).toBeLessThan(120);
      const [sent] = await sql<{ n: number }>(
        url,
        `SELECT count(*)::int AS n FROM ${outbox.table} WHERE sent_at IS NOT NULL`,
      );
      expect(sent?.n).toBe(published);
      expect(published % 10).toBe(0);
      await sleep(100);
      expect(transport.calls).toBe(published);
    });

    it('reports database errors through onError and keeps trying with back-off', async () => {
      const errors: SwitchboardError[] = [];
      const broken = createOutbox({ pool, table: 'swb_no_such_outbox' });
      const relay = broken.startRelay({
        transport: recordingTransport(),
        pollIntervalMs: 20,
        backoff: { initialMs: 10, maxMs: 20 },
        onError: (e) => errors.push(e),
      });
      await waitUntil(() => errors.length >= 2);
      await relay.stop();
      expect(errors[0]).toMatchObject({ code: 'SWB_STORE_UNAVAILABLE', retryable: false });
      expect(errors[0]?.details).toMatchObject({ sqlState: '42P01' });
      await expect(broken.relayOnce({ transport: recordingTransport() })).rejects.toMatchObject({
        code: 'SWB_STORE_UNAVAILABLE',
      });
    });

    it('deletes sent rows in batches and keeps pending ones', async () => {
      const outbox = await freshOutbox('cleanup');
      await enqueueAll(
        outbox,
        Array.from({ length: 25 }, (_, i) => ({ text: String(i) })),
      );
      await outbox.relayOnce({ transport: recordingTransport(), batchSize: 20 });
      await enqueueAll(outbox, [{ text: 'late' }]);
      expect(await outbox.cleanupSent({ olderThanMs: 3_600_000 })).toBe(0);
      expect(await outbox.cleanupSent({ batchSize: 7, maxBatches: 2 })).toBe(14);
      expect(await outbox.cleanupSent({ batchSize: 7 })).toBe(6);
      expect(await outbox.pending()).toBe(6);
    });
  },
);
