/**
 * The whole platform in one process: the database, the Backend API, the Recurring Task Service and the
 * Notification Service (with its SMTP sink and FCM stand-in), each on a transport of its own from one factory. The
 * launcher and the end-to-end tests start it; in production each service runs as its own process.
 *
 * @module
 */
import type { Logger, Transport } from '../../src/index.js';
import { type BackendApi, type BackendApiOptions, startBackendApi } from './backend-api.js';
import {
  type LocalDeliveryEndpoints,
  type NotificationService,
  type NotificationServiceOptions,
  startLocalDeliveryEndpoints,
  startNotificationService,
} from './notification-service.js';
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
  /** Overrides for the Notification Service (delays, deliveries, ...); it sends to the local sink and stub. */
  readonly notifications?: Partial<
    Omit<NotificationServiceOptions, 'transport' | 'db' | 'topics' | 'smtp' | 'fcm'>
  >;
  /** Back-off steps of the SMTP and FCM retries, ms (the seed's 5 s and 1 s by default). */
  readonly delivery?: Parameters<typeof startLocalDeliveryEndpoints>[0];
  /** One logger for all (each service tags its lines); silent by default. */
  readonly logger?: (service: string) => Logger;
}

/** The running platform. */
export interface Platform {
  readonly db: Database;
  readonly topics: PlatformTopics;
  readonly api: BackendApi;
  readonly recurring: RecurringTaskService;
  readonly notifications: NotificationService;
  /** The local SMTP sink and FCM stand-in the notifications go to. */
  readonly delivery: LocalDeliveryEndpoints;
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
      opsPort: 0,
      ...(options.logger === undefined ? {} : { logger: options.logger('recurring-task-service') }),
      ...options.recurring,
    });
    stops.push(() => recurring.close());
    const delivery = await startLocalDeliveryEndpoints(options.delivery);
    stops.push(() => delivery.close());
    const notifications = await startNotificationService({
      transport: options.transport('notification-service'),
      db,
      topics,
      smtp: delivery.smtp,
      fcm: delivery.fcmOptions,
      opsPort: 0,
      ...(options.logger === undefined ? {} : { logger: options.logger('notification-service') }),
      ...options.notifications,
    });
    stops.push(() => notifications.close());
    return { db, topics, api, recurring, notifications, delivery, close: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
