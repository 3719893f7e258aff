/**
 * QueueService: scores payment risk for the fraud service (`AnalyzePatterns`), and runs the search indexer:
 * index updates arrive on the search-index topic and go to its dead-letter topic when they keep failing
 * (seed 000's "Search Index: Dead Letter Queue"). `stall()` plays the failure mode: the indexer hangs, so index
 * syncs time out and updates are dead-lettered.
 *
 * @module
 */
import type { Bus } from '../../src/index.js';
import type { PaymentMessages } from './contracts.js';
import { type PaymentsDeployment, serviceBus, serviceStats } from './runtime.js';
import type { SearchIndex } from './search-index.js';

/** Options of {@link startQueueService}. */
export interface QueueServiceOptions {
  readonly deployment: PaymentsDeployment;
  readonly index: SearchIndex;
  /** How long the indexer may take for one update before it counts as failed, ms. Default 5000. */
  readonly indexTimeoutMs?: number;
  /** Deliveries of an index update before it is dead-lettered. Default 3. */
  readonly maxDeliveries?: number;
  /** Delay before an index update is delivered again, ms. Default 200. */
  readonly redeliveryDelayMs?: number;
}

/** A running QueueService. */
export interface QueueService {
  readonly bus: Bus<PaymentMessages>;
  /** Whether the indexer hangs. */
  readonly stalled: boolean;
  /** The indexer hangs from now on. */
  stall(): void;
  /** The indexer works again. */
  resume(): void;
  close(): Promise<void>;
}

/**
 * The risk score of a payment: seed 000's 0.02 for ordinary amounts, higher for large ones.
 *
 * @example
 * ```ts
 * riskScore(1_999); // 0.02
 * ```
 */
export function riskScore(amountMinor: number): number {
  if (amountMinor >= 500_000) return 0.92;
  if (amountMinor >= 50_000) return 0.35;
  return 0.02;
}

/**
 * Starts QueueService.
 *
 * @example
 * ```ts
 * const queue = await startQueueService({ deployment, index: new SearchIndex() });
 * ```
 */
export async function startQueueService(options: QueueServiceOptions): Promise<QueueService> {
  const bus = serviceBus(options.deployment, 'queue-service');
  let stalled = false;
  let wake: (() => void)[] = [];
  // Resolves when the indexer works again; rejects when the caller gives up.
  const indexerReady = (signal: AbortSignal): Promise<void> => {
    if (!stalled) return Promise.resolve();
    return new Promise((resolve, reject) => {
      wake.push(resolve);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  };
  await bus.respond('queue.analyze.v1', (request) => ({ riskScore: riskScore(request.data.amountMinor) }));
  await bus.respond('queue.index.sync.v1', async (_request, { signal }) => {
    await indexerReady(signal);
    return { pending: 0 };
  });
  await bus.subscribe(
    'search.index.update.v1',
    async (event, { signal }) => {
      await indexerReady(signal);
      options.index.put(event.data);
    },
    {
      timeoutMs: options.indexTimeoutMs ?? 5_000,
      maxDeliveries: options.maxDeliveries ?? 3,
      redeliveryDelay: options.redeliveryDelayMs ?? 200,
      concurrency: 4,
    },
  );
  await bus.respond('queue.health.v1', () =>
    serviceStats('queue', bus, { indexer: stalled ? 'degraded' : 'healthy' }),
  );
  return {
    bus,
    get stalled() {
      return stalled;
    },
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      const waiting = wake;
      wake = [];
      for (const w of waiting) w();
    },
    close: async () => {
      stalled = false;
      await bus.close({ graceMs: 1_000 });
    },
  };
}
