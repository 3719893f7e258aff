import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bus, createBus } from '../../src/bus/index.js';
import {
  breakerHealth,
  type HealthReport,
  healthHandler,
  isBreakerLike,
} from '../../src/observability/health.js';
import { circuitBreaker, createResilienceEvents, retry } from '../../src/resilience/index.js';
import { memoryTransport } from '../../src/transport/memory/index.js';

const buses: Bus[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ graceMs: 0 })));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: ReturnType<typeof healthHandler>): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('breaker health', () => {
  it('recognises breakers and reports their state', () => {
    const events = createResilienceEvents();
    const breaker = circuitBreaker({ events });
    expect(isBreakerLike(breaker)).toBe(true);
    expect(isBreakerLike(retry({ events }))).toBe(false);
    expect(isBreakerLike(null)).toBe(false);
    expect(breakerHealth(breaker)).toEqual({ status: 'healthy', state: 'closed' });
    const handle = breaker.isolate();
    expect(breakerHealth(breaker)).toEqual({ status: 'degraded', state: 'isolated' });
    handle.dispose();
    expect(breakerHealth({ state: 9 as never })).toEqual({ status: 'degraded', state: 'unknown' });
  });

  it('bus.health() reports registered and subscribed breakers, degraded while one is open', async () => {
    const events = createResilienceEvents();
    const smtp = circuitBreaker({ events });
    const subscribed = circuitBreaker({ events, name: 'crm' });
    const bus = createBus({
      transport: memoryTransport(),
      source: 'svc',
      breakers: { smtp },
      version: '5.0.0',
    });
    buses.push(bus);
    await bus.subscribe('a.v1', () => undefined, { breaker: subscribed });
    const healthy = await bus.health();
    expect(healthy).toMatchObject({
      status: 'healthy',
      version: '5.0.0',
      dependencies: {
        memory: { status: 'healthy', connected: true },
        'breaker:smtp': { status: 'healthy', state: 'closed' },
        'breaker:crm': { status: 'healthy', state: 'closed' },
      },
    });
    smtp.isolate();
    const degraded = await bus.health();
    expect(degraded.status).toBe('degraded');
    expect(degraded.dependencies['breaker:smtp']).toEqual({ status: 'degraded', state: 'isolated' });
  });
});

describe('healthHandler', () => {
  it('answers 200 with the report when healthy, 503 when unhealthy', async () => {
    const bus = createBus({ transport: memoryTransport(), source: 'svc', version: '1.2.3' });
    buses.push(bus);
    const url = await serve(healthHandler(bus));
    const ok = await fetch(`${url}/health`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const report = (await ok.json()) as HealthReport;
    expect(report).toMatchObject({
      status: 'healthy',
      version: '1.2.3',
      dependencies: { memory: { status: 'healthy' } },
    });
    expect(Date.parse(report.timestamp)).not.toBeNaN();
    await bus.close();
    const down = await fetch(`${url}/health`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as HealthReport).status).toBe('unhealthy');
  });

  it('maps degraded to 200 by default or to the status given, and answers HEAD without a body', async () => {
    const report = (status: HealthReport['status']) => ({
      health: async (): Promise<HealthReport> => ({
        status,
        timestamp: 'now',
        version: '1',
        dependencies: {},
      }),
    });
    expect((await fetch(await serve(healthHandler(report('degraded'))))).status).toBe(200);
    const strict = await serve(healthHandler(report('degraded'), { degradedStatus: 503 }));
    expect((await fetch(strict)).status).toBe(503);
    const head = await fetch(await serve(healthHandler(report('healthy'))), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers 503 when the check itself fails, 405 for other methods, 404 off its path', async () => {
    const url = await serve(
      healthHandler({ health: () => Promise.reject(new Error('boom')) }, { path: '/health' }),
    );
    const failed = await fetch(`${url}/health?probe=liveness`);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ status: 'unhealthy', dependencies: {} });
    const post = await fetch(`${url}/health`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${url}/other`)).status).toBe(404);
  });
});
