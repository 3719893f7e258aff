/**
 * The outbox relay: one batch (claim, publish, mark) and the loop that runs batches when woken.
 *
 * @module
 */
import type pg from 'pg';
import type { WireHeaders, WireMessage } from '../envelope/types.js';
import { isSwitchboardError, SwitchboardError, toSwitchboardError } from '../errors.js';
import type { Transport } from '../transport/types.js';
import { pgError } from './errors.js';
import type { OutboxStatements } from './outbox-sql.js';

/** Options of {@link Outbox.startRelay} and {@link Outbox.relayOnce}. */
export interface OutboxRelayOptions {
  /** Where rows go: `transport.publish(topic, message, { messageId })`. A bus's transport, or any Transport. */
  readonly transport: Pick<Transport, 'publish'>;
  /** Rows claimed per transaction. Default 100. */
  readonly batchSize?: number;
  /** How often to look for rows when no notification came, in milliseconds. Default 1000. */
  readonly pollIntervalMs?: number;
  /**
   * Wake up on `NOTIFY` from {@link Outbox.enqueue} (one pooled connection stays checked out for `LISTEN`).
   * Polling still runs as the fallback, for lost notifications and retries. Default `true`.
   */
  readonly listen?: boolean;
  /** Back-off of a row whose publish failed: `initialMs * 2^(attempts-1)`, at most `maxMs`, +-25 % jitter. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * Longest wait for the publishes of one batch, in milliseconds (also passed to `publish` as its abort signal):
   * it bounds how long a batch keeps its rows locked. Rows not published by then are retried. Default 10 000.
   */
  readonly publishTimeoutMs?: number;
  /** Told about every failure: a publish (the row is retried later) or a database error (the batch is). */
  readonly onError?: (error: SwitchboardError) => void;
}

/** Counters of a relay. */
export interface OutboxRelayStats {
  /** Rows published and marked sent. */
  readonly published: number;
  /** Publish attempts that failed (each row is retried after its back-off). */
  readonly failed: number;
  /** Transactions run. */
  readonly batches: number;
}

/** A running relay. */
export interface OutboxRelay {
  /** Whether the loop runs (until {@link stop}). */
  readonly running: boolean;
  /** Counters since start. */
  stats(): OutboxRelayStats;
  /**
   * Stops taking new batches, lets the batch in flight finish publishing and marking, stops listening and
   * returns the connections. Idempotent.
   */
  stop(): Promise<void>;
}

/** What one batch did. */
export interface RelayBatchResult {
  /** Rows this batch locked. */
  readonly claimed: number;
  readonly published: number;
  readonly failed: number;
}

interface OutboxRow {
  id: string;
  topic: string;
  partition_key: string | null;
  message_id: string;
  message_key: string | null;
  headers: WireHeaders;
  body: Buffer;
  attempts: number;
}

interface ResolvedRelayOptions {
  readonly transport: Pick<Transport, 'publish'>;
  readonly batchSize: number;
  readonly initialMs: number;
  readonly maxMs: number;
  readonly publishTimeoutMs: number;
  readonly onError: (error: SwitchboardError) => void;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', `${name} must be a positive integer`, {
      details: { [name]: String(value) },
    });
  }
  return value;
}

/** Fills in defaults and checks the options. */
export function resolveRelayOptions(options: OutboxRelayOptions): ResolvedRelayOptions & {
  readonly pollIntervalMs: number;
  readonly listen: boolean;
} {
  if (typeof options.transport?.publish !== 'function') {
    throw new SwitchboardError('SWB_CONFIG_INVALID', 'the outbox relay needs a transport with publish()');
  }
  return {
    transport: options.transport,
    batchSize: positiveInteger('batchSize', options.batchSize ?? 100),
    pollIntervalMs: positiveInteger('pollIntervalMs', options.pollIntervalMs ?? 1000),
    listen: options.listen ?? true,
    initialMs: positiveInteger('backoff.initialMs', options.backoff?.initialMs ?? 200),
    maxMs: positiveInteger('backoff.maxMs', options.backoff?.maxMs ?? 30_000),
    publishTimeoutMs: positiveInteger('publishTimeoutMs', options.publishTimeoutMs ?? 10_000),
    onError: options.onError ?? (() => {}),
  };
}

function backoffMs(attempts: number, options: ResolvedRelayOptions): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

