import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type RecurringTaskService,
  startRecurringTaskService,
} from '../../../examples/task-platform/recurring-task-service.js';
import { type Database, openDatabase } from '../../../examples/task-platform/shared/database.js';
import {
  type InvokeResponse,
  type PlatformEvents,
  platformRoutes,
  platformTopics,
} from '../../../examples/task-platform/shared/events.js';
import type { Task } from '../../../examples/task-platform/shared/task.js';
import { type Bus, createBus, memoryBroker, memoryTransport } from '../../../src/index.js';
import { probe, reasonOf, until } from './helpers.js';

/** Error mapping of the Recurring Task Service against a scripted Backend API (the seed's table). */
describe('task platform: Recurring Task Service error handling', () => {
  const topics = platformTopics();
  const broker = memoryBroker();
  let db: Database;
  let service: RecurringTaskService;
  let backend: Bus<PlatformEvents>;
  let producer: Bus<PlatformEvents>;
  let watcher: Awaited<ReturnType<typeof probe>>;
  let script: (call: number) => InvokeResponse | Promise<InvokeResponse>;
  let calls: number;
  const logs: { level: string; message: string | undefined }[] = [];

  beforeAll(async () => {
    db = await openDatabase();
    const log = (level: string) => (_: Record<string, unknown>, message?: string) =>
      void logs.push({ level, message });
    service = await startRecurringTaskService({
      transport: memoryTransport({ broker }),
      db,
      resiliency: { retryInitial: '5ms', retryMax: '20ms', breakerOpen: '10s' },
      invokeTimeoutMs: 200,
      maxDeliveries: 3,
      redeliveryDelay: 10,
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    });
    backend = createBus<PlatformEvents>({
      transport: memoryTransport({ broker }),
      source: 'backend-api',
      routes: platformRoutes(topics),
      telemetry: false,
    });
    await backend.respond('backend-api.invoke.v1', async () => script(++calls));
    producer = createBus<PlatformEvents>({
      transport: memoryTransport({ broker }),
      source: 'backend-api',
      routes: platformRoutes(topics),
      telemetry: false,
    });
    watcher = await probe(memoryTransport({ broker }), [], [topics.taskEventsDlq]);
  });

  afterAll(async () => {
    await watcher.close();
    await producer.close();
    await backend.close();
    await service.close();
    await db.close();
  });

  beforeEach(() => {
    calls = 0;
  });

  const complete = (recurrence: Task['recurrence'] = { pattern: 'daily', interval: 1 }) => {
    const id = randomUUID();
    const task = { id, user_id: 'u1', title: 'T', due_at: '2026-01-05T09:00:00.000Z', recurrence } as Task;
    return producer
      .publish('task.completed.v1', { task_id: id, user_id: 'u1', task }, { key: id })
      .then(() => id);
  };
  const letters = () => watcher.seen[topics.taskEventsDlq]!.raw;
  const letterOf = (id: string) => letters().find((m) => m.body.includes(id));

  it('retries a 503 with back-off and acknowledges once the Backend API answers 201', async () => {
    script = (n) =>
      n < 3
        ? { status: 503, body: { error: { code: 'SERVICE_UNAVAILABLE' } } }
        : { status: 201, body: { id: 'next' } };
    const handled = new Promise((resolve) => service.bus.events.once('handled', resolve));
    const id = await complete();
    await handled;
    expect(calls).toBe(3);
    expect(letterOf(id)).toBeUndefined();
  });

  it('dead-letters a 4xx at once, without retrying', async () => {
    script = () => ({ status: 422, body: { error: { code: 'VALIDATION_ERROR' } } });
    const id = await complete();
    await until(() => letterOf(id) !== undefined, 'the dead letter');
    const letter = letterOf(id)!;
    expect(reasonOf(letter)).toBe('permanent-error');
    expect(letter.headers['dlq-error-message']).toBe(
      'backend-api refused the next occurrence: 422 VALIDATION_ERROR',
    );
    expect(calls).toBe(1);
  });

  it('ignores tasks without recurrence and logs an unusable rule instead of dead-lettering it', async () => {
    script = () => ({ status: 201, body: {} });
    await complete(null);
    await complete({ pattern: 'fortnightly', interval: 1 } as never);
    await until(() => logs.some((l) => l.message === 'cannot compute the next occurrence'), 'the error log');
    expect(calls).toBe(0);
  });

  it('retries 5xx and timeouts, the breaker opens, and after max deliveries the event goes to task-events-dlq', async () => {
    script = (n) =>
      n === 2
        ? new Promise<InvokeResponse>(() => {})
        : { status: 500, body: { error: { code: 'INTERNAL_ERROR' } } };
    const id = await complete();
    await until(() => letterOf(id) !== undefined, 'the dead letter', 15_000);
    const letter = letterOf(id)!;
    expect(reasonOf(letter)).toBe('max-deliveries');
    expect(letter.headers['dlq-attempts']).toBe('3');
    // 4 failures trip backend-api-cb (consecutiveFailures > 3); later attempts fail fast without a call.
    expect(calls).toBe(4);
    const health = await service.bus.health();
    expect(health.status).not.toBe('unhealthy');
  });
});
