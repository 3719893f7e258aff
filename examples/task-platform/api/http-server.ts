/**
 * The Backend API on node:http: reads the request, runs the router, writes JSON, serves `/metrics`, and counts
 * requests for Prometheus.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceMetrics } from '../shared/metrics.js';
import type { ApiRequest, ApiResponse } from './router.js';

const MAX_BODY = 1024 * 1024;

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function headersOf(request: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * Starts an HTTP server for `route` on `host:port` (port 0 picks a free one) and resolves once it listens.
 *
 * @example
 * ```ts
 * const { server, url } = await listen(route, { service: 'backend-api', metrics, port: 8080 });
 * ```
 */
export async function listen(
  route: (request: ApiRequest) => Promise<ApiResponse>,
  options: { service: string; metrics: ServiceMetrics; host?: string; port?: number },
): Promise<{ server: Server; url: string }> {
  const { metrics, service } = options;
  const server = createServer((request, response) => {
    const started = performance.now();
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/metrics' && request.method === 'GET') {
      metrics.handle(request, response);
      return;
    }
    const done = (result: ApiResponse): void => {
      const payload = result.body === undefined ? '' : JSON.stringify(result.body);
      response.writeHead(result.status, {
        ...(payload === '' ? {} : { 'Content-Type': 'application/json' }),
        ...result.headers,
      });
      response.end(payload);
      metrics.httpRequests.add(1, {
        service,
        method: request.method ?? 'GET',
        status: String(result.status),
      });
      metrics.httpDuration.record((performance.now() - started) / 1000, {
        service,
        method: request.method ?? 'GET',
      });
    };
    readBody(request).then(
      (body) => {
        if (body === undefined) {
          done({
            status: 400,
            headers: {},
            body: { error: { code: 'BAD_REQUEST', message: 'Body larger than 1 MiB', details: {} } },
          });
          return;
        }
        route({
          method: request.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: headersOf(request),
          body,
          ip: request.socket.remoteAddress ?? 'unknown',
          internal: false,
        }).then(done, () => done({ status: 500, headers: {}, body: { error: { code: 'INTERNAL_ERROR' } } }));
      },
      () => response.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${host}:${address.port}` };
}

/**
 * Closes a server: stops accepting, ends idle keep-alive connections, waits for the rest.
 *
 * @example
 * ```ts
 * await closeServer(server);
 * ```
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
