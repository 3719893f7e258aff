/**
 * SearchService: answers `SearchQuery` from the index after an `AsyncIndexUpdate` sync with the queue service,
 * behind the `search->queue` breaker and timeout. The failure mode of seed 000: the sync times out (5 s), the
 * trace id goes to observability with a `search.timeout` alert, the breaker opens, and the caller gets
 * `SWB_CIRCUIT_OPEN` (the gateway's 503 `CircuitBroken`).
 *
 * @module
 */
import { type Bus, isSwitchboardError, SwitchboardError } from '../../src/index.js';
import type { PaymentMessages } from './contracts.js';
import { type ProtocolMatrixOptions, protocolMatrix } from './protocol-matrix.js';
import { type PaymentsDeployment, serviceBus, serviceStats } from './runtime.js';
import type { SearchIndex } from './search-index.js';

/** Options of {@link startSearchService}. */
export interface SearchServiceOptions {
  readonly deployment: PaymentsDeployment;
  readonly index: SearchIndex;
  readonly matrix?: ProtocolMatrixOptions;
}

/** A running SearchService. */
export interface SearchService {
  readonly bus: Bus<PaymentMessages>;
  /** State of the `search->queue` breaker. */
  readonly breakerState: string;
  close(): Promise<void>;
}

/**
 * Starts SearchService.
 *
 * @example
 * ```ts
 * const search = await startSearchService({ deployment, index, matrix: { searchIndexTimeoutMs: 5_000 } });
 * ```
 */
export async function startSearchService(options: SearchServiceOptions): Promise<SearchService> {
  const bus = serviceBus(options.deployment, 'search-service');
  const edge = protocolMatrix(options.matrix)['search->queue'];
  const breaker = edge.breaker!;
  const timeoutMs = edge.timeout.duration;
  await bus.respond('search.query.v1', async (request) => {
    const { traceId, query } = request.data;
    try {
      await edge.execute(({ signal }) =>
        bus.request('queue.index.sync.v1', { traceId }, { signal, timeoutMs: timeoutMs + 1_000 }),
      );
    } catch (error) {
      if (isSwitchboardError(error, 'SWB_TIMEOUT')) {
        await bus.publish(
          'ops.alert.v1',
          { name: 'search.timeout', severity: 'critical', service: 'search', traceId, detail: { timeoutMs } },
          { key: 'search.timeout' },
        );
      }
      throw new SwitchboardError('SWB_CIRCUIT_OPEN', 'search index circuit broken', {
        retryable: true,
        cause: error,
        details: { traceId, breaker: breaker.stateName },
      });
    }
    return { hits: options.index.search(query) };
  });
  await bus.respond('search.health.v1', () =>
    serviceStats('search', bus, { 'search-index': breaker.stateName === 'closed' ? 'healthy' : 'degraded' }),
  );
  return {
    bus,
    get breakerState() {
      return breaker.stateName;
    },
    close: () => bus.close(),
  };
}
