import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendApi, startBackendApi } from '../../../examples/task-platform/backend-api.js';
import { type Database, openDatabase } from '../../../examples/task-platform/shared/database.js';
import { platformTopics } from '../../../examples/task-platform/shared/events.js';
import { createBus, memoryBroker, memoryTransport } from '../../../src/index.js';
import { call, fromNow, isErrorBody, probe, type Seen, token, until } from './helpers.js';

describe('task platform: Backend API on the in-memory transport with PGlite', () => {
  const topics = platformTopics();
  const broker = memoryBroker();
  let db: Database;
  let api: BackendApi;
  let watcher: Awaited<ReturnType<typeof probe>>;
  let events: Seen;
  let reminders: Seen;
  let ada: string;

  beforeAll(async () => {
    db = await openDatabase();
    api = await startBackendApi({
      transport: memoryTransport({ broker }),
      db,
      rateLimits: { perIp: 5, perUser: 40 },
      outboxPollMs: 50,
    });
    watcher = await probe(memoryTransport({ broker }), [topics.taskEvents, topics.reminders]);
    events = watcher.seen[topics.taskEvents]!;
    reminders = watcher.seen[topics.reminders]!;
    ada = await token('ada', { email: 'ada@example.com', name: 'Ada' });
  });

  afterAll(async () => {
    await watcher.close();
    await api.close();
    await db.close();
  });

  const eventsOf = (type: string, taskId: string) =>
    events.envelopes.filter((e) => e.type === type && (e.data as { task_id: string }).task_id === taskId);

  it('answers /health without a token in the seed shape', async () => {
    const { status, body } = await call(api.url, 'GET', '/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'healthy', version: '5.0.0' });
    expect(body.dependencies).toMatchObject({ database: 'healthy', memory: 'healthy' });
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  });

  it('refuses a missing or bad token with 401 and another user with 403, in the seed error format', async () => {
    const missing = await call(api.url, 'GET', '/api/v1/users/ada/tasks');
    expect(missing.status).toBe(401);
    expect(isErrorBody(missing.body, 'UNAUTHORIZED')).toBe(true);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');

    const forged = await call(api.url, 'GET', '/api/v1/users/ada/tasks', {
      token: `${ada.slice(0, -4)}AAAA`,
    });
    expect(forged.status).toBe(401);
    expect(forged.body.error.message).toBe('Invalid token');

    const expired = await call(api.url, 'GET', '/api/v1/users/ada/tasks', {
      token: await token('ada', {}, Math.floor(Date.now() / 1000) - 10),
    });
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toBe('Token expired');

    const other = await call(api.url, 'GET', '/api/v1/users/bob/tasks', { token: ada });
    expect(other.status).toBe(403);
    expect(isErrorBody(other.body, 'FORBIDDEN')).toBe(true);
  });

  it('does not believe a dapr-app-id header that came over the public port', async () => {
    const { status } = await call(api.url, 'POST', '/api/v1/users/ada/tasks', {
      headers: { 'dapr-app-id': 'recurring-task-service' },
      body: { title: 'sneaky' },
    });
    expect(status).toBe(401);
  });

  it('creates a task (201, Location) and publishes task.created.v1 through the outbox', async () => {
    const { status, body, headers } = await call(api.url, 'POST', '/api/v1/users/ada/tasks', {
      token: ada,
      body: {
        title: 'Buy groceries',
        description: 'Milk, bread, eggs',
        priority: 'high',
        tags: ['shopping'],
        due_at: '2026-01-08T18:00:00Z',
        recurrence: { pattern: 'weekly', interval: 1, days_of_week: [5, 0, 3] },
      },
    });
    expect(status).toBe(201);
    expect(headers.get('location')).toBe(`/api/v1/users/ada/tasks/${body.id}`);
    expect(body).toMatchObject({
      user_id: 'ada',
      title: 'Buy groceries',
      status: 'pending',
      due_at: '2026-01-08T18:00:00.000Z',
      recurrence: { pattern: 'weekly', interval: 1, days_of_week: [0, 3, 5] },
    });
    await until(() => eventsOf('task.created.v1', body.id).length === 1, 'task.created.v1');
    const event = eventsOf('task.created.v1', body.id)[0]!;
    expect(event.source).toBe('backend-api');
    expect((event.data as { task: { title: string } }).task.title).toBe('Buy groceries');
    expect(await api.outbox.pending()).toBe(0);
  });

  it('validates input: title 1-500 characters, the other fields, JSON', async () => {
    const post = (body: unknown) => call(api.url, 'POST', '/api/v1/users/ada/tasks', { token: ada, body });
    const empty = await post({ title: '' });
    expect(empty.status).toBe(422);
    expect(isErrorBody(empty.body, 'VALIDATION_ERROR')).toBe(true);
    expect(empty.body.error).toMatchObject({
      message: 'Title must be between 1 and 500 characters',
      details: { field: 'title', value: '' },
    });
    expect((await post({ title: 'x'.repeat(501) })).status).toBe(422);
    expect((await post({ title: 'x'.repeat(500) })).status).toBe(201);
    const cases: [unknown, string][] = [
      [{ title: 't', priority: 'whenever' }, 'priority'],
      [{ title: 't', tags: 'a' }, 'tags'],
      [{ title: 't', due_at: 'tomorrow' }, 'due_at'],
      [{ title: 't', recurrence: { pattern: 'daily' } }, 'due_at'],
      [{ title: 't', due_at: fromNow(1e6), recurrence: { pattern: 'hourly' } }, 'recurrence.pattern'],
      [
        { title: 't', due_at: fromNow(1e6), recurrence: { pattern: 'daily', interval: 0 } },
        'recurrence.interval',
      ],
      [
        { title: 't', due_at: fromNow(1e6), recurrence: { pattern: 'weekly', days_of_week: [7] } },
        'recurrence.days_of_week',
      ],
      [
        { title: 't', due_at: fromNow(1e6), reminders: [{ minutes_before: -1 }] },
        'reminders[0].minutes_before',
      ],
      [{ title: 't', colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const response = await post(body);
      expect(response.status, field).toBe(422);
      expect(response.body.error.details.field).toBe(field);
    }
    const broken = await call(api.url, 'POST', '/api/v1/users/ada/tasks', { token: ada, raw: '{"title":' });
    expect(broken.status).toBe(400);
    expect(isErrorBody(broken.body, 'INVALID_JSON')).toBe(true);
    expect((await call(api.url, 'POST', '/api/v1/users/ada/tasks', { token: ada, raw: '[1]' })).status).toBe(
      400,
    );
  });

  it('reads, lists, updates, completes and deletes, with their events', async () => {
    const created = await call(api.url, 'POST', '/api/v1/users/ada/tasks', {
      token: ada,
      body: { title: 'Water plants', due_at: fromNow(86_400_000) },
    });
    const id = created.body.id as string;
    const path = `/api/v1/users/ada/tasks/${id}`;

    expect((await call(api.url, 'GET', path, { token: ada })).body.title).toBe('Water plants');
    const list = await call(api.url, 'GET', '/api/v1/users/ada/tasks?status=pending&limit=100', {
      token: ada,
    });
    expect(list.status).toBe(200);
    expect(list.body.tasks.some((t: { id: string }) => t.id === id)).toBe(true);
    expect(list.body.total).toBeGreaterThanOrEqual(1);
    expect((await call(api.url, 'GET', '/api/v1/users/ada/tasks?status=lost', { token: ada })).status).toBe(
      422,
    );

    const updated = await call(api.url, 'PATCH', path, {
      token: ada,
      body: { priority: 'urgent', tags: ['home'] },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ priority: 'urgent', tags: ['home'], title: 'Water plants' });
    expect((await call(api.url, 'PATCH', path, { token: ada, body: { title: '' } })).status).toBe(422);

    const done = await call(api.url, 'PATCH', `${path}/complete`, { token: ada });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('completed');
    expect(done.body.completed_at).not.toBeNull();
    const again = await call(api.url, 'PATCH', `${path}/complete`, { token: ada });
    expect(again.status).toBe(409);
    expect(isErrorBody(again.body, 'CONFLICT')).toBe(true);

    expect((await call(api.url, 'DELETE', path, { token: ada })).status).toBe(204);
    expect((await call(api.url, 'GET', path, { token: ada })).status).toBe(404);
    expect((await call(api.url, 'DELETE', path, { token: ada })).status).toBe(404);
    expect((await call(api.url, 'GET', '/api/v1/users/ada/tasks/not-a-uuid', { token: ada })).status).toBe(
      404,
    );
    expect((await call(api.url, 'DELETE', '/api/v1/users/ada/tasks', { token: ada })).status).toBe(405);

    await until(() => eventsOf('task.deleted.v1', id).length === 1, 'task.deleted.v1');
    const types = events.envelopes
      .filter((e) => (e.data as { task_id: string }).task_id === id)
      .map((e) => e.type);
    expect(types).toEqual(['task.created.v1', 'task.updated.v1', 'task.completed.v1', 'task.deleted.v1']);
    const updatedEvent = eventsOf('task.updated.v1', id)[0]!;
    expect((updatedEvent.data as { changed: string[] }).changed).toEqual(['priority', 'tags']);
  });

  it('creates once per Idempotency-Key: the replay answers 200 with the same task and no second event', async () => {
    const request = {
      token: ada,
      body: { title: 'Once only' },
      headers: { 'idempotency-key': 'k-once' },
    };
    const first = await call(api.url, 'POST', '/api/v1/users/ada/tasks', request);
    const second = await call(api.url, 'POST', '/api/v1/users/ada/tasks', request);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body.id).toBe(first.body.id);
    await until(() => eventsOf('task.created.v1', first.body.id).length === 1, 'created event');
    await new Promise((r) => setTimeout(r, 100));
    expect(eventsOf('task.created.v1', first.body.id)).toHaveLength(1);
  });

  it('answers service invocations over the bus for a trusted app id, without a JWT', async () => {
    const caller = createBus({
      transport: memoryTransport({ broker }),
      source: 'recurring-task-service',
      routes: { 'backend-api.invoke.v1': topics.backendInvoke },
      telemetry: false,
    });
    try {
      const reply = await caller.request<
        'backend-api.invoke.v1',
        { status: number; body: { title: string } }
      >('backend-api.invoke.v1', {
        method: 'POST',
        path: '/api/v1/users/ada/tasks',
        headers: { 'dapr-app-id': 'recurring-task-service' },
        body: JSON.stringify({ title: 'Invoked' }),
      });
      expect(reply.status).toBe(201);
      expect(reply.body.title).toBe('Invoked');
      const untrusted = await caller.request<'backend-api.invoke.v1', { status: number }>(
        'backend-api.invoke.v1',
        {
          method: 'POST',
          path: '/api/v1/users/ada/tasks',
          headers: { 'dapr-app-id': 'someone-else' },
          body: JSON.stringify({ title: 'Invoked' }),
        },
      );
      expect(untrusted.status).toBe(401);
    } finally {
      await caller.close();
    }
  });

  it('publishes reminder.due.v1 for due reminders, once, with the recipient from the token', async () => {
    await call(api.url, 'PUT', '/api/v1/users/ada/devices/fcm-token', {
      token: ada,
      body: { token: 'fcm-ada' },
    });
    const created = await call(api.url, 'POST', '/api/v1/users/ada/tasks', {
      token: ada,
      body: {
        title: 'Call mum',
        due_at: fromNow(30 * 60_000),
        reminders: [
          { minutes_before: 60, channels: ['email', 'push'] },
          { minutes_before: 10, channels: ['email'] },
        ],
      },
    });
    expect(created.status).toBe(201);
    expect(await api.scheduler.tick()).toBe(1);
    expect(await api.scheduler.tick()).toBe(0);
    await until(
      () => reminders.envelopes.some((e) => (e.data as { task_id: string }).task_id === created.body.id),
      'reminder',
    );
    const due = reminders.envelopes.find((e) => (e.data as { task_id: string }).task_id === created.body.id)!;
    expect(due.type).toBe('reminder.due.v1');
    expect(due.data).toMatchObject({
      user_id: 'ada',
      title: 'Call mum',
      channels: ['email', 'push'],
      email: 'ada@example.com',
      fcm_token: 'fcm-ada',
    });
  });

  it('serves Prometheus metrics on /metrics', async () => {
    const response = await fetch(`${api.url}/metrics`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).toContain('http_requests_total');
    expect(text).toMatch(/http_requests_total\{[^}]*status="201"/);
  });

  it('carries the trace id of a traceparent header into error bodies', async () => {
    const { body, headers } = await call(
      api.url,
      'GET',
      '/api/v1/users/ada/tasks/00000000-0000-4000-8000-000000000000',
      {
        token: ada,
        headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      },
    );
    expect(body.error.trace_id).toBe('4bf92f35-77b3-4da6-a3ce-929d0e0e4736');
    expect(headers.get('x-trace-id')).toBe('4bf92f35-77b3-4da6-a3ce-929d0e0e4736');
  });
});
