/**
 * What every service of the platform starts with and stops last: its logger, Prometheus metrics, event log
 * (idempotency store), bus, bus-event logging, outbox relay, `/health` report and ops server. Each service adds
 * its own handlers on top.
 *
 * @module
 */
import { type Bus, createBus, type Logger, logBusEvents, type Transport } from '../../../src/index.js';
import { postgresIdempotencyStore } from '../../../src/postgres/index.js';
import type { Database } from './database.js';
import { type PlatformEvents, type PlatformTopics, platformRoutes, platformTopics } from './events.js';
import { type HealthReport, healthReport, PLATFORM_VERSION } from './health.js';
import { jsonLogger } from './logger.js';
import { type ServiceMetrics, serviceMetrics } from './metrics.js';
import { startOpsServer } from './ops-server.js';
import { type ServiceOutbox, startOutbox } from './outbox.js';

/** What every service of the platform is started with. */
export interface PlatformServiceOptions {
  /** The service's transport. */
  readonly transport: Transport;
  /** The platform's database (the service does not close it). */
  readonly db: Database;
  /** Default {@link platformTopics}`()`. */
  readonly topics?: PlatformTopics | undefined;
  /** Default a silent JSON logger. */
  readonly logger?: Logger | undefined;
}

/** What a service that consumes events and serves `/health` and `/metrics` on an ops port is started with. */
export interface ConsumerServiceOptions extends PlatformServiceOptions {
  /** Deliveries of one event before it is dead-lettered. Default 4: the first and the seed's 3 retries. */
  readonly maxDeliveries?: number;
  /** Delay before a redelivery, ms, or by attempt. Default the seed's, as each service's start function says. */
  readonly redeliveryDelay?: number | ((attempt: number) => number);
  /** Serve `/health` and `/metrics` on this port (0: a free one); no server when absent. */
  readonly opsPort?: number;
}

/** A running service that consumes events. */
export interface ConsumerService {
  readonly bus: Bus<PlatformEvents>;
  /** `/health` and `/metrics`, when an ops port was given. */
  readonly opsUrl: string | undefined;
  close(): Promise<void>;
}

/** The outbox relay of a {@link ServiceRuntime}. */
export interface RuntimeOutboxOptions {
  /** The service's outbox table. */
  readonly table: string;
  /** Relay polling, ms (PGlite has no NOTIFY); the outbox's default when absent. */
  readonly pollIntervalMs?: number | undefined;
  /** Stop the relay before the bus closes rather than after it has drained its handlers. Default false. */
  readonly stopBeforeBus?: boolean;
}

/** Options of {@link startServiceRuntime}. */
export interface ServiceRuntimeOptions extends PlatformServiceOptions {
  /** The service's name: its bus source, logger and metrics name, and event-log consumer. */
  readonly service: string;
  /** De-duplicate consumed events by id in the shared `event_log` table (the bus's idempotency store). */
  readonly eventLog?: boolean;
  /** Start a transactional outbox relay. */
  readonly outbox?: RuntimeOutboxOptions;
}

/** The common parts of a running service. */
export interface ServiceRuntime<Outbox extends ServiceOutbox | undefined = ServiceOutbox | undefined> {
  readonly topics: PlatformTopics;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly bus: Bus<PlatformEvents>;
  /** The outbox, when one was asked for. */
  readonly outbox: Outbox;
  /** `/health`: the database and the bus. */
  health(): Promise<HealthReport>;
  /**
   * Serves `/health` and `/metrics` on `port` (0: a free one); nothing when `port` is undefined.
   *
   * @returns the server's URL, or undefined.
   */
  startOps(port: number | undefined): Promise<string | undefined>;
  /**
   * Stops, in order: the ops server, the bus (2 s grace for handlers in flight; the outbox relay before or after
   * it, see `stopBeforeBus`), the bus-event logging, the event log and the metrics. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Starts the common parts of a service: metrics, the event log (when `eventLog`), the bus on the platform's
 * routes, bus-event logging and the outbox relay (when `outbox`).
 *
 * @example
 * ```ts
 * const runtime = await startServiceRuntime({
 *   service: 'notification-service',
 *   transport: memoryTransport({ broker }),
 *   db,
 *   eventLog: true,
 *   outbox: { table: 'notification_outbox' },
 * });
 * await runtime.bus.subscribe('reminder.due.v1', handle, { idempotency: true });
 * const opsUrl = await runtime.startOps(0);
 * await runtime.close();
 * ```
 */
export async function startServiceRuntime(
  options: ServiceRuntimeOptions & { readonly outbox: RuntimeOutboxOptions },
): Promise<ServiceRuntime<ServiceOutbox>>;
export async function startServiceRuntime(
  options: ServiceRuntimeOptions & { readonly outbox?: undefined },
): Promise<ServiceRuntime<undefined>>;
export async function startServiceRuntime(options: ServiceRuntimeOptions): Promise<ServiceRuntime> {
  const { service, db } = options;
  const topics = options.topics ?? platformTopics();
  const logger = options.logger ?? jsonLogger(service, 'silent');
  const metrics = serviceMetrics(service);
  const store =
    options.eventLog === true
      ? postgresIdempotencyStore({ pool: db.pool, consumer: service, table: 'event_log' })
      : undefined;
  await store?.ensureSchema();
  const bus = createBus<PlatformEvents>({
    transport: options.transport,
    source: service,
    routes: platformRoutes(topics),
    ...(store === undefined ? {} : { idempotency: store }),
    version: PLATFORM_VERSION,
    logger,
    telemetry: { meterProvider: metrics.meterProvider },
  });
  const unlog = logBusEvents(bus, logger);
  const outbox =
    options.outbox === undefined
      ? undefined
      : await startOutbox({
          db,
          transport: bus.transport,
          table: options.outbox.table,
          ...(options.outbox.pollIntervalMs === undefined
            ? {}
            : { pollIntervalMs: options.outbox.pollIntervalMs }),
          onError: (error) => logger.warn({ error: error.message }, 'outbox relay failure; will retry'),
        });
  const stopOutboxFirst = options.outbox?.stopBeforeBus === true;
  const health = (): Promise<HealthReport> =>
    healthReport(
      {
        database: async () => {
          await db.ping();
          return undefined;
        },
      },
      bus,
    );
  let ops: { url: string; close(): Promise<void> } | undefined;
  let closing: Promise<void> | undefined;
  return {
    topics,
    logger,
    metrics,
    bus,
    outbox,
    health,
    async startOps(port) {
      if (port === undefined) return undefined;
      ops = await startOpsServer({ service, metrics, port, health });
      return ops.url;
    },
    close() {
      closing ??= (async () => {
        await ops?.close();
        if (stopOutboxFirst) await outbox?.stop();
        await bus.close({ graceMs: 2000 });
        if (!stopOutboxFirst) await outbox?.stop();
        unlog();
        await store?.close();
        await metrics.shutdown();
      })();
      return closing;
    },
  };
}
