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
import { type Bus, createBus, type Logger, logBusEvents, type Transport } from '../../src/index.js';
import { jwtKey } from './api/auth.js';
import { closeServer, listen } from './api/http-server.js';
import { apiRateLimiter, type RateLimits } from './api/rate-limit.js';
import { type ReminderScheduler, startReminderScheduler } from './api/reminder-scheduler.js';
import { createRouter } from './api/router.js';
import { type TaskService, taskService } from './api/task-service.js';
import { type Database, openDatabase } from './shared/database.js';
import {
  type InvokeResponse,
  type PlatformEvents,
  type PlatformTopics,
  platformRoutes,
  platformTopics,
} from './shared/events.js';
import { healthReport } from './shared/health.js';
import { jsonLogger, type LogLevel } from './shared/logger.js';
import { serviceMetrics } from './shared/metrics.js';
import { type ServiceOutbox, startOutbox } from './shared/outbox.js';
import { envNumber, isMain, onShutdown } from './shared/process.js';
import { platformResiliency, type ResiliencyDurations } from './shared/resiliency.js';
import { createTransport, transportKindFromEnv } from './shared/transport.js';

/** The default signing secret for local runs. Never use it anywhere else. */
export const DEV_JWT_SECRET = 'task-platform-dev-secret-change-me-0123456789';

/** Options of {@link startBackendApi}. */
export interface BackendApiOptions {
  readonly transport: Transport;
  readonly db: Database;
  /** HS256 secret of the users' JWTs (at least 32 bytes). Default {@link DEV_JWT_SECRET}. */
  readonly jwtSecret?: string;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly topics?: PlatformTopics;
  /** How often the reminder scheduler runs, ms. Default 300 000 (the seed's 5 minutes). */
  readonly reminderIntervalMs?: number;
  readonly rateLimits?: RateLimits;
  /** Shorter policy durations (tests); the seed's otherwise. */
  readonly resiliency?: ResiliencyDurations;
  /** Outbox relay polling, ms (PGlite has no NOTIFY). */
  readonly outboxPollMs?: number;
  readonly logger?: Logger;
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
  const topics = options.topics ?? platformTopics();
  const logger = options.logger ?? jsonLogger('backend-api', 'silent');
  const metrics = serviceMetrics('backend-api');
  const bus = createBus<PlatformEvents>({
    transport: options.transport,
    source: 'backend-api',
    routes: platformRoutes(topics),
    version: '5.0.0',
    logger,
    telemetry: { meterProvider: metrics.meterProvider },
  });
  const unlog = logBusEvents(bus, logger);
  const outbox = await startOutbox({
    db: options.db,
    transport: bus.transport,
    table: 'task_outbox',
    ...(options.outboxPollMs === undefined ? {} : { pollIntervalMs: options.outboxPollMs }),
    onError: (error) => logger.warn({ error: error.message }, 'outbox relay failure; will retry'),
  });
  const resiliency = platformResiliency(options.resiliency);
  const tasks = taskService({
    db: options.db,
    bus,
    outbox,
    dbPolicy: resiliency.policyFor({ component: 'postgresql' }, 'outbound'),
  });
  const health = () =>
    healthReport(
      {
        database: async () => {
          await options.db.ping();
          return undefined;
        },
      },
      bus,
    );
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
    service: 'backend-api',
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
        await outbox.stop();
        await bus.close({ graceMs: 2000 });
        unlog();
        await metrics.shutdown();
      })();
      return closing;
    },
  };
}

async function main(): Promise<void> {
  const kind = transportKindFromEnv(process.env.TRANSPORT);
  const logger = jsonLogger('backend-api', (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info');
  const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: process.env.PGLITE_DIR });
  const api = await startBackendApi({
    transport: createTransport({
      kind,
      clientId: 'backend-api',
      natsUrl: process.env.NATS_URL,
      kafkaBrokers: process.env.KAFKA_BROKERS?.split(','),
    }),
    db,
    jwtSecret: process.env.JWT_SECRET,
    host: process.env.HOST ?? '127.0.0.1',
    port: envNumber('PORT', 8080),
    topics: platformTopics(process.env.TOPIC_PREFIX ?? ''),
    reminderIntervalMs: envNumber('REMINDER_INTERVAL_MS', 300_000),
    logger,
  });
  logger.info({ url: api.url, transport: kind, database: db.kind }, 'backend-api listening');
  onShutdown(async () => {
    await api.close();
    await db.close();
  });
}

if (isMain(import.meta.url)) await main();
