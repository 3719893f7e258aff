/**
 * Seed 000's communication protocol matrix as policies, one per edge. Protocol, encryption and compression
 * columns are the transport's business; what the services apply is the retry policy, the timeout and the
 * circuit breaker of each edge, and the dead-letter queue of the search index path.
 *
 * "3x Exponential" means three retries after the first attempt (four attempts), and so on.
 *
 * @module
 */
import {
  type CircuitBreakerPolicy,
  circuitBreaker,
  compose,
  type PolicyContext,
  type RetryPolicy,
  retry,
  type TimeoutPolicy,
  timeout,
} from '../../src/index.js';

/** The edges of the matrix, plus the search service's index sync of the failure mode. */
export type EdgeName =
  | 'auth->db'
  | 'gateway->user'
  | 'payment->fraud'
  | 'inventory-lock'
  | 'notification'
  | 'search->queue';

/** The matrix as the seed writes it, for printing and for the tests. */
export const PROTOCOL_MATRIX: Readonly<
  Record<EdgeName, { readonly retry: string; readonly retries: number; readonly timeoutMs: number | 'N/A' }>
> = {
  'auth->db': { retry: '3x Exponential', retries: 3, timeoutMs: 250 },
  'gateway->user': { retry: '2x Linear', retries: 2, timeoutMs: 1_000 },
  'payment->fraud': { retry: 'Circuit Breaker', retries: 0, timeoutMs: 300 },
  'inventory-lock': { retry: '5x Jittered', retries: 5, timeoutMs: 2_000 },
  notification: { retry: 'None', retries: 0, timeoutMs: 5_000 },
  // The search index row says "Dead Letter Queue" and "N/A": updates are asynchronous. Its failure mode times
  // the index sync out after 5 s behind a breaker.
  'search->queue': { retry: 'Dead Letter Queue', retries: 0, timeoutMs: 5_000 },
};

/** Options of {@link protocolMatrix}. */
export interface ProtocolMatrixOptions {
  /** The failure mode's 5 s, shortened for tests and demos. Default 5000. */
  readonly searchIndexTimeoutMs?: number;
  /** Consecutive failures that open the payment -> fraud breaker. Default 5. */
  readonly fraudBreakerFailures?: number;
  /** Consecutive failures that open the search -> queue breaker. Default 1: one 5 s stall is enough. */
  readonly searchBreakerFailures?: number;
  /** How long an open breaker waits before a test call, ms. Default 30 000. */
  readonly halfOpenAfterMs?: number;
  /** First retry delays, ms. Defaults: auth->db 25 (then 50, 100), gateway->user 50 (100), inventory 20. */
  readonly retryDelayMs?: Partial<Record<'auth->db' | 'gateway->user' | 'inventory-lock', number>>;
  /** Randomness of the jittered retry (inject one for reproducible tests). */
  readonly random?: () => number;
}

/** One edge's policies. */
export interface Edge {
  readonly name: EdgeName;
  readonly retry: RetryPolicy | undefined;
  readonly breaker: CircuitBreakerPolicy | undefined;
  readonly timeout: TimeoutPolicy;
  /** Runs `fn` under the edge's policies: retry (outermost), breaker, timeout (per attempt). */
  execute<T>(fn: (context: PolicyContext) => Promise<T>): Promise<T>;
}

function edge(
  name: EdgeName,
  layers: { retry?: RetryPolicy; breaker?: CircuitBreakerPolicy; timeoutMs: number },
): Edge {
  const timeoutPolicy = timeout({ duration: layers.timeoutMs, name: `${name}:timeout` });
  const chain = [layers.retry, layers.breaker, timeoutPolicy].filter((p) => p !== undefined);
  const policy = compose(...chain);
  return {
    name,
    retry: layers.retry,
    breaker: layers.breaker,
    timeout: timeoutPolicy,
    execute: (fn) => policy.execute(fn),
  };
}

/**
 * Builds the policies of every edge. Each service keeps its own instance (a breaker's state is the caller's).
 *
 * @example
 * ```ts
 * const matrix = protocolMatrix({ searchIndexTimeoutMs: 5_000 });
 * const profile = await matrix['gateway->user'].execute(({ signal }) => bus.request('user.profile.get.v1', { userId }, { signal }));
 * ```
 */
export function protocolMatrix(options: ProtocolMatrixOptions = {}): Readonly<Record<EdgeName, Edge>> {
  const delay = options.retryDelayMs ?? {};
  const halfOpenAfter = options.halfOpenAfterMs ?? 30_000;
  return {
    'auth->db': edge('auth->db', {
      retry: retry({
        name: 'auth->db:retry',
        maxAttempts: 4,
        backoff: 'exponential',
        jitter: 'none',
        initialDelay: delay['auth->db'] ?? 25,
      }),
      timeoutMs: 250,
    }),
    'gateway->user': edge('gateway->user', {
      retry: retry({
        name: 'gateway->user:retry',
        maxAttempts: 3,
        backoff: 'linear',
        jitter: 'none',
        initialDelay: delay['gateway->user'] ?? 50,
      }),
      timeoutMs: 1_000,
    }),
    'payment->fraud': edge('payment->fraud', {
      breaker: circuitBreaker({
        name: 'payment->fraud',
        consecutiveFailures: options.fraudBreakerFailures ?? 5,
        halfOpenAfter,
      }),
      timeoutMs: 300,
    }),
    'inventory-lock': edge('inventory-lock', {
      retry: retry({
        name: 'inventory-lock:retry',
        maxAttempts: 6,
        backoff: 'exponential',
        jitter: 'full',
        initialDelay: delay['inventory-lock'] ?? 20,
        maxDelay: 500,
        ...(options.random === undefined ? {} : { random: options.random }),
      }),
      timeoutMs: 2_000,
    }),
    notification: edge('notification', { timeoutMs: 5_000 }),
    'search->queue': edge('search->queue', {
      breaker: circuitBreaker({
        name: 'search->queue',
        consecutiveFailures: options.searchBreakerFailures ?? 1,
        halfOpenAfter,
      }),
      timeoutMs: options.searchIndexTimeoutMs ?? 5_000,
    }),
  };
}
