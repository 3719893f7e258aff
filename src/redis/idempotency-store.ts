/**
 * The Redis idempotency store, on ioredis.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Cluster, Redis } from 'ioredis';
import { SwitchboardError } from '../errors.js';
import type { IdempotencyStore, ReserveResult } from '../idempotency/types.js';
import { assertKey, durationMs } from '../idempotency/validate.js';
import { redisStoreError } from './errors.js';

/** Options of {@link redisIdempotencyStore}: give `client` or `url`. */
export interface RedisIdempotencyStoreOptions {
  /**
   * A client you already have. The store never closes it. Its own settings stay as they are, but the store
   * refuses to send while it is not connected and bounds every command by `commandTimeoutMs`, so an offline
   * queue never makes a caller wait.
   */
  readonly client?: Redis | Cluster;
  /**
   * `redis://host:port/db` for a client the store creates and closes: lazy connect, no offline queue, no resend
   * of unanswered commands after a reconnect, reconnects with back-off up to 1 s.
   */
  readonly url?: string;
  /** Prefix of every key the store writes. Default `swb:idem:`. */
  readonly prefix?: string;
  /** Longest wait for one command, in milliseconds; then `SWB_STORE_UNAVAILABLE` (retryable). Default 1000. */
  readonly commandTimeoutMs?: number;
  /** Longest wait for the first connection of a store-created client, in milliseconds. Default 2000. */
  readonly connectTimeoutMs?: number;
}

/** The Redis store: an {@link IdempotencyStore} whose `close` and `health` always exist. */
export interface RedisIdempotencyStore extends IdempotencyStore {
  /** Quits the client when the store created it; leaves a client you passed alone. */
  close(): Promise<void>;
  /** PINGs Redis within `commandTimeoutMs`. Never throws. */
  health(): Promise<{ ok: boolean; detail?: string }>;
}

const DONE = 'd';

