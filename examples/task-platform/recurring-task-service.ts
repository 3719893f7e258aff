/**
 * The Recurring Task Service of seed 002: consumes `task.completed.v1` from `task-events`, computes the next due
 * date of a recurring task and creates the next occurrence through the Backend API (service invocation over the
 * bus, under the seed's `backend-api-retry` and `backend-api-cb` loaded from its YAML). Completion events are
 * de-duplicated by id in the event log, and the create call carries an idempotency key, so a duplicate never
 * creates a second task. Errors go as the seed's table says: 4xx to `task-events-dlq` at once; 5xx, timeouts
 * and an open breaker are retried, then redelivered, then dead-lettered.
 *
 * Run alone: `TRANSPORT=kafka DATABASE_URL=postgres://... tsx examples/task-platform/recurring-task-service.ts`.
 *
 * @module
 */
import {
  type Bus,
  createBus,
  type Envelope,
  type HandlerContext,
  type Logger,
  logBusEvents,
  permanentError,
  SwitchboardError,
  type SwitchboardPolicy,
  type Transport,
} from '../../src/index.js';
import { postgresIdempotencyStore } from '../../src/postgres/index.js';
import { nextOccurrence } from './recurring/recurrence.js';
import { type Database, openDatabase } from './shared/database.js';
import {
  type InvokeResponse,
  type PlatformEvents,
  type PlatformTopics,
  platformRoutes,
  platformTopics,
  type TaskEvent,
  taskEventProblems,
} from './shared/events.js';
import { healthReport } from './shared/health.js';
import { jsonLogger, type LogLevel } from './shared/logger.js';
import { serviceMetrics } from './shared/metrics.js';
import { startOpsServer } from './shared/ops-server.js';
import { envNumber, isMain, onShutdown } from './shared/process.js';
import { platformResiliency, type ResiliencyDurations } from './shared/resiliency.js';
import { createTransport, transportKindFromEnv } from './shared/transport.js';

/** The app id this service presents to the Backend API (the seed's `dapr-app-id`). */
export const RECURRING_APP_ID = 'recurring-task-service';

/** Options of {@link startRecurringTaskService}. */
export interface RecurringTaskServiceOptions {
  readonly transport: Transport;
  readonly db: Database;
  readonly topics?: PlatformTopics;
  /** Shorter policy durations (tests); the seed's otherwise (retry 1 s..10 s, breaker open 30 s, call 60 s). */
  readonly resiliency?: ResiliencyDurations;
  /** Deliveries of one event before it is dead-lettered. Default 4: the first and the seed's 3 retries. */
  readonly maxDeliveries?: number;
  /** Delay before a redelivery, ms, by attempt. Default the seed's 1 s, 2 s, 4 s. */
  readonly redeliveryDelay?: number | ((attempt: number) => number);
  /** How long one service call may wait for its reply, ms. Default 60 000 (the seed's Dapr timeout). */
  readonly invokeTimeoutMs?: number;
  /** Serve `/health` and `/metrics` on this port (0: a free one); no server when absent. */
  readonly opsPort?: number;
  readonly logger?: Logger;
}

/** A running Recurring Task Service. */
export interface RecurringTaskService {
  readonly bus: Bus<PlatformEvents>;
  /** The composed service-invocation policy (retry, breaker, timeout) from the resiliency YAML. */
  readonly policy: SwitchboardPolicy;
  /** `/health` and `/metrics`, when an ops port was given. */
  readonly opsUrl: string | undefined;
  close(): Promise<void>;
}

/** A reply the policy should not retry (a 4xx): carried out as a value, so it does not trip the breaker. */
class Refused {
  constructor(readonly response: InvokeResponse) {}
}

