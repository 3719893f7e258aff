/**
 * The small HTTP server of a service without a public API: `/health` (the seed's shape) and `/metrics`.
 *
 * @module
 */
import type { Server } from 'node:http';
import { closeServer, listen } from '../api/http-server.js';
import type { HealthReport } from './health.js';
import type { ServiceMetrics } from './metrics.js';

/**
 * Starts the server on `host:port` (0: a free port).
 *
 * @example
 * ```ts
 * const ops = await startOpsServer({ service: 'notification-service', metrics, health: () => report() });
 * console.log(`${ops.url}/health`);
 * ```
 */
export async function startOpsServer(options: {
  service: string;
  metrics: ServiceMetrics;
  health: () => Promise<HealthReport>;
  host?: string;
  port?: number;
}): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const { server, url } = await listen(
    async (request) => {
      if (request.path === '/health') {
        const report = await options.health();
        return { status: report.status === 'healthy' ? 200 : 503, headers: {}, body: report };
      }
      return {
        status: 404,
        headers: {},
        body: { error: { code: 'NOT_FOUND', message: 'No such resource' } },
      };
    },
    {
      service: options.service,
      metrics: options.metrics,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
    },
  );
  return { server, url, close: () => closeServer(server) };
}