// Deletes the key only while it still holds this store's reservation: a committed record ('d') or another
// worker's reservation (after ours expired and was taken over) stays.
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// For Redis before 7.0, where SET cannot combine NX and GET: the same answer in one atomic step.
const RESERVE_SCRIPT = `local old = redis.call('GET', KEYS[1])
if old then return old end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/**
 * Creates an {@link IdempotencyStore} on Redis.
 *
 * - `reserve` is one `SET key "r:<owner>" NX PX <lease> GET`: atomic, and its reply (the old value) says at once
 *   whether the key was free (`acquired`), committed (`duplicate`) or reserved (`in-progress`). Redis before 7.0
 *   gets the same through a small Lua script.
 * - `commit` is `SET key "d" PX <ttl>`: unconditional, as the contract asks. If the reservation had expired the
 *   record is written all the same (the side effect happened and must be remembered); if another worker took the
 *   key over meanwhile, its reservation is replaced by the record, its own commit later is harmless and its
 *   release cannot drop the record.
 * - `release` is a Lua compare-and-delete: it drops the key only while it holds this store instance's own
 *   reservation, never a committed record nor another process's reservation. Two consumers sharing one store
 *   instance share its owner token, so keep leases longer than handlers run (the bus's timeout).
 * - Unreachable Redis rejects with a retryable `SWB_STORE_UNAVAILABLE` within `commandTimeoutMs` (nothing waits in
 *   an offline queue), so callers fail closed: nack, retry later, never handle without a reservation.
 *
 * @example
 * ```ts
 * import { redisIdempotencyStore } from 'switchboard/redis';
 *
 * const store = redisIdempotencyStore({ url: 'redis://127.0.0.1:6379', prefix: 'billing:idem:' });
 * const result = await store.reserve('backend-api:0190a3c4', 30_000); // 'acquired' | 'duplicate' | 'in-progress'
 * ```
 */
export function redisIdempotencyStore(options: RedisIdempotencyStoreOptions): RedisIdempotencyStore {
  if ((options.client === undefined) === (options.url === undefined)) {
    throw new SwitchboardError(
      'SWB_CONFIG_INVALID',
      'redisIdempotencyStore needs exactly one of client or url',
    );
  }
  const prefix = options.prefix ?? 'swb:idem:';
  const commandTimeoutMs = durationMs('commandTimeoutMs', options.commandTimeoutMs ?? 1000);
  const connectTimeoutMs = durationMs('connectTimeoutMs', options.connectTimeoutMs ?? 2000);
  const owned = options.client === undefined;
  const client: Redis | Cluster =
    options.client ??
    new Redis(options.url as string, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      connectTimeout: connectTimeoutMs,
      retryStrategy: (times) => Math.min(times * 100, 1000),
    });
  // An owned client reports connection errors through its commands; without a listener ioredis would print them.
  if (owned) client.on('error', () => {});
  // Commands waiting for a reply, oldest first, checked by one watchdog timer instead of a timer per command
  // (ioredis's commandTimeout arms one per command, which costs more than the command itself when pipelined).
  const inflight = new Set<{ readonly deadline: number; readonly reject: (error: unknown) => void }>();
  let watchdog: NodeJS.Timeout | undefined;
  const watchEveryMs = Math.max(5, Math.floor(commandTimeoutMs / 4));
  // 72 random bits name this instance's reservations: unique enough, and short, since it travels with every reserve.
  const reservedValue = `r:${randomBytes(9).toString('base64url')}`;
  const releaseSha = sha1(RELEASE_SCRIPT);
  const reserveSha = sha1(RESERVE_SCRIPT);
  let legacyReserve = false;
  let connecting: Promise<void> | undefined;
  let closed = false;

  function waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: unknown) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('end', onEnd);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = () => done();
      const onEnd = () => done(new Error('connection ended'));
      const timer = setTimeout(() => done(new Error('connect timed out')), timeoutMs);
      client.on('ready', onReady);
      client.on('end', onEnd);
    });
  }

  async function ensureReady(op: string): Promise<void> {
    if (closed) {
      throw new SwitchboardError('SWB_STORE_UNAVAILABLE', 'redis idempotency store is closed', {
        details: { store: 'redis', op },
      });
    }
    if (client.status === 'ready') return;
    try {
      if (client.status === 'wait') {
        connecting ??= client.connect().finally(() => {
          connecting = undefined;
        });
        await connecting;
      } else if (client.status === 'connecting' || client.status === 'connect') {
        // One waiter for every caller, so a burst of calls during the handshake adds one pair of listeners.
        connecting ??= waitForReady(connectTimeoutMs).finally(() => {
          connecting = undefined;
        });
        await connecting;
      } else {
        // reconnecting, close, end: fail now rather than queue; the caller retries later.
        throw new Error(`not connected (${client.status})`);
      }
    } catch (error) {
      throw new SwitchboardError(
        'SWB_STORE_UNAVAILABLE',
        `redis idempotency store: ${op} failed (not connected)`,
        {
          retryable: true,
          cause: error,
          details: { store: 'redis', op },
        },
      );
    }
  }

  function sweep(): void {
    const now = performance.now();
    for (const entry of inflight) {
      // Insertion order is deadline order: stop at the first that still has time.
      if (entry.deadline > now) return;
      inflight.delete(entry);
      entry.reject(new Error('Command timed out'));
    }
    clearInterval(watchdog);
    watchdog = undefined;
  }

  // Bounds a command by the watchdog and maps its failure, in one promise.
  function bounded<T>(op: string, command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = {
        deadline: performance.now() + commandTimeoutMs,
        reject: (error: unknown) => reject(redisStoreError(op, error)),
      };
      inflight.add(entry);
      if (watchdog === undefined) {
        watchdog = setInterval(sweep, watchEveryMs);
        watchdog.unref();
      }
      command.then(
        (value) => {
          inflight.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          inflight.delete(entry);
          entry.reject(error);
        },
      );
    });
  }

  async function evalScript(sha: string, script: string, key: string, ...args: string[]): Promise<unknown> {
    try {
      return await client.evalsha(sha, 1, key, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT'))
        return client.eval(script, 1, key, ...args);
      throw error;
    }
  }

  function classify(old: unknown): ReserveResult {
    if (old === null || old === undefined) return 'acquired';
    return String(old) === DONE ? 'duplicate' : 'in-progress';
  }

  // The hot paths below chain promises by hand instead of nesting async functions: at tens of thousands of calls
  // per second, every extra promise hop shows against the raw client.
  function send<T>(op: string, command: () => Promise<T>): Promise<T> {
    if (client.status === 'ready' && !closed) return bounded(op, command());
    return ensureReady(op).then(() => bounded(op, command()));
  }

  function reserveCommand(redisKey: string, lease: string): Promise<ReserveResult> {
    if (legacyReserve) {
      return evalScript(reserveSha, RESERVE_SCRIPT, redisKey, reservedValue, lease).then(classify);
    }
    return client
      .call('SET', redisKey, reservedValue, 'PX', lease, 'NX', 'GET')
      .then(classify, (error: unknown) => {
        // Redis < 7.0 answers a syntax error to NX with GET; switch to the script for good.
        if (!(error instanceof Error && /syntax error/i.test(error.message))) throw error;
        legacyReserve = true;
        return evalScript(reserveSha, RESERVE_SCRIPT, redisKey, reservedValue, lease).then(classify);
      });
  }

  return {
    reserve(key: string, leaseMs: number): Promise<ReserveResult> {
      let lease: string;
      try {
        assertKey(key);
        lease = String(durationMs('leaseMs', leaseMs));
      } catch (error) {
        return Promise.reject(error);
      }
      const redisKey = prefix + key;
      if (client.status === 'ready' && !closed) return bounded('reserve', reserveCommand(redisKey, lease));
      return send('reserve', () => reserveCommand(redisKey, lease));
    },

    commit(key: string, ttlMs: number): Promise<void> {
      let ttl: number;
      try {
        assertKey(key);
        ttl = durationMs('ttlMs', ttlMs);
      } catch (error) {
        return Promise.reject(error);
      }
      const redisKey = prefix + key;
      const done =
        client.status === 'ready' && !closed
          ? bounded('commit', client.set(redisKey, DONE, 'PX', ttl))
          : send('commit', () => client.set(redisKey, DONE, 'PX', ttl));
      return done.then(() => undefined);
    },

    release(key: string): Promise<void> {
      try {
        assertKey(key);
      } catch (error) {
        return Promise.reject(error);
      }
      const redisKey = prefix + key;
      return send('release', () => evalScript(releaseSha, RELEASE_SCRIPT, redisKey, reservedValue)).then(
        () => undefined,
      );
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(watchdog);
      watchdog = undefined;
      if (!owned) return;
      if (client.status === 'ready') {
        await client.quit().catch(() => client.disconnect());
      } else {
        client.disconnect();
      }
    },

    async health(): Promise<{ ok: boolean; detail?: string }> {
      try {
        await send('health', () => client.ping());
        return { ok: true, detail: 'redis: PONG' };
      } catch (error) {
        return { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
