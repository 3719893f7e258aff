/**
 * The task platform's end-to-end scenarios, written once and run on every transport (in-memory here, NATS and
 * Kafka in the integration projects): the seed's three flows, its contract and integration tests, duplicates,
 * malformed events, SMTP outages, auth and rate limits.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Platform } from '../../../examples/task-platform/platform.js';
import { type PlatformEvents, platformRoutes } from '../../../examples/task-platform/shared/events.js';
import type { Task } from '../../../examples/task-platform/shared/task.js';
import { createBus, type Transport } from '../../../src/index.js';
import { call, fromNow, isErrorBody, type Json, type probe, reasonOf, token, until } from './helpers.js';

/** What every scenario gets. */
export interface ScenarioContext {
  readonly platform: Platform;
  /** Records task-events, reminders and notifications, and the raw dead-letter topics. */
  readonly watcher: Awaited<ReturnType<typeof probe>>;
  /** A transport for a test's own producer. */
  readonly transport: () => Transport;
  /** How long to wait for asynchronous effects. */
  readonly timeoutMs: number;
}

/** The topics a scenario watcher must record. */
export function watchedTopics(platform: Platform): { topics: string[]; raw: string[] } {
  const t = platform.topics;
  return { topics: [t.taskEvents, t.reminders, t.notifications], raw: [t.taskEventsDlq, t.remindersDlq] };
}

async function userToken(): Promise<{ user: string; jwt: string }> {
  const user = `u-${randomUUID().slice(0, 8)}`;
  return { user, jwt: await token(user, { email: `${user}@example.com`, name: user }) };
}

async function listTasks(ctx: ScenarioContext, user: string, jwt: string): Promise<Task[]> {
  const response = await call(ctx.platform.api.url, 'GET', `/api/v1/users/${user}/tasks?limit=100`, {
    token: jwt,
  });
  expect(response.status).toBe(200);
  return response.body.tasks as Task[];
}

async function createTask(ctx: ScenarioContext, user: string, jwt: string, body: unknown): Promise<Task> {
  const response = await call(ctx.platform.api.url, 'POST', `/api/v1/users/${user}/tasks`, {
    token: jwt,
    body,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as Task;
}

function eventsFor(ctx: ScenarioContext, type: string, taskId: string) {
  return ctx.watcher.seen[ctx.platform.topics.taskEvents]!.envelopes.filter(
    (e) => e.type === type && (e.data as { task_id?: string }).task_id === taskId,
  );
}

/** Flow 1: creating a recurring task saves it and publishes task.created.v1 to task-events. */
export async function flowCreateRecurringTask(ctx: ScenarioContext): Promise<void> {
  const { user, jwt } = await userToken();
  const task = await createTask(ctx, user, jwt, {
    title: 'Buy groceries',
    due_at: '2026-01-08T18:00:00Z',
    recurrence: { pattern: 'weekly', interval: 1, days_of_week: [0, 3, 5] },
  });
  await until(
    () => eventsFor(ctx, 'task.created.v1', task.id).length === 1,
    'task.created.v1',
    ctx.timeoutMs,
  );
  const event = eventsFor(ctx, 'task.created.v1', task.id)[0]!;
  expect(event.source).toBe('backend-api');
  expect(event.data).toMatchObject({
    task_id: task.id,
    user_id: user,
    task: { recurrence: { pattern: 'weekly' } },
  });
}

/**
 * Flow 2 and the seed's integration test: complete a recurring task; the Recurring Task Service creates the
 * next occurrence through the Backend API (pending, later due date, same title).
 */
export async function flowCompleteCreatesNextOccurrence(ctx: ScenarioContext): Promise<void> {
  const { user, jwt } = await userToken();
  const task = await createTask(ctx, user, jwt, {
    title: 'Water the plants',
    priority: 'high',
    tags: ['home'],
    due_at: '2026-01-31T08:00:00Z',
    recurrence: { pattern: 'monthly', interval: 1 },
  });
  const done = await call(ctx.platform.api.url, 'PATCH', `/api/v1/users/${user}/tasks/${task.id}/complete`, {
    token: jwt,
  });
  expect(done.status).toBe(200);
  let next: Task | undefined;
  await until(
    async () => {
      next = (await listTasks(ctx, user, jwt)).find((t) => t.id !== task.id && t.title === task.title);
      return next !== undefined;
    },
    'the next occurrence',
    ctx.timeoutMs,
  );
  expect(Date.parse(next!.due_at!)).toBeGreaterThan(Date.parse(task.due_at!));
  expect(next!.status).toBe('pending');
  // The seed's Feb 30 rule: Jan 31 + 1 month is the last day of February.
  expect(next!.due_at).toBe('2026-02-28T08:00:00.000Z');
  expect(next!).toMatchObject({
    priority: 'high',
    tags: ['home'],
    recurrence: { pattern: 'monthly', day_of_month: 31 },
  });
  await until(
    () => eventsFor(ctx, 'task.created.v1', next!.id).length === 1,
    'created event of the next',
    ctx.timeoutMs,
  );
}

/** A tiny JSON Schema subset validator: type, required, properties, enum, items, minLength/maxLength, minimum. */
export function validate(schema: Json, value: unknown, path = '$'): string[] {
  const problems: string[] = [];
  const types = Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type];
  const typeOf = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  const actual = typeOf(value);
  if (types.length > 0 && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
    return [`${path}: expected ${types.join('|')}, got ${actual}`];
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) problems.push(`${path}: not in enum`);
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      problems.push(`${path}: too short`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${path}: too long`);
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value)))
      problems.push(`${path}: not a date-time`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: below minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${path}: above maximum`);
  }
  if (actual === 'array' && schema.items !== undefined) {
    for (const [i, item] of (value as unknown[]).entries()) {
      problems.push(...validate(schema.items, item, `${path}[${i}]`));
    }
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in object)) problems.push(`${path}.${key}: required`);
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (object[key] !== undefined) problems.push(...validate(sub, object[key], `${path}.${key}`));
    }
    if (schema.additionalProperties === false) {
      for (const key of Object.keys(object))
        if (!(key in (schema.properties ?? {}))) problems.push(`${path}.${key}: unknown`);
    }
  }
  return problems;
}

