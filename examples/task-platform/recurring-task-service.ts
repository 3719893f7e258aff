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
  type Envelope,
  type HandlerContext,
  permanentError,
  SwitchboardError,
  type SwitchboardPolicy,
} from '../../src/index.js';
import { envNumber, isMain } from '../shared/process.js';
import { nextOccurrence } from './recurring/recurrence.js';
import { type InvokeResponse, type TaskEvent, taskEventProblems } from './shared/events.js';
import { platformResiliency, type ResiliencyDurations } from './shared/resiliency.js';
import { runServiceProcess } from './shared/service-process.js';
import {
  type ConsumerService,
  type ConsumerServiceOptions,
  startServiceRuntime,
} from './shared/service-runtime.js';

/** The app id this service presents to the Backend API (the seed's `dapr-app-id`). */
export const RECURRING_APP_ID = 'recurring-task-service';

/** Options of {@link startRecurringTaskService}. */
export interface RecurringTaskServiceOptions extends ConsumerServiceOptions {
  /** Shorter policy durations (tests); the seed's otherwise (retry 1 s..10 s, breaker open 30 s, call 60 s). */
  readonly resiliency?: ResiliencyDurations;
  /** How long one service call may wait for its reply, ms. Default 60 000 (the seed's Dapr timeout). */
  readonly invokeTimeoutMs?: number;
}

/** A running Recurring Task Service. */
export interface RecurringTaskService extends ConsumerService {
  /** The composed service-invocation policy (retry, breaker, timeout) from the resiliency YAML. */
  readonly policy: SwitchboardPolicy;
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
 * Starts the service. A failed event is redelivered after 1 s, 2 s, 4 s by default (the seed's back-off).
 *
 * @example
 * ```ts
 * const recurring = await startRecurringTaskService({ transport: memoryTransport({ broker }), db });
 * ```
 */
export async function startRecurringTaskService(
  options: RecurringTaskServiceOptions,
): Promise<RecurringTaskService> {
  const runtime = await startServiceRuntime({
    service: RECURRING_APP_ID,
    transport: options.transport,
    db: options.db,
    topics: options.topics,
    logger: options.logger,
    eventLog: true,
  });
  const { topics, logger, metrics, bus } = runtime;
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

  const opsUrl = await runtime.startOps(options.opsPort);
  return { bus, policy, opsUrl, close: () => runtime.close() };
}

if (isMain(import.meta.url)) {
  await runServiceProcess(RECURRING_APP_ID, async ({ transport, db, topics, logger }) => {
    const service = await startRecurringTaskService({
      transport: transport(),
      db,
      topics,
      opsPort: envNumber('OPS_PORT', 8082),
      logger,
    });
    return {
      message: 'recurring-task-service running',
      where: { ops: service.opsUrl },
      close: () => service.close(),
    };
  });
}