function toMessage(row: OutboxRow): WireMessage {
  return {
    ...(row.message_key === null ? {} : { key: row.message_key }),
    headers: row.headers,
    body: new Uint8Array(row.body.buffer, row.body.byteOffset, row.body.byteLength),
  };
}

/** A short, payload-free description of a publish failure for the `last_error` column. */
function describe(error: SwitchboardError): string {
  return `${error.code}: ${error.message}`.slice(0, 500);
}

/**
 * Runs one relay transaction: claims publishable rows (heads of their keys, then their followers), publishes each
 * key's rows in order (keys in parallel), marks the published rows sent and the failed ones for a retry, and
 * commits. A crash before the commit leaves every row unsent and unlocked: it is published again (at least once).
 */
export async function relayBatch(
  pool: pg.Pool,
  sql: OutboxStatements,
  options: ResolvedRelayOptions,
): Promise<RelayBatchResult> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw pgError('postgres outbox relay', 'connect', error);
  }
  let broken: unknown;
  let op = 'claim';
  try {
    await client.query('BEGIN');
    const window = options.batchSize * 4;
    const rows = (await client.query<OutboxRow>(sql.heads, [options.batchSize, window])).rows;
    if (rows.length === 0) {
      await client.query('COMMIT');
      return { claimed: 0, published: 0, failed: 0 };
    }
    const keys = [...new Set(rows.flatMap((row) => (row.partition_key === null ? [] : [row.partition_key])))];
    if (keys.length > 0 && rows.length < options.batchSize) {
      await client.query('SAVEPOINT swb_followers');
      try {
        const more = await client.query<OutboxRow>(sql.followers, [
          keys,
          rows.map((row) => row.id),
          options.batchSize - rows.length,
        ]);
        rows.push(...more.rows);
        await client.query('RELEASE SAVEPOINT swb_followers');
      } catch (error) {
        if ((error as { code?: unknown }).code !== '55P03') throw error;
        await client.query('ROLLBACK TO SAVEPOINT swb_followers');
      }
    }

    // One lane per key, in id order; rows without a key each get their own lane.
    const lanes = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const lane = row.partition_key === null ? `#${row.id}` : `k:${row.partition_key}`;
      const list = lanes.get(lane);
      if (list === undefined) lanes.set(lane, [row]);
      else list.push(row);
    }
    const sent: string[] = [];
    const failures: { row: OutboxRow; error: SwitchboardError }[] = [];
    op = 'publish';
    // One deadline for the whole batch: it bounds how long the transaction (and its row locks) stays open, with
    // one timer instead of one per row.
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new SwitchboardError('SWB_TIMEOUT', 'outbox relay: publish timed out', { retryable: true }),
        ),
      options.publishTimeoutMs,
    );
    const timedOut = new Promise<never>((_, reject) => {
      deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason), { once: true });
    });
    timedOut.catch(() => {});
    await Promise.all(
      [...lanes.values()].map(async (lane) => {
        lane.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
        for (const row of lane) {
          try {
            await Promise.race([
              options.transport.publish(row.topic, toMessage(row), {
                messageId: row.message_id,
                signal: deadline.signal,
              }),
              timedOut,
            ]);
            sent.push(row.id);
          } catch (error) {
            const wrapped = toSwitchboardError(error, 'SWB_PUBLISH_FAILED', 'outbox relay: publish failed', {
              details: { topic: row.topic },
            });
            failures.push({ row, error: wrapped });
            // The rest of this key waits for the failed row: publishing them now would break the order.
            return;
          }
        }
      }),
    ).finally(() => clearTimeout(timer));

    op = 'mark';
    if (sent.length > 0) await client.query(sql.markSent, [sent]);
    for (const { row, error } of failures) {
      await client.query(sql.markFailed, [row.id, describe(error), backoffMs(row.attempts + 1, options)]);
    }
    await client.query('COMMIT');
    for (const { error } of failures) options.onError(error);
    return { claimed: rows.length, published: sent.length, failed: failures.length };
  } catch (error) {
    broken = error;
    await client.query('ROLLBACK').catch(() => {});
    throw isSwitchboardError(error) ? error : pgError('postgres outbox relay', op, error);
  } finally {
    // A connection that failed mid-transaction may be unusable: destroy it rather than pool it.
    client.release(broken === undefined ? undefined : true);
  }
}
