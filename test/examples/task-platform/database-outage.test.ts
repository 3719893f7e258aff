import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendApi, startBackendApi } from '../../../examples/task-platform/backend-api.js';
import { type Database, openDatabase } from '../../../examples/task-platform/shared/database.js';
import { memoryTransport } from '../../../src/index.js';
import { call, isErrorBody, token } from './helpers.js';

describe('task platform: Backend API when PostgreSQL is gone', () => {
  let db: Database;
  let api: BackendApi;

  beforeAll(async () => {
    db = await openDatabase();
    api = await startBackendApi({ transport: memoryTransport(), db, outboxPollMs: 50 });
  });

  afterAll(async () => {
    await api.close();
  });

  it('opens postgresql-cb after more than 5 consecutive failures: 503 fast, and /health answers 503', async () => {
    const jwt = await token('dora');
    expect((await call(api.url, 'GET', '/api/v1/users/dora/tasks', { token: jwt })).status).toBe(200);
    await db.close();
    const messages: string[] = [];
    for (let i = 0; i < 7; i++) {
      const response = await call(api.url, 'GET', '/api/v1/users/dora/tasks', { token: jwt });
      expect(response.status).toBe(503);
      expect(isErrorBody(response.body, 'SERVICE_UNAVAILABLE')).toBe(true);
      expect(response.body.error.details).toEqual({ dependency: 'database' });
      messages.push(response.body.error.message);
    }
    // Six failures trip `consecutiveFailures > 5`; from then on the breaker answers without the database.
    expect(messages.slice(0, 6)).toEqual(Array(6).fill('Database unavailable: connection failed'));
    expect(messages[6]).toBe('Database unavailable: circuit open, try again later');

    const health = await call(api.url, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('unhealthy');
    expect(health.body.dependencies.database).toMatch(/^unhealthy: /);
    expect(health.body.dependencies.memory).toBe('healthy');
  });
});
