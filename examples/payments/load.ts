/**
 * Seed 001's SLA table as a load scenario: each service of the payment flow is driven over the bus by closed-loop
 * workers for a while, and its p99 latency and throughput are reported against the SLA. (Analytics is in the
 * table but not in the payment flow, so it is left out.)
 *
 * @module
 */
import { type Bus, createBus } from '../../src/index.js';
import type { PaymentMessages } from './contracts.js';
import type { PaymentsPlatform } from './platform.js';

/** One row of seed 001's table. */
export interface ServiceSla {
  readonly service: 'auth' | 'user' | 'payment' | 'inventory' | 'search';
  readonly availability: string;
  /** Requests (or transactions, or queries) per second. */
  readonly throughput: number;
  readonly unit: 'RPS' | 'TPS' | 'QPS';
  readonly p99Ms: number;
  readonly consistency: string;
}

/** Seed 001's service-level SLAs. */
export const SERVICE_SLAS: readonly ServiceSla[] = [
  {
    service: 'auth',
    availability: '99.995%',
    throughput: 12_000,
    unit: 'RPS',
    p99Ms: 45,
    consistency: 'Strong',
  },
  {
    service: 'user',
    availability: '99.99%',
    throughput: 8_000,
    unit: 'RPS',
    p99Ms: 65,
    consistency: 'Eventual',
  },
  {
    service: 'payment',
    availability: '99.999%',
    throughput: 8_500,
    unit: 'TPS',
    p99Ms: 120,
    consistency: 'Strong',
  },
  {
    service: 'inventory',
    availability: '99.95%',
    throughput: 5_000,
    unit: 'RPS',
    p99Ms: 85,
    consistency: 'Linearizable',
  },
  {
    service: 'search',
    availability: '99.9%',
    throughput: 15_000,
    unit: 'QPS',
    p99Ms: 95,
    consistency: 'Eventual',
  },
];

/** What one service did under load. */
export interface ServiceLoadResult {
  readonly sla: ServiceSla;
  readonly requests: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly throughput: number;
  /** Share of requests answered without error, in percent. */
  readonly successPercent: number;
  readonly latencyMet: boolean;
  readonly throughputMet: boolean;
}

/** The whole report. */
export interface LoadReport {
  readonly results: readonly ServiceLoadResult[];
  readonly markdown: string;
}

/** Options of {@link runLoadScenario}. */
export interface LoadOptions {
  /** How long each service is driven, ms. Default 2000. */
  readonly durationMs?: number;
  /** Requests in flight at once. Default 32. */
  readonly concurrency?: number;
  /** Stop a service's run after this many requests. Default unlimited. */
  readonly maxRequests?: number;
  /** Only these services. Default: all of {@link SERVICE_SLAS}. */
  readonly services?: readonly ServiceSla['service'][];
}

/**
 * The `p`-th percentile (0-100) of sorted values, nearest rank.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 50); // 2
 * ```
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

type Call = (bus: Bus<PaymentMessages>, n: number, signal: AbortSignal) => Promise<unknown>;

function callFor(service: ServiceSla['service'], run: string): Call {
  switch (service) {
    case 'auth':
      return (bus) => bus.request('auth.token.issue.v1', { userId: 'ada' });
    case 'user':
      return (bus, n) => bus.request('user.profile.get.v1', { userId: n % 2 === 0 ? 'ada' : 'bob' });
    case 'payment':
      return (bus, n) =>
        bus.request(
          'payment.process.v1',
          {
            paymentId: `load-${run}-p${n}`,
            userId: 'ada',
            merchantId: 'merchant-1',
            amountMinor: 1,
            currency: 'USD',
            items: [{ sku: 'sku-lamp', quantity: 1 }],
          },
          { timeoutMs: 10_000 },
        );
    case 'inventory':
      return (bus, n) =>
        bus.request('inventory.lock.v1', {
          paymentId: `load-${run}-i${n}`,
          items: [{ sku: 'sku-lamp', quantity: 1 }],
        });
    case 'search':
      return (bus, n) =>
        bus.request('search.query.v1', { query: 'lamp', traceId: `${run}${String(n).padStart(24, '0')}` });
  }
}

async function drive(
  bus: Bus<PaymentMessages>,
  call: Call,
  options: Required<Omit<LoadOptions, 'services'>>,
) {
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const controller = new AbortController();
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && issued < options.maxRequests) {
      const n = issued++;
      const t0 = performance.now();
      try {
        await call(bus, n, controller.signal);
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { latencies, errors, elapsedMs };
}

/**
 * Runs the scenario against a running platform.
 *
 * @example
 * ```ts
 * const report = await runLoadScenario(platform, { durationMs: 2_000 });
 * console.log(report.markdown);
 * ```
 */
export async function runLoadScenario(
  platform: PaymentsPlatform,
  options: LoadOptions = {},
): Promise<LoadReport> {
  const settings = {
    durationMs: options.durationMs ?? 2_000,
    concurrency: options.concurrency ?? 32,
    maxRequests: options.maxRequests ?? Number.POSITIVE_INFINITY,
  };
  const bus = createBus<PaymentMessages>({
    transport: platform.deployment.transport(),
    source: 'load-generator',
    routes: platform.deployment.topics.routes,
  });
  const run = Date.now().toString(36);
  const results: ServiceLoadResult[] = [];
  try {
    for (const sla of SERVICE_SLAS) {
      if (options.services !== undefined && !options.services.includes(sla.service)) continue;
      // A short warm-up, so the first compilation of each path is not measured.
      await drive(bus, callFor(sla.service, `${run}w`), { ...settings, durationMs: 100, maxRequests: 50 });
      const { latencies, errors, elapsedMs } = await drive(bus, callFor(sla.service, run), settings);
      const requests = latencies.length + errors;
      const throughput = Math.round((latencies.length / elapsedMs) * 1000);
      const p99Ms = round(percentile(latencies, 99));
      results.push({
        sla,
        requests,
        errors,
        p50Ms: round(percentile(latencies, 50)),
        p99Ms,
        throughput,
        successPercent: requests === 0 ? 0 : round((latencies.length / requests) * 100),
        latencyMet: latencies.length > 0 && p99Ms <= sla.p99Ms,
        throughputMet: throughput >= sla.throughput,
      });
    }
  } finally {
    await bus.close();
  }
  return { results, markdown: markdown(results, settings.concurrency) };
}

const round = (n: number): number => Math.round(n * 100) / 100;

function markdown(results: readonly ServiceLoadResult[], concurrency: number): string {
  const lines = [
    `| service | SLA p99 | p50 | p99 | p99 met | SLA throughput | throughput | met | requests | errors |`,
    `|---|---|---|---|---|---|---|---|---|---|`,
  ];
  for (const r of results) {
    lines.push(
      `| ${r.sla.service} | ${r.sla.p99Ms} ms | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.latencyMet ? 'yes' : 'no'} | ${r.sla.throughput} ${r.sla.unit} | ${r.throughput} ${r.sla.unit} | ${r.throughputMet ? 'yes' : 'no'} | ${r.requests} | ${r.errors} |`,
    );
  }
  lines.push(
    '',
    `${concurrency} requests in flight per service, closed loop, one process (every hop is a bus request).`,
  );
  return lines.join('\n');
}
