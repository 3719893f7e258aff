/**
 * The Backend API of seed 002: task CRUD and completion over HTTP with JWT auth, rate limits and the seed's
 * error format; task events and due reminders published through a transactional outbox; service invocation
 * (`backend-api.invoke.v1` requests over the bus) for the Recurring Task Service; `/health` and `/metrics`.
 *
 * Run alone: `TRANSPORT=nats DATABASE_URL=postgres://... tsx examples/task-platform/backend-api.ts`.
 *
 * @module
 */
import type { Server } from 'node:http';
import type { Bus } from '../../src/index.js';
import { envNumber, isMain } from '../shared/process.js';
import { jwtKey } from './api/auth.js';
import { closeServer, listen } from './api/http-server.js';
import { apiRateLimiter, type RateLimits } from './api/rate-limit.js';
import { type ReminderScheduler, startReminderScheduler } from './api/reminder-scheduler.js';
import { createRouter } from './api/router.js';
import { type TaskService, taskService } from './api/task-service.js';
import type { InvokeResponse, PlatformEvents } from './shared/events.js';
import type { ServiceOutbox } from './shared/outbox.js';
import { platformResiliency, type ResiliencyDurations } from './shared/resiliency.js';
import { runServiceProcess } from './shared/service-process.js';
import { type PlatformServiceOptions, startServiceRuntime } from './shared/service-runtime.js';

/** This service's name: its bus source and logger and metrics name. */
const BACKEND_APP_ID = 'backend-api';

/** The default signing secret for local runs. Never use it anywhere else. */
export const DEV_JWT_SECRET = 'task-platform-dev-secret-change-me-0123456789';

/** Options of {@link startBackendApi}. */
export interface BackendApiOptions extends PlatformServiceOptions {
  /** HS256 secret of the users' JWTs (at least 32 bytes). Default {@link DEV_JWT_SECRET}. */
  readonly jwtSecret?: string;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** How often the reminder scheduler runs, ms. Default 300 000 (the seed's 5 minutes). */
  readonly reminderIntervalMs?: number;
  readonly rateLimits?: RateLimits;
  /** Shorter policy durations (tests); the seed's otherwise. */
  readonly resiliency?: ResiliencyDurations;
  /** Outbox relay polling, ms (PGlite has no NOTIFY). */
  readonly outboxPollMs?: number;
}

/** A running Backend API. */
export interface BackendApi {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly server: Server;
  readonly bus: Bus<PlatformEvents>;
  readonly tasks: TaskService;
  readonly outbox: ServiceOutbox;
  readonly scheduler: ReminderScheduler;
  /** Stops the scheduler, the HTTP server, the relay and the bus (not the database or a shared transport). */
  close(): Promise<void>;
}

/**
 * Starts the Backend API.
 *
 * @example
 * ```ts
 * const db = await openDatabase();
 * const api = await startBackendApi({ transport: memoryTransport({ broker }), db });
 * console.log(`listening on ${api.url}`);
 * ```
 */
export async function startBackendApi(options: BackendApiOptions): Promise<BackendApi> {
  const runtime = await startServiceRuntime({
    service: BACKEND_APP_ID,
    transport: options.transport,
    db: options.db,
    topics: options.topics,
    logger: options.logger,
    outbox: { table: 'task_outbox', pollIntervalMs: options.outboxPollMs, stopBeforeBus: true },
  });
  const { logger, metrics, bus, outbox, health } = runtime;
  const resiliency = platformResiliency(options.resiliency);
  const tasks = taskService({
    db: options.db,
    bus,
    outbox,
    dbPolicy: resiliency.policyFor({ component: 'postgresql' }, 'outbound'),
  });
  const route = createRouter({
    tasks,
    jwtKey: jwtKey(options.jwtSecret ?? DEV_JWT_SECRET),
    limits: apiRateLimiter(options.rateLimits),
    health,
    logger,
  });
  // Service invocation: the same routes, reached over the bus instead of the public port.
  await bus.respond('backend-api.invoke.v1', async (request): Promise<InvokeResponse> => {
    const url = new URL(request.data.path, 'http://backend-api');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.data.headers ?? {}))
      headers[name.toLowerCase()] = value;
    if (request.traceparent !== undefined) headers.traceparent ??= request.traceparent;
    const response = await route({
      method: request.data.method,
      path: url.pathname,
      query: url.searchParams,
      headers,
      body: request.data.body ?? '',
      ip: 'service-invocation',
      internal: true,
    });
    return { status: response.status, body: response.body ?? null };
  });
  const scheduler = startReminderScheduler(() => tasks.publishDueReminders(), {
    intervalMs: options.reminderIntervalMs ?? 300_000,
    logger,
  });
  const { server, url } = await listen(route, {
    service: BACKEND_APP_ID,
    metrics,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
  });
  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    bus,
    tasks,
    outbox,
    scheduler,
    close() {
      closing ??= (async () => {
        await scheduler.stop();
        await closeServer(server);
        await runtime.close();
      })();
      return closing;
    },
  };
}

if (isMain(import.meta.url)) {
  await runServiceProcess(BACKEND_APP_ID, async ({ transport, db, topics, logger }) => {
    const api = await startBackendApi({
      transport: transport(),
      db,
      jwtSecret: process.env.JWT_SECRET,
      host: process.env.HOST ?? '127.0.0.1',
      port: envNumber('PORT', 8080),
      topics,
      reminderIntervalMs: envNumber('REMINDER_INTERVAL_MS', 300_000),
      logger,
    });
    return { message: 'backend-api listening', where: { url: api.url }, close: () => api.close() };
  });
}
