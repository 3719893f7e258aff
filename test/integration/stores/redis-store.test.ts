import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isSwitchboardError, type SwitchboardError } from '../../../src/errors.js';
import { redisIdempotencyStore } from '../../../src/redis/idempotency-store.js';
import {
  deleteRedisPrefix,
  freePort,
  type PrivateRedis,
  startPrivateRedis,
} from '../../support/stores-redis.js';
import '../../support/stores-provided.js';
import { missingUrl, skipWithout } from '../../support/broker-skip.js';

const url = inject('redisUrl');

async function rejection(promise: Promise<unknown>): Promise<SwitchboardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSwitchboardError(error)) throw new Error(`expected a SwitchboardError, got ${String(error)}`);
  return error;
}

// Skipped only when the global setup found no Redis outside CI (in CI that fails the run instead).
describe.skipIf(skipWithout('Redis', missingUrl(url, inject('storesUnavailableReason'), 'Redis')))(
  'redisIdempotencyStore',
  () => {
    const prefix = `swb-test:${randomUUID().slice(0, 8)}:`;
    let raw: Redis;

    beforeAll(async () => {
      raw = new Redis(url, { lazyConnect: true });
      await raw.connect();
    });

    afterAll(async () => {
      raw.disconnect();
      await deleteRedisPrefix(url, prefix);
    });

    it('needs exactly one of client and url', () => {
      expect(() => redisIdempotencyStore({})).toThrow(/exactly one/);
      expect(() => redisIdempotencyStore({ url, client: raw })).toThrow(/exactly one/);
    });

    it('writes "r:<owner>" with a lease on reserve and "d" with the TTL on commit', async () => {
      const store = redisIdempotencyStore({ url, prefix });
      try {
        expect(await store.reserve('shape', 10_000)).toBe('acquired');
        expect(await raw.get(`${prefix}shape`)).toMatch(/^r:[A-Za-z0-9_-]{12}$/);
        const lease = await raw.pttl(`${prefix}shape`);
        expect(lease).toBeGreaterThan(9000);
        expect(lease).toBeLessThanOrEqual(10_000);
        await store.commit('shape', 60_000);
        expect(await raw.get(`${prefix}shape`)).toBe('d');
        expect(await raw.pttl(`${prefix}shape`)).toBeGreaterThan(59_000);
      } finally {
        await store.close();
      }
    });

    it("release drops only this instance's reservation, never another's", async () => {
      const a = redisIdempotencyStore({ url, prefix });
      const b = redisIdempotencyStore({ url, prefix });
      try {
        expect(await a.reserve('owner', 10_000)).toBe('acquired');
        await b.release('owner');
        expect(await b.reserve('owner', 10_000)).toBe('in-progress');
        await a.release('owner');
        expect(await b.reserve('owner', 10_000)).toBe('acquired');
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('uses a client it was given and leaves it open on close', async () => {
      const client = new Redis(url, { lazyConnect: true });
      const store = redisIdempotencyStore({ client, prefix });
      expect(await store.reserve('given', 10_000)).toBe('acquired');
      await store.close();
      expect(client.status).toBe('ready');
      await expect(store.reserve('given-2', 10_000)).rejects.toMatchObject({ retryable: false });
      expect(await client.get(`${prefix}given`)).toMatch(/^r:/);
      client.disconnect();
    });

    it('reloads its script after SCRIPT FLUSH', async () => {
      const store = redisIdempotencyStore({ url, prefix });
      try {
        expect(await store.reserve('noscript', 10_000)).toBe('acquired');
        await raw.script('FLUSH');
        await store.release('noscript');
        expect(await raw.exists(`${prefix}noscript`)).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('falls back to the reserve script where SET rejects NX with GET (Redis < 7.0)', async () => {
      const client = new Redis(url, { lazyConnect: true });
      const call = client.call.bind(client) as (...args: unknown[]) => Promise<unknown>;
      let rejected = 0;
      (client as unknown as { call: (...args: unknown[]) => Promise<unknown> }).call = (
        ...args: unknown[]
      ) => {
        if (args[0] === 'SET' && args.includes('GET')) {
          rejected++;
          return Promise.reject(new Error('ERR syntax error'));
        }
        return call(...args);
      };
      const store = redisIdempotencyStore({ client, prefix });
      try {
        expect(await store.reserve('legacy', 10_000)).toBe('acquired');
        expect(await store.reserve('legacy', 10_000)).toBe('in-progress');
        await store.commit('legacy', 10_000);
        expect(await store.reserve('legacy', 10_000)).toBe('duplicate');
        // Only the first call tried SET ... NX GET.
        expect(rejected).toBe(1);
        await raw.script('FLUSH');
        expect(await store.reserve('legacy-2', 10_000)).toBe('acquired');
      } finally {
        client.disconnect();
      }
    });

    it('answers a key holding another type with a non-retryable error', async () => {
      await raw.rpush(`${prefix}list`, 'x');
      const store = redisIdempotencyStore({ url, prefix });
      try {
        const error = await rejection(store.reserve('list', 1000));
        expect(error.code).toBe('SWB_STORE_UNAVAILABLE');
        expect(error.retryable).toBe(false);
        expect(error.message).toContain('WRONGTYPE');
        expect(error.message).not.toContain('list');
      } finally {
        await store.close();
      }
    });

    it('rejects quickly and retryably when nothing listens, and reports unhealthy', async () => {
      const port = await freePort();
      const store = redisIdempotencyStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 });
      const started = Date.now();
      const error = await rejection(store.reserve('k', 1000));
      expect(error.code).toBe('SWB_STORE_UNAVAILABLE');
      expect(error.retryable).toBe(true);
      // Reconnecting now: fails at once without queueing.
      const again = await rejection(store.commit('k', 1000));
      expect(again.retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(3000);
      expect((await store.health()).ok).toBe(false);
      await store.close();
      const closed = await rejection(store.release('k'));
      expect(closed.retryable).toBe(false);
      await store.close();
    });

    it('fails fast with a given client that is reconnecting, whatever its offline queue', async () => {
      const port = await freePort();
      const client = new Redis(`redis://127.0.0.1:${port}`, { retryStrategy: () => 50 });
      client.on('error', () => {});
      const store = redisIdempotencyStore({ client });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      const error = await rejection(store.reserve('k', 1000));
      expect(error.retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(1000);
      client.disconnect();
    });

    describe('with a server that stops answering', () => {
      let server: PrivateRedis;

      beforeAll(async () => {
        server = await startPrivateRedis();
      });

      afterAll(async () => {
        if (server.pid !== undefined) process.kill(server.pid, 'SIGCONT');
        await server.destroy();
      });

      it('bounds each command by commandTimeoutMs, also on a given client without a timeout', async () => {
        const given = new Redis(server.url, { lazyConnect: true });
        given.on('error', () => {});
        const ownStore = redisIdempotencyStore({ url: server.url, commandTimeoutMs: 300 });
        const givenStore = redisIdempotencyStore({ client: given, commandTimeoutMs: 300 });
        expect(await ownStore.reserve('a', 10_000)).toBe('acquired');
        expect(await givenStore.reserve('b', 10_000)).toBe('acquired');
        process.kill(server.pid as number, 'SIGSTOP');
        try {
          const started = Date.now();
          const [own, viaGiven] = await Promise.all([
            rejection(ownStore.commit('a', 10_000)),
            rejection(givenStore.commit('b', 10_000)),
          ]);
          expect(own).toMatchObject({ code: 'SWB_STORE_UNAVAILABLE', retryable: true });
          expect(viaGiven).toMatchObject({ code: 'SWB_STORE_UNAVAILABLE', retryable: true });
          expect(Date.now() - started).toBeLessThan(2000);
          expect((await givenStore.health()).ok).toBe(false);
        } finally {
          process.kill(server.pid as number, 'SIGCONT');
        }
        await ownStore.close();
        given.disconnect();
      });
    });
  },
);
