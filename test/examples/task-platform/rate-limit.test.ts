import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendApi, startBackendApi } from '../../../examples/task-platform/backend-api.js';
import { type Database, openDatabase } from '../../../examples/task-platform/shared/database.js';
import { memoryTransport } from '../../../src/index.js';
import { call, token } from './helpers.js';

describe('task platform: rate limits as the seed says', () => {
  let db: Database;
  let api: BackendApi;

  beforeAll(async () => {
    db = await openDatabase();
    api = await startBackendApi({ transport: memoryTransport(), db, rateLimits: { perIp: 3, perUser: 4 } });
  });

  afterAll(async () => {
    await api.close();
    await db.close();
  });

  it('limits unauthenticated requests per IP, then answers 429 with retry_after and X-RateLimit-*', async () => {
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await call(api.url, 'GET', '/api/v1/users/ann/tasks');
      expect(response.status).toBe(401);
      expect(response.headers.get('x-ratelimit-limit')).toBe('3');
      remaining.push(response.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const limited = await call(api.url, 'GET', '/api/v1/users/ann/tasks');
    expect(limited.status).toBe(429);
    const error = limited.body.error;
    expect(Object.keys(error).sort()).toEqual(['code', 'message', 'retry_after', 'timestamp', 'trace_id']);
    expect(error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(error.retry_after).toBeGreaterThanOrEqual(1);
    expect(error.retry_after).toBeLessThanOrEqual(20); // one token of 3 per minute
    expect(error.message).toBe(`Rate limit exceeded. Retry after ${error.retry_after} seconds.`);
    expect(limited.headers.get('retry-after')).toBe(String(error.retry_after));
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    const reset = Number(limited.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 61);
    // /health is never limited (probes).
    expect((await call(api.url, 'GET', '/health')).status).toBe(200);
  });

  it('limits authenticated requests per user, independently of the IP bucket', async () => {
    const ann = await token('ann');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await call(api.url, 'GET', '/api/v1/users/ann/tasks', { token: ann })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    // Another user has a bucket of their own.
    const ben = await token('ben');
    const response = await call(api.url, 'GET', '/api/v1/users/ben/tasks', { token: ben });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-limit')).toBe('4');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('3');
  });
});