const recurrenceSchema = {
  type: ['object', 'null'],
  required: ['pattern'],
  additionalProperties: false,
  properties: {
    pattern: { enum: ['daily', 'weekly', 'monthly', 'yearly'] },
    interval: { type: 'integer', minimum: 1, maximum: 365 },
    days_of_week: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 6 } },
    day_of_month: { type: 'integer', minimum: 1, maximum: 31 },
    end_date: { type: 'string', format: 'date-time' },
  },
};
const remindersSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['minutes_before', 'channels'],
    properties: {
      minutes_before: { type: 'integer', minimum: 0 },
      channels: { type: 'array', items: { enum: ['email', 'push'] } },
    },
  },
};

/** The Backend API's create-task request, as a JSON Schema (the contract the Recurring Task Service keeps). */
export const createTaskRequestSchema = {
  type: 'object',
  required: ['title'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 500 },
    description: { type: ['string', 'null'], maxLength: 5000 },
    priority: { enum: ['low', 'medium', 'high', 'urgent'] },
    tags: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 50 } },
    due_at: { type: ['string', 'null'], format: 'date-time' },
    recurrence: recurrenceSchema,
    reminders: remindersSchema,
  },
};

/** The Backend API's create-task response. */
export const createTaskResponseSchema = {
  type: 'object',
  required: ['id', 'user_id', 'title', 'priority', 'status', 'tags', 'due_at', 'recurrence', 'created_at'],
  properties: {
    id: { type: 'string', minLength: 36, maxLength: 36 },
    user_id: { type: 'string' },
    title: { type: 'string', minLength: 1, maxLength: 500 },
    description: { type: ['string', 'null'] },
    priority: { enum: ['low', 'medium', 'high', 'urgent'] },
    status: { enum: ['pending', 'completed'] },
    tags: { type: 'array', items: { type: 'string' } },
    due_at: { type: ['string', 'null'], format: 'date-time' },
    recurrence: recurrenceSchema,
    reminders: remindersSchema,
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
};

/**
 * The seed's contract test (Recurring Task Service -> Backend API): the seed's request validates against the
 * create schema, the Backend API answers it over service invocation with a body that validates against the
 * response schema; and what the Recurring Task Service really sends validates too.
 */
export async function contractCreateTask(ctx: ScenarioContext): Promise<void> {
  const request = {
    title: 'Buy groceries',
    description: 'Milk, bread, eggs',
    priority: 'high',
    tags: ['shopping'],
    due_at: '2026-01-08T18:00:00Z',
    recurrence: { pattern: 'weekly', interval: 1, days_of_week: [0, 3, 5] },
  };
  expect(validate(createTaskRequestSchema, request)).toEqual([]);
  const { user, jwt } = await userToken();
  // Record what the Recurring Task Service sends: a second responder group would answer too, so listen as a
  // plain subscriber of the invocation topic instead.
  const sent: unknown[] = [];
  const spy = createBus<PlatformEvents>({
    transport: ctx.transport(),
    source: `contract-spy-${randomUUID().slice(0, 6)}`,
    routes: platformRoutes(ctx.platform.topics),
    telemetry: false,
  });
  const caller = createBus<PlatformEvents>({
    transport: ctx.transport(),
    source: 'recurring-task-service',
    routes: platformRoutes(ctx.platform.topics),
    telemetry: false,
  });
  try {
    const reply = await caller.request<'backend-api.invoke.v1', { status: number; body: unknown }>(
      'backend-api.invoke.v1',
      {
        method: 'POST',
        path: `/api/v1/users/${user}/tasks`,
        headers: { 'dapr-app-id': 'recurring-task-service' },
        body: JSON.stringify(request),
      },
      { timeoutMs: ctx.timeoutMs },
    );
    expect(reply.status).toBe(201);
    expect(validate(createTaskResponseSchema, reply.body)).toEqual([]);

    if (ctx.platform.api.bus.transport.system === 'memory') {
      await spy.subscribe(
        'backend-api.invoke.v1',
        (event) => {
          if (event.data.path === `/api/v1/users/${user}/tasks`)
            sent.push(JSON.parse(event.data.body ?? 'null'));
        },
        { startFrom: 'latest' },
      );
    }
    const created = reply.body as Task;
    await call(ctx.platform.api.url, 'PATCH', `/api/v1/users/${user}/tasks/${created.id}/complete`, {
      token: jwt,
    });
    await until(
      async () => (await listTasks(ctx, user, jwt)).length === 2,
      'the next occurrence',
      ctx.timeoutMs,
    );
    if (ctx.platform.api.bus.transport.system === 'memory') {
      await until(() => sent.length === 1, 'the recorded invocation', ctx.timeoutMs);
      expect(validate(createTaskRequestSchema, sent[0])).toEqual([]);
      expect(sent[0]).toMatchObject({ title: 'Buy groceries', due_at: '2026-01-09T18:00:00.000Z' });
    }
  } finally {
    await caller.close();
    await spy.close();
  }
}

/** A duplicated task.completed.v1 (same event id, and the same completion under a new id) creates one task. */
export async function duplicateCompletionCreatesOneTask(ctx: ScenarioContext): Promise<void> {
  const { user, jwt } = await userToken();
  const task = await createTask(ctx, user, jwt, {
    title: 'Daily stand-up',
    due_at: '2026-03-02T09:00:00Z',
    recurrence: { pattern: 'daily', interval: 1 },
  });
  const done = await call(ctx.platform.api.url, 'PATCH', `/api/v1/users/${user}/tasks/${task.id}/complete`, {
    token: jwt,
  });
  await until(
    () => eventsFor(ctx, 'task.completed.v1', task.id).length === 1,
    'completed event',
    ctx.timeoutMs,
  );
  const original = eventsFor(ctx, 'task.completed.v1', task.id)[0]!;
  const duplicates = { count: 0 };
  const counted = () => void duplicates.count++;
  ctx.platform.recurring.bus.events.on('duplicate', counted);
  const resentHandled: string[] = [];
  const onHandled = ({ envelope }: { envelope: { id: string; data: unknown } }) => {
    if ((envelope.data as { task_id?: string }).task_id === task.id && envelope.id !== original.id) {
      resentHandled.push(envelope.id);
    }
  };
  ctx.platform.recurring.bus.events.on('handled', onHandled);
  const producer = createBus<PlatformEvents>({
    transport: ctx.transport(),
    source: 'backend-api',
    routes: platformRoutes(ctx.platform.topics),
    telemetry: false,
  });
  try {
    const data = { task_id: task.id, user_id: user, task: done.body as Task };
    // The very same event (same id) twice, as an at-least-once relay would send it, and the same completion
    // anew under a fresh id. A de-duplicating broker (JetStream, by message id) may drop the same-id copies
    // itself; the others reach the consumer, whose event log skips them.
    let dropped = 0;
    for (const id of [original.id, original.id, undefined]) {
      const options = id === undefined ? { key: task.id } : { key: task.id, id };
      const { receipt } = await producer.publish('task.completed.v1', data, options);
      if (receipt.duplicate === true) dropped++;
    }
    await until(
      async () => (await listTasks(ctx, user, jwt)).length >= 2,
      'the next occurrence',
      ctx.timeoutMs,
    );
    await until(
      () => duplicates.count + dropped >= 2,
      'both same-id copies dropped or skipped',
      ctx.timeoutMs,
    );
    // The re-sent copy (new id) is handled too, and finds the next occurrence created already.
    await until(() => resentHandled.length === 1, 'the re-sent completion to be handled', ctx.timeoutMs);
    const tasks = await listTasks(ctx, user, jwt);
    expect(tasks.filter((t) => t.title === 'Daily stand-up')).toHaveLength(2);
    expect(tasks.find((t) => t.id !== task.id)?.due_at).toBe('2026-03-03T09:00:00.000Z');
  } finally {
    ctx.platform.recurring.bus.events.off('duplicate', counted);
    ctx.platform.recurring.bus.events.off('handled', onHandled);
    await producer.close();
  }
}

/**
 * A malformed task.completed.v1 (bytes that are not JSON; an event missing its fields) goes to task-events-dlq
 * with its reason, and the service keeps going: the next good completion still creates its occurrence.
 */
export async function malformedEventIsDeadLettered(ctx: ScenarioContext): Promise<void> {
  const transport = ctx.transport();
  const producer = createBus<PlatformEvents>({
    transport,
    source: 'backend-api',
    routes: platformRoutes(ctx.platform.topics),
    telemetry: false,
  });
  const dlq = ctx.watcher.seen[ctx.platform.topics.taskEventsDlq]!.raw;
  const before = dlq.length;
  try {
    const marker = randomUUID();
    // Not JSON at all, with the headers of a task.completed.v1.
    const { message } = producer.prepare(
      'task.completed.v1',
      { task_id: marker, user_id: 'x', task: {} as Task },
      { key: marker },
    );
    await transport.publish(ctx.platform.topics.taskEvents, {
      key: marker,
      headers: message.headers,
      body: new TextEncoder().encode(`{"task_id": "${marker}", oops`),
    });
    // Valid envelope, missing required fields.
    await producer.publish('task.completed.v1', { task_id: marker } as never, { key: marker });
    await until(() => dlq.length >= before + 2, 'two dead letters', ctx.timeoutMs);
    const letters = dlq.slice(before).filter((m) => m.body.includes(marker));
    expect(letters.map(reasonOf).sort()).toEqual(['decode-failed', 'permanent-error']);
    const invalid = letters.find((m) => reasonOf(m) === 'permanent-error')!;
    expect(invalid.headers['dlq-error-message']).toContain('missing or invalid user_id, task');
    expect(invalid.headers['dlq-original-topic']).toBe(ctx.platform.topics.taskEvents);
    expect(invalid.headers['dlq-consumer-group']).toBe('recurring-task-service');
  } finally {
    await producer.close();
  }
  // Still consuming.
  await flowCompleteCreatesNextOccurrence(ctx);
}

/** Auth and rate limits answer as the seed says (401/403 bodies; the 429 body and headers). */
export async function authAnswersAsTheSeedSays(ctx: ScenarioContext): Promise<void> {
  const { user, jwt } = await userToken();
  const url = ctx.platform.api.url;
  const missing = await call(url, 'GET', `/api/v1/users/${user}/tasks`);
  expect(missing.status).toBe(401);
  expect(isErrorBody(missing.body, 'UNAUTHORIZED')).toBe(true);
  const other = await call(url, 'GET', '/api/v1/users/someone-else/tasks', { token: jwt });
  expect(other.status).toBe(403);
  expect(isErrorBody(other.body, 'FORBIDDEN')).toBe(true);
  const ok = await call(url, 'GET', `/api/v1/users/${user}/tasks`, { token: jwt });
  expect(ok.status).toBe(200);
  expect(Number(ok.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
  expect(ok.headers.get('x-ratelimit-remaining')).not.toBeNull();
  expect(ok.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
}

function notificationsFor(ctx: ScenarioContext, reminderId: string) {
  return ctx.watcher.seen[ctx.platform.topics.notifications]!.envelopes.filter(
    (e) => (e.data as { reminder_id?: string }).reminder_id === reminderId,
  );
}

function remindersFor(ctx: ScenarioContext, taskId: string) {
  return ctx.watcher.seen[ctx.platform.topics.reminders]!.envelopes.filter(
    (e) => (e.data as { task_id?: string }).task_id === taskId,
  );
}

/** Creates a task whose reminder is due already, for a user with an FCM token; returns the task and user. */
async function taskWithDueReminder(
  ctx: ScenarioContext,
  channels: readonly ('email' | 'push')[] = ['email', 'push'],
): Promise<{ task: Task; user: string; jwt: string }> {
  const { user, jwt } = await userToken();
  const device = await call(ctx.platform.api.url, 'PUT', `/api/v1/users/${user}/devices/fcm-token`, {
    token: jwt,
    body: { token: `fcm-${user}` },
  });
  expect(device.status).toBe(204);
  const task = await createTask(ctx, user, jwt, {
    title: `Pay rent <${user}>`,
    due_at: fromNow(10 * 60_000),
    reminders: [{ minutes_before: 15, channels }],
  });
  return { task, user, jwt };
}

/**
 * Flow 3: the scheduler publishes reminder.due.v1; the Notification Service sends the email over SMTP and the
 * push through FCM, records both and publishes notification.sent.v1 for each.
 */
export async function flowReminderNotification(ctx: ScenarioContext): Promise<void> {
  const { task, user } = await taskWithDueReminder(ctx);
  await ctx.platform.api.scheduler.tick();
  await until(() => remindersFor(ctx, task.id).length === 1, 'reminder.due.v1', ctx.timeoutMs);
  const reminder = remindersFor(ctx, task.id)[0]!;
  const reminderId = (reminder.data as { reminder_id: string }).reminder_id;
  await until(() => notificationsFor(ctx, reminderId).length === 2, 'two notification events', ctx.timeoutMs);
  const events = notificationsFor(ctx, reminderId);
  expect(events.map((e) => e.type)).toEqual(['notification.sent.v1', 'notification.sent.v1']);
  expect(events.map((e) => (e.data as { channel: string }).channel).sort()).toEqual(['email', 'push']);
  expect(events.every((e) => e.source === 'notification-service' && e.causationid === reminder.id)).toBe(
    true,
  );

  const mails = ctx.platform.delivery.sink.messages.filter((m) => m.headers['x-reminder-id'] === reminderId);
  expect(mails).toHaveLength(1);
  expect(mails[0]!.to).toEqual([`${user}@example.com`]);
  expect(mails[0]!.subject).toBe(`Reminder: ${task.title}`);
  // The HTML part escapes the title (the seed: HTML escaping in email templates).
  expect(mails[0]!.raw).toContain('&lt;');
  const pushes = ctx.platform.delivery.fcm.pushes.filter((p) => p.data.reminder_id === reminderId);
  expect(pushes).toHaveLength(1);
  expect(pushes[0]!).toMatchObject({ token: `fcm-${user}`, title: 'Reminder', body: task.title });
}

/**
 * An SMTP outage, then recovery: the first connections are refused (421); the seed's linear retries deliver
 * each reminder exactly once, and a redelivered reminder.due.v1 (same id) sends nothing again.
 */
export async function smtpOutageThenRecovery(ctx: ScenarioContext): Promise<void> {
  const sink = ctx.platform.delivery.sink;
  const created: { task: Task }[] = [];
  for (let i = 0; i < 3; i++) created.push(await taskWithDueReminder(ctx, ['email']));
  const refusedBefore = sink.refused;
  sink.refuseNext(2);
  await ctx.platform.api.scheduler.tick();
  const ids: string[] = [];
  await until(
    () => created.every(({ task }) => remindersFor(ctx, task.id).length === 1),
    'three reminders',
    ctx.timeoutMs,
  );
  for (const { task } of created)
    ids.push((remindersFor(ctx, task.id)[0]!.data as { reminder_id: string }).reminder_id);
  await until(
    () => ids.every((id) => notificationsFor(ctx, id).length === 1),
    'a notification event per reminder',
    ctx.timeoutMs,
  );
  expect(sink.refused - refusedBefore).toBe(2);
  for (const id of ids) {
    expect(sink.messages.filter((m) => m.headers['x-reminder-id'] === id)).toHaveLength(1);
    expect(notificationsFor(ctx, id).map((e) => e.type)).toEqual(['notification.sent.v1']);
  }
  // Each refused connection cost one more attempt of some reminder.
  const attempts = ids.map((id) => (notificationsFor(ctx, id)[0]!.data as { attempts: number }).attempts);
  expect(attempts.reduce((a, b) => a + b, 0)).toBe(ids.length + 2);

  // The broker delivers one of them again (same event id): nothing is sent twice.
  const again = remindersFor(ctx, created[0]!.task.id)[0]!;
  const duplicates = { count: 0 };
  const counted = () => void duplicates.count++;
  ctx.platform.notifications.bus.events.on('duplicate', counted);
  const producer = createBus<PlatformEvents>({
    transport: ctx.transport(),
    source: 'backend-api',
    routes: platformRoutes(ctx.platform.topics),
    telemetry: false,
  });
  try {
    const { receipt } = await producer.publish(
      'reminder.due.v1',
      again.data as PlatformEvents['reminder.due.v1'],
      {
        id: again.id,
        key: (again.data as { user_id: string }).user_id,
      },
    );
    // JetStream drops a same-id copy itself; elsewhere the event log skips it.
    if (receipt.duplicate !== true) {
      await until(() => duplicates.count === 1, 'the duplicate to be skipped', ctx.timeoutMs);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sink.messages.filter((m) => m.headers['x-reminder-id'] === ids[0])).toHaveLength(1);
  } finally {
    ctx.platform.notifications.bus.events.off('duplicate', counted);
    await producer.close();
  }
}

/** A malformed reminder.due.v1 goes to reminders-dlq with its reason; the Notification Service keeps going. */
export async function malformedReminderIsDeadLettered(ctx: ScenarioContext): Promise<void> {
  const producer = createBus<PlatformEvents>({
    transport: ctx.transport(),
    source: 'backend-api',
    routes: platformRoutes(ctx.platform.topics),
    telemetry: false,
  });
  const dlq = ctx.watcher.seen[ctx.platform.topics.remindersDlq]!.raw;
  const before = dlq.length;
  const marker = randomUUID();
  try {
    await producer.publish('reminder.due.v1', { reminder_id: marker, channels: ['pigeon'] } as never, {
      key: marker,
    });
  } finally {
    await producer.close();
  }
  await until(() => dlq.slice(before).some((m) => m.body.includes(marker)), 'the dead letter', ctx.timeoutMs);
  const letter = dlq.slice(before).find((m) => m.body.includes(marker))!;
  expect(reasonOf(letter)).toBe('permanent-error');
  expect(letter.headers['dlq-error-message']).toBe(
    'invalid reminder.due.v1: missing or invalid task_id, user_id, title, remind_at, channels',
  );
  expect(letter.headers['dlq-consumer-group']).toBe('notification-service');
  await flowReminderNotification(ctx);
}
