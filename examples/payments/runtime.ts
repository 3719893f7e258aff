/**
 * Where the services run: one in-memory broker (default) or NATS JetStream, picked by `TRANSPORT`; and the small
 * kit every service shares (a bus per service, health stats).
 *
 * @module
 */
import { type Bus, createBus, memoryBroker, memoryTransport, type Transport } from '../../src/index.js';
import { natsTransport } from '../../src/transport/nats/index.js';
import { type PaymentMessages, type PaymentTopics, paymentTopics, type ServiceStats } from './contracts.js';

/** A deployment: a transport per service bus, and the topic names. */
export interface PaymentsDeployment {
  readonly kind: 'memory' | 'nats';
  readonly transport: () => Transport;
  readonly topics: PaymentTopics;
}

/** Options of {@link paymentsDeployment}. */
export interface DeploymentOptions {
  readonly kind?: 'memory' | 'nats';
  /** NATS server. Default `nats://127.0.0.1:4222`. */
  readonly natsUrl?: string;
  readonly topicPrefix?: string;
  readonly streamPrefix?: string;
}

/**
 * Creates a deployment.
 *
 * @example
 * ```ts
 * const deployment = paymentsDeployment({ kind: 'nats', natsUrl: 'nats://127.0.0.1:4222' });
 * ```
 */
export function paymentsDeployment(options: DeploymentOptions = {}): PaymentsDeployment {
  const topics = paymentTopics(options.topicPrefix);
  if (options.kind === 'nats') {
    return {
      kind: 'nats',
      topics,
      transport: () =>
        natsTransport({
          servers: options.natsUrl ?? 'nats://127.0.0.1:4222',
          ...(options.streamPrefix === undefined ? {} : { streamPrefix: options.streamPrefix }),
          ackWaitMs: 5_000,
          idleHeartbeatMs: 1_000,
        }),
    };
  }
  const broker = memoryBroker();
  return { kind: 'memory', topics, transport: () => memoryTransport({ broker }) };
}

/**
 * `TRANSPORT` (`memory` or `nats`), `NATS_URL`, `TOPIC_PREFIX`, `STREAM_PREFIX`.
 *
 * @example
 * ```ts
 * const deployment = deploymentFromEnv(process.env);
 * ```
 */
export function deploymentFromEnv(env: NodeJS.ProcessEnv): PaymentsDeployment {
  const kind = env.TRANSPORT ?? 'memory';
  if (kind !== 'memory' && kind !== 'nats' && kind !== '') {
    throw new Error(`TRANSPORT must be memory or nats (got '${kind}')`);
  }
  return paymentsDeployment({
    kind: kind === 'nats' ? 'nats' : 'memory',
    ...(env.NATS_URL === undefined ? {} : { natsUrl: env.NATS_URL }),
    ...(env.TOPIC_PREFIX === undefined ? {} : { topicPrefix: env.TOPIC_PREFIX }),
    ...(env.STREAM_PREFIX === undefined ? {} : { streamPrefix: env.STREAM_PREFIX }),
  });
}

/**
 * The bus of one service.
 *
 * @example
 * ```ts
 * const bus = serviceBus(deployment, 'payment-service');
 * ```
 */
export function serviceBus(deployment: PaymentsDeployment, source: string): Bus<PaymentMessages> {
  return createBus<PaymentMessages>({
    transport: deployment.transport(),
    source,
    routes: deployment.topics.routes,
  });
}

let lastCpu = process.cpuUsage();
let lastAt = performance.now();

/**
 * A service's stats for the health loop: the bus's health, CPU of this process since the last call, heap, and
 * the service's own checks.
 *
 * @example
 * ```ts
 * await bus.respond('auth.health.v1', () => serviceStats('auth', bus, { 'auth-db': 'healthy' }));
 * ```
 */
export async function serviceStats(
  service: string,
  bus: Pick<Bus, 'health'>,
  checks: Readonly<Record<string, string>> = {},
  extra: { replicationLagMs?: number } = {},
): Promise<ServiceStats> {
  const health = await bus.health();
  const dependencies: Record<string, string> = {};
  for (const [name, d] of Object.entries(health.dependencies)) dependencies[name] = d.status;
  Object.assign(dependencies, checks);
  const values = Object.values(dependencies);
  const now = performance.now();
  const cpu = process.cpuUsage(lastCpu);
  const elapsedMs = Math.max(1, now - lastAt);
  lastCpu = process.cpuUsage();
  lastAt = now;
  return {
    service,
    status: values.includes('unhealthy') ? 'unhealthy' : values.includes('degraded') ? 'degraded' : 'healthy',
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 1000) / 10,
    heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1024 / 102.4) / 10,
    dependencies,
    ...extra,
  };
}

/** Something that stops. */
export interface Closeable {
  close(): Promise<void>;
}