function errorCodeOf(body: unknown): string {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/**
 * Starts the service.
 *
 * @example
 * ```ts
 * const recurring = await startRecurringTaskService({ transport: memoryTransport({ broker }), db });
 * ```
 */
export async function startRecurringTaskService(
  options: RecurringTaskServiceOptions,
): Promise<RecurringTaskService> {
  const topics = options.topics ?? platformTopics();
  const logger = options.logger ?? jsonLogger(RECURRING_APP_ID, 'silent');
  const metrics = serviceMetrics(RECURRING_APP_ID);
  const store = postgresIdempotencyStore({
    pool: options.db.pool,
    consumer: RECURRING_APP_ID,
    table: 'event_log',
  });
  await store.ensureSchema();
  const bus = createBus<PlatformEvents>({
    transport: options.transport,
    source: RECURRING_APP_ID,
    routes: platformRoutes(topics),
    idempotency: store,
    version: '5.0.0',
    logger,
    telemetry: { meterProvider: metrics.meterProvider },
  });
  const unlog = logBusEvents(bus, logger);
  const policy = platformResiliency(options.resiliency).policyFor({ app: 'backend-api' }, 'outbound');
  const invokeTimeoutMs = options.invokeTimeoutMs ?? 60_000;
  const created = metrics.counter('recurring_tasks_created', 'Next occurrences created');

  async function invoke(
    userId: string,
    key: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<InvokeResponse> {
    const outcome = await policy.execute(async ({ signal: attemptSignal }) => {
      const response = await bus.request<'backend-api.invoke.v1', InvokeResponse>(
        'backend-api.invoke.v1',
        {
          method: 'POST',
          path: `/api/v1/users/${encodeURIComponent(userId)}/tasks`,
          headers: { 'dapr-app-id': RECURRING_APP_ID, 'idempotency-key': key },
          body: JSON.stringify(body),
        },
        { timeoutMs: invokeTimeoutMs, signal: attemptSignal, policy: null },
      );
      if (response.status === 401 || response.status === 403) {
        // The seed: log critical, do not acknowledge (retry), alert operations.
        logger.error(
          { status: response.status, user_id: userId },
          'backend-api refused this service: check its app id',
        );
        throw new SwitchboardError('SWB_REMOTE_ERROR', `backend-api answered ${response.status}`, {
          retryable: true,
          details: { status: response.status },
        });
      }
      if (response.status >= 500) {
        throw new SwitchboardError('SWB_REMOTE_ERROR', `backend-api answered ${response.status}`, {
          retryable: true,
          details: { status: response.status, code: errorCodeOf(response.body) },
        });
      }
      return response.status >= 400 ? new Refused(response) : response;
    }, signal);
    if (outcome instanceof Refused) {
      const { status, body: answer } = outcome.response;
      throw permanentError(`backend-api refused the next occurrence: ${status} ${errorCodeOf(answer)}`, {
        details: { status },
      });
    }
    return outcome;
  }

  async function onCompleted(event: Envelope<TaskEvent>, context: HandlerContext): Promise<void> {
    const problems = taskEventProblems(event.data);
    if (problems.length > 0) {
      throw permanentError(`invalid task.completed.v1: missing or invalid ${problems.join(', ')}`);
    }
    const { task } = event.data;
    if (task.recurrence === null || task.recurrence === undefined) return;
    if (task.due_at === null) {
      logger.error({ task_id: task.id }, 'recurring task without a due date; acknowledged (data corruption)');
      return;
    }
    let next: ReturnType<typeof nextOccurrence>;
    try {
      next = nextOccurrence(new Date(task.due_at), task.recurrence);
    } catch (error) {
      // The seed: an invalid recurrence pattern is data corruption; log it and acknowledge.
      logger.error(
        { task_id: task.id, error: (error as Error).message },
        'cannot compute the next occurrence',
      );
      return;
    }
    if (next === undefined) {
      logger.info({ task_id: task.id }, 'recurrence ended');
      return;
    }
    for (const warning of next.warnings) logger.warn({ task_id: task.id }, warning);
    const body = {
      title: task.title,
      description: task.description,
      priority: task.priority,
      tags: task.tags,
      due_at: next.dueAt.toISOString(),
      recurrence: next.recurrence,
      reminders: task.reminders,
    };
    // One next occurrence per completed task, whatever redelivers the event.
    const response = await invoke(event.data.user_id, `recurrence:${task.id}`, body, context.signal);
    created.add(1, { status: String(response.status) });
    logger.info(
      {
        task_id: task.id,
        next_task_id: (response.body as { id?: string } | null)?.id,
        status: response.status,
      },
      'next occurrence created',
    );
  }

  await bus.subscribe('task.completed.v1', onCompleted, {
    idempotency: true,
    maxDeliveries: options.maxDeliveries ?? 4,
    redeliveryDelay: options.redeliveryDelay ?? ((attempt) => 1000 * 2 ** (attempt - 1)),
    deadLetter: { topic: topics.taskEventsDlq },
    // Longer than one handler run (up to four calls plus back-off), so a slow run is never taken over.
    idempotencyLeaseMs: Math.max(30_000, invokeTimeoutMs * 5),
  });

  const ops =
    options.opsPort === undefined
      ? undefined
      : await startOpsServer({
          service: RECURRING_APP_ID,
          metrics,
          port: options.opsPort,
          health: () =>
            healthReport(
              {
                database: async () => {
                  await options.db.ping();
                  return undefined;
                },
              },
              bus,
            ),
        });

  let closing: Promise<void> | undefined;
  return {
    bus,
    policy,
    opsUrl: ops?.url,
    close() {
      closing ??= (async () => {
        await ops?.close();
        await bus.close({ graceMs: 2000 });
        unlog();
        await store.close();
        await metrics.shutdown();
      })();
      return closing;
    },
  };
}

async function main(): Promise<void> {
  const kind = transportKindFromEnv(process.env.TRANSPORT);
  const logger = jsonLogger(RECURRING_APP_ID, (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info');
  const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: process.env.PGLITE_DIR });
  const service = await startRecurringTaskService({
    transport: createTransport({
      kind,
      clientId: RECURRING_APP_ID,
      natsUrl: process.env.NATS_URL,
      kafkaBrokers: process.env.KAFKA_BROKERS?.split(','),
    }),
    db,
    topics: platformTopics(process.env.TOPIC_PREFIX ?? ''),
    opsPort: envNumber('OPS_PORT', 8082),
    logger,
  });
  logger.info({ ops: service.opsUrl, transport: kind, database: db.kind }, 'recurring-task-service running');
  onShutdown(async () => {
    await service.close();
    await db.close();
  });
}

if (isMain(import.meta.url)) await main();
