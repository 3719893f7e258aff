/**
 * The whole platform in one process: the database, the Backend API, the Notification Service (with its SMTP
 * sink and FCM stand-in) and the Recurring Task Service, each on a transport of its own from one factory. The
 * launcher and the end-to-end tests start it; in production each service runs as its own process.
 *
 * @module
 */
import type { Logger, Transport } from '../../src/index.js';
import { type BackendApi, type BackendApiOptions, startBackendApi } from './backend-api.js';
import {
  type RecurringTaskService,
  type RecurringTaskServiceOptions,
  startRecurringTaskService,
} from './recurring-task-service.js';
import { type Database, openDatabase } from './shared/database.js';
import { type PlatformTopics, platformTopics } from './shared/events.js';

/** Options of {@link startPlatform}. */
export interface PlatformOptions {
  /** A transport for each service (named by its app id). */
  readonly transport: (service: string) => Transport;
  /** PostgreSQL URL; an embedded PGlite database when absent. */
  readonly databaseUrl?: string;
  readonly topics?: PlatformTopics;
  /** Overrides for the Backend API (port, rate limits, reminder interval, ...). */
  readonly api?: Partial<Omit<BackendApiOptions, 'transport' | 'db' | 'topics'>>;
  /** Overrides for the Recurring Task Service (delays, deliveries, ...). */
  readonly recurring?: Partial<Omit<RecurringTaskServiceOptions, 'transport' | 'db' | 'topics'>>;
  /** One logger for all (each service tags its lines); silent by default. */
  readonly logger?: (service: string) => Logger;
}

/** The running platform. */
export interface Platform {
  readonly db: Database;
  readonly topics: PlatformTopics;
  readonly api: BackendApi;
  readonly recurring: RecurringTaskService;
  /** Stops every service, then the database. */
  close(): Promise<void>;
}

/**
 * Starts the platform; on a failure part-way, stops what had started.
 *
 * @example
 * ```ts
 * const broker = memoryBroker();
 * const platform = await startPlatform({ transport: () => memoryTransport({ broker }) });
 * console.log(platform.api.url);
 * await platform.close();
 * ```
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const topics = options.topics ?? platformTopics();
  const db = await openDatabase({ url: options.databaseUrl });
  const stops: (() => Promise<void>)[] = [() => db.close()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    const api = await startBackendApi({
      transport: options.transport('backend-api'),
      db,
      topics,
      ...(options.logger === undefined ? {} : { logger: options.logger('backend-api') }),
      ...options.api,
    });
    stops.push(() => api.close());
    const recurring = await startRecurringTaskService({
      transport: options.transport('recurring-task-service'),
      db,
      topics,
      ...(options.logger === undefined ? {} : { logger: options.logger('recurring-task-service') }),
      ...options.recurring,
    });
    stops.push(() => recurring.close());
    return { db, topics, api, recurring, close: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
