/**
 * The Backend API's operations: each writes its rows and its event in one transaction (the outbox), behind the
 * seed's PostgreSQL circuit breaker and query timeout.
 *
 * @module
 */
import { type Bus, isSwitchboardError, type SwitchboardPolicy } from '../../../src/index.js';
import { isTransientPgError } from '../../../src/postgres/index.js';
import type { Database, Sql } from '../shared/database.js';
import type { PlatformEvents } from '../shared/events.js';
import type { ServiceOutbox } from '../shared/outbox.js';
import type { Task } from '../shared/task.js';
import { ApiError } from './errors.js';
import {
  claimDueReminders,
  completeTask,
  deleteTask,
  findTask,
  inputOf,
  insertTask,
  listTasks,
  setFcmToken,
  updateTask,
  upsertUser,
} from './tasks-repository.js';
import { type TaskInput, validateUpdate } from './validation.js';

/** An API error travelling through the breaker as a result, so it does not count as a database failure. */
class Refusal {
  constructor(readonly error: ApiError) {}
}

/** What the operations need. */
export interface TaskServiceDeps {
  readonly db: Database;
  readonly bus: Bus<PlatformEvents>;
  readonly outbox: ServiceOutbox;
  /** The seed's `postgresql-cb` and database timeout around every database call. */
  readonly dbPolicy: SwitchboardPolicy;
}

/** The Backend API's task operations. */
export interface TaskService {
  recordUser(user: { id: string; email?: string | undefined; name?: string | undefined }): Promise<void>;
  setFcmToken(userId: string, token: string | null): Promise<void>;
  create(
    userId: string,
    input: TaskInput,
    idempotencyKey?: string,
  ): Promise<{ task: Task; created: boolean }>;
  list(
    userId: string,
    filter: { status?: string | undefined; limit: number; offset: number },
  ): Promise<{ tasks: Task[]; total: number }>;
  get(userId: string, id: string): Promise<Task>;
  update(userId: string, id: string, body: unknown): Promise<Task>;
  complete(userId: string, id: string): Promise<Task>;
  remove(userId: string, id: string): Promise<void>;
  /** Publishes `reminder.due.v1` for every reminder due at `now`; returns how many. */
  publishDueReminders(now?: Date, limit?: number): Promise<number>;
}

/**
 * Creates the operations.
 *
 * @example
 * ```ts
 * const tasks = taskService({ db, bus, outbox, dbPolicy });
 * const { task } = await tasks.create('user-1', validateCreate(body));
 * ```
 */
export function taskService(deps: TaskServiceDeps): TaskService {
  const { db, bus, outbox, dbPolicy } = deps;

  /**
   * Runs database work behind the breaker; an open breaker or a timeout is a 503. A request's own fault (not
   * found, conflict, validation) is carried past the breaker as a value: it says nothing about the database.
   */
  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    let outcome: T | Refusal;
    try {
      outcome = await dbPolicy.execute(() =>
        work().catch((error: unknown) => {
          if (error instanceof ApiError) return new Refusal(error);
          throw error;
        }),
      );
    } catch (error) {
      const unavailable = (why: string) =>
        new ApiError('SERVICE_UNAVAILABLE', `Database unavailable: ${why}`, { dependency: 'database' });
      if (isSwitchboardError(error, 'SWB_CIRCUIT_OPEN')) throw unavailable('circuit open, try again later');
      if (isSwitchboardError(error, 'SWB_TIMEOUT')) throw unavailable('query timed out');
      // Connection trouble (no SQLSTATE, or class 08, 53, 57...) is the dependency; a SQL error is our bug (500).
      if (!isSwitchboardError(error) && isTransientPgError(error)) throw unavailable('connection failed');
      throw error;
    }
    if (outcome instanceof Refusal) throw outcome.error;
    return outcome;
  }

  /** A transaction whose events leave right after the commit. */
  async function write<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    const result = await guarded(() => db.transaction(work));
    void outbox.flush();
    return result;
  }

  const emit = <K extends keyof PlatformEvents & `task.${string}`>(
    tx: Sql,
    type: K,
    data: PlatformEvents[K],
  ): Promise<void> => outbox.enqueue(tx, bus.prepare(type, data, { key: data.task_id }));

  const notFound = (id: string): ApiError => new ApiError('NOT_FOUND', 'Task not found', { task_id: id });

  return {
    recordUser: (user) => guarded(() => upsertUser(db.sql, user)),
    setFcmToken: (userId, token) => guarded(() => setFcmToken(db.sql, userId, token)),

    create: (userId, input, idempotencyKey) =>
      write(async (tx) => {
        const result = await insertTask(tx, userId, input, idempotencyKey);
        if (result.created) {
          await emit(tx, 'task.created.v1', { task_id: result.task.id, user_id: userId, task: result.task });
        }
        return result;
      }),

    list: (userId, filter) => guarded(() => listTasks(db.sql, userId, filter)),

    async get(userId, id) {
      const task = await guarded(() => findTask(db.sql, userId, id));
      if (task === undefined) throw notFound(id);
      return task;
    },

    update: (userId, id, body) =>
      write(async (tx) => {
        const current = await findTask(tx, userId, id, true);
        if (current === undefined) throw notFound(id);
        const { input, changed } = validateUpdate(body, inputOf(current));
        const task = await updateTask(tx, current, input);
        await emit(tx, 'task.updated.v1', { task_id: id, user_id: userId, task, changed });
        return task;
      }),

    complete: (userId, id) =>
      write(async (tx) => {
        const task = await completeTask(tx, userId, id);
        if (task === undefined) {
          if ((await findTask(tx, userId, id)) === undefined) throw notFound(id);
          throw new ApiError('CONFLICT', 'Task is already completed', { task_id: id, status: 'completed' });
        }
        await emit(tx, 'task.completed.v1', { task_id: id, user_id: userId, task });
        return task;
      }),

    remove: (userId, id) =>
      write(async (tx) => {
        if (!(await deleteTask(tx, userId, id))) throw notFound(id);
        await emit(tx, 'task.deleted.v1', { task_id: id, user_id: userId });
      }),

    publishDueReminders: (now = new Date(), limit = 500) =>
      write(async (tx) => {
        const due = await claimDueReminders(tx, now, limit);
        for (const reminder of due) {
          await outbox.enqueue(tx, bus.prepare('reminder.due.v1', reminder, { key: reminder.user_id }));
        }
        return due.length;
      }),
  };
}
