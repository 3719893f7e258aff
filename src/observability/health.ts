/**
 * Health reporting: circuit breakers as health dependencies, and a `node:http` handler that answers `/health`
 * in seed 002's shape (200 when healthy, 503 when not).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CircuitState } from 'cockatiel';

/**
 * Anything with a circuit breaker's state: cockatiel's `CircuitBreakerPolicy` and Switchboard's `circuitBreaker()`
 * both fit. `state` is cockatiel's `CircuitState` (0 closed, 1 open, 2 half-open, 3 isolated).
 */
export interface BreakerLike {
  readonly state: CircuitState;
}

/** One dependency in a health report. */
export interface DependencyHealth {
  readonly status: string;
  readonly [detail: string]: unknown;
}

/** The health report of a bus, in the shape of seed 002's `/health`. */
export interface HealthReport {
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly timestamp: string;
  readonly version: string;
  readonly dependencies: Readonly<Record<string, DependencyHealth>>;
}

const STATE_NAMES = ['closed', 'open', 'half-open', 'isolated'] as const;

/**
 * Whether a policy exposes a circuit breaker's state (so the bus can report it without being told).
 *
 * @example
 * ```ts
 * isBreakerLike(circuitBreaker()); // true
 * isBreakerLike(retry());          // false
 * ```
 */
export function isBreakerLike(policy: unknown): policy is BreakerLike {
  if (typeof policy !== 'object' || policy === null) return false;
  const candidate = policy as { state?: unknown; isolate?: unknown };
  return typeof candidate.isolate === 'function' && typeof candidate.state === 'number';
}

/**
 * A breaker as a health dependency: `healthy` when closed, `degraded` when open, half-open or isolated (the
 * service is up but a downstream is failing), with the state by name.
 *
 * @example
 * ```ts
 * breakerHealth(breaker); // { status: 'degraded', state: 'open' }
 * ```
 */
export function breakerHealth(breaker: BreakerLike): DependencyHealth {
  const state = STATE_NAMES[breaker.state] ?? 'unknown';
  return { status: state === 'closed' ? 'healthy' : 'degraded', state };
}

/** Options of {@link healthHandler}. */
export interface HealthHandlerOptions {
  /** HTTP status for a `degraded` report. Default 200 (the service still works; do not restart it). */
  readonly degradedStatus?: number;
  /** Answers only this path (`/health`); others get 404. Default: every path. */
  readonly path?: string;
}

/**
 * A `node:http` request listener that answers with `source.health()` as JSON: 200 when healthy (and, by
 * default, degraded), 503 when unhealthy or when the check itself failed. Only GET and HEAD are answered.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * createServer(healthHandler(bus, { path: '/health' })).listen(8080);
 * ```
 */
export function healthHandler(
  source: { health(): Promise<HealthReport> },
  options: HealthHandlerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const degradedStatus = options.degradedStatus ?? 200;
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (options.path !== undefined && path !== options.path) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"not found"}');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
      response.end('{"status":"method not allowed"}');
      return;
    }
    source.health().then(
      (report) => {
        const code = report.status === 'healthy' ? 200 : report.status === 'degraded' ? degradedStatus : 503;
        send(response, request.method === 'HEAD', code, JSON.stringify(report));
      },
      () => {
        const body = JSON.stringify({
          status: 'unhealthy',
          timestamp: new Date().toISOString(),
          dependencies: {},
        });
        send(response, request.method === 'HEAD', 503, body);
      },
    );
  };
}

function send(response: ServerResponse, head: boolean, code: number, body: string): void {
  response.writeHead(code, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  response.end(head ? undefined : body);
}
