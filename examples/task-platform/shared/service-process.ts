/**
 * One platform service as its own process: the transport, database, topics and logger from the environment, a
 * "running" log line, and a clean stop on SIGINT / SIGTERM.
 *
 * @module
 */
import type { Logger, Transport } from '../../../src/index.js';
import { onShutdown } from '../../shared/process.js';
import { type Database, openDatabase } from './database.js';
import { type PlatformTopics, platformTopics } from './events.js';
import { jsonLogger, type LogLevel } from './logger.js';
import { createTransport, type TransportKind, transportKindFromEnv } from './transport.js';

/** What {@link runServiceProcess} hands to the service it starts. */
export interface ServiceProcessContext {
  /** `TRANSPORT`. */
  readonly kind: TransportKind;
  /** A JSON logger at `LOG_LEVEL` (default `info`). */
  readonly logger: Logger;
  /** `DATABASE_URL`, or an embedded PGlite database (in `PGLITE_DIR` when set). */
  readonly db: Database;
  /** The platform's topics under `TOPIC_PREFIX`. */
  readonly topics: PlatformTopics;
  /** Creates the service's transport: `TRANSPORT`, `NATS_URL`, `KAFKA_BROKERS` (the service name as client id). */
  transport(): Transport;
}

/** A service started by {@link runServiceProcess}. */
export interface StartedServiceProcess {
  /** The message of the "running" log line. */
  readonly message: string;
  /** Fields of that line before `transport` and `database` (where the service answers). */
  readonly where: Readonly<Record<string, unknown>>;
  /** Fields of that line after them. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Stops the service (the database is closed after it). */
  close(): Promise<void>;
}

/**
 * Opens the database, lets `start` start the service, logs that it runs, and on SIGINT / SIGTERM stops the
 * service, then closes the database and exits.
 *
 * @example
 * ```ts
 * if (isMain(import.meta.url)) {
 *   await runServiceProcess('recurring-task-service', async ({ transport, db, topics, logger }) => {
 *     const service = await startRecurringTaskService({ transport: transport(), db, topics, logger });
 *     return {
 *       message: 'recurring-task-service running',
 *       where: { ops: service.opsUrl },
 *       close: () => service.close(),
 *     };
 *   });
 * }
 * ```
 */
export async function runServiceProcess(
  service: string,
  start: (context: ServiceProcessContext) => Promise<StartedServiceProcess>,
): Promise<void> {
  const kind = transportKindFromEnv(process.env.TRANSPORT);
  const logger = jsonLogger(service, (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info');
  const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: process.env.PGLITE_DIR });
  const started = await start({
    kind,
    logger,
    db,
    topics: platformTopics(process.env.TOPIC_PREFIX ?? ''),
    transport: () =>
      createTransport({
        kind,
        clientId: service,
        natsUrl: process.env.NATS_URL,
        kafkaBrokers: process.env.KAFKA_BROKERS?.split(','),
      }),
  });
  logger.info({ ...started.where, transport: kind, database: db.kind, ...started.details }, started.message);
  onShutdown(async () => {
    await started.close();
    await db.close();
  });
}
