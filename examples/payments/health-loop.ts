/**
 * Observability's health loop (seed 000: `loop Every 100ms: HealthCheck`): asks every service for its stats over
 * the bus, in parallel, keeps the latest answers, raises an alert when a service stops answering or turns
 * unhealthy, and records every `ops.alert.v1` it sees.
 *
 * @module
 */
import type { Bus, Envelope } from '../../src/index.js';
import {
  healthType,
  type OpsAlert,
  PAYMENT_SERVICES,
  type PaymentMessages,
  type PaymentServiceName,
  type ServiceStats,
} from './contracts.js';
import { type PaymentsDeployment, serviceBus } from './runtime.js';

/** What the loop knows of one service. */
export type ServiceView =
  | ServiceStats
  | { readonly service: string; readonly status: 'unreachable'; readonly error: string };

/** The loop's latest view. */
export interface HealthSnapshot {
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly checkedAt: string | undefined;
  readonly rounds: number;
  readonly services: Readonly<Record<string, ServiceView>>;
}

/** Options of {@link startHealthLoop}. */
export interface HealthLoopOptions {
  readonly deployment: PaymentsDeployment;
  /** Interval between rounds, ms. Default 100 (the seed's). */
  readonly intervalMs?: number;
  /** How long a service may take to answer, ms. Default: the interval, at least 50. */
  readonly timeoutMs?: number;
  /** The services to check. Default: all of seed 000's. */
  readonly services?: readonly PaymentServiceName[];
}

/** A running health loop. */
export interface HealthLoop {
  readonly bus: Bus<PaymentMessages>;
  /** Every alert seen on the alerts topic, oldest first. */
  readonly alerts: readonly OpsAlert[];
  snapshot(): HealthSnapshot;
  /** Resolves after the next complete round. */
  nextRound(): Promise<HealthSnapshot>;
  close(): Promise<void>;
}

/**
 * Starts the loop.
 *
 * @example
 * ```ts
 * const health = await startHealthLoop({ deployment, intervalMs: 100 });
 * health.snapshot().services.auth; // { status: 'healthy', cpuPercent: 12, ... }
 * ```
 */
export async function startHealthLoop(options: HealthLoopOptions): Promise<HealthLoop> {
  const bus = serviceBus(options.deployment, 'observability');
  const intervalMs = options.intervalMs ?? 100;
  const timeoutMs = options.timeoutMs ?? Math.max(50, intervalMs);
  const services = options.services ?? PAYMENT_SERVICES;
  const alerts: OpsAlert[] = [];
  const views: Record<string, ServiceView> = {};
  let rounds = 0;
  let checkedAt: string | undefined;
  let waiters: ((s: HealthSnapshot) => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  await bus.subscribe('ops.alert.v1', (event: Envelope<OpsAlert>) => {
    alerts.push(event.data);
  });

  const snapshot = (): HealthSnapshot => {
    const statuses = Object.values(views).map((v) => v.status);
    const status =
      rounds === 0 || statuses.some((s) => s === 'unhealthy' || s === 'unreachable')
        ? 'unhealthy'
        : statuses.includes('degraded')
          ? 'degraded'
          : 'healthy';
    return { status, checkedAt, rounds, services: { ...views } };
  };

  const round = async (): Promise<void> => {
    const answers = await Promise.allSettled(
      services.map((service) =>
        bus.request<ReturnType<typeof healthType>, ServiceStats>(healthType(service), {}, { timeoutMs }),
      ),
    );
    const raised: Promise<unknown>[] = [];
    answers.forEach((answer, i) => {
      const service = services[i]!;
      const before = views[service]?.status;
      const view: ServiceView =
        answer.status === 'fulfilled'
          ? answer.value
          : {
              service,
              status: 'unreachable',
              error: answer.reason instanceof Error ? answer.reason.message : 'failed',
            };
      views[service] = view;
      const bad = view.status === 'unhealthy' || view.status === 'unreachable';
      if (bad && before !== view.status && !closed) {
        raised.push(
          bus.publish(
            'ops.alert.v1',
            {
              name: `health.${service}`,
              severity: 'critical',
              service: 'observability',
              detail: { status: view.status },
            },
            { key: `health.${service}` },
          ),
        );
      }
    });
    await Promise.allSettled(raised);
    rounds++;
    checkedAt = new Date().toISOString();
    const current = snapshot();
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake(current);
  };

  // Rounds never overlap: the next one is scheduled when the previous one has finished.
  const loop = (): void => {
    if (closed) return;
    timer = setTimeout(() => {
      void round().finally(loop);
    }, intervalMs);
  };
  loop();

  return {
    bus,
    alerts,
    snapshot,
    nextRound: () => new Promise((resolve) => waiters.push(resolve)),
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await bus.close();
    },
  };
}
