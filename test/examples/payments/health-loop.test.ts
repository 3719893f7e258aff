import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PAYMENT_SERVICES } from '../../../examples/payments/contracts.js';
import { http } from '../../../examples/payments/demo-client.js';
import type { PaymentsPlatform } from '../../../examples/payments/platform.js';
import { startFast, until } from './helpers.js';

describe('health loop', () => {
  let platform: PaymentsPlatform;

  beforeEach(async () => {
    platform = await startFast({ healthIntervalMs: 20 });
  });

  afterEach(async () => {
    await platform.close();
  });

  it('collects every service stats over the bus, round after round', async () => {
    await platform.health.nextRound();
    const snapshot = await platform.health.nextRound();
    expect(snapshot.rounds).toBeGreaterThanOrEqual(2);
    expect(snapshot.status).toBe('healthy');
    expect(Object.keys(snapshot.services).sort()).toEqual([...PAYMENT_SERVICES].sort());
    expect(snapshot.services.auth).toMatchObject({ status: 'healthy', replicationLagMs: 0.4 });
    for (const view of Object.values(snapshot.services)) {
      expect(view).toMatchObject({ status: 'healthy', dependencies: { memory: 'healthy' } });
      expect(typeof (view as { cpuPercent: number }).cpuPercent).toBe('number');
      expect((view as { heapUsedMb: number }).heapUsedMb).toBeGreaterThan(0);
    }
    const answer = await http(platform.gateway.url, 'GET', '/health');
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('healthy');
  });

  it('reports a service that stops answering, raises an alert, and the gateway answers 503', async () => {
    await platform.health.nextRound();
    await platform.services.notification.close();
    await until(
      () => platform.health.snapshot().services.notification?.status === 'unreachable',
      5_000,
      'unreachable',
    );
    await until(
      () => platform.health.alerts.some((a) => a.name === 'health.notification'),
      2_000,
      'the alert',
    );
    const answer = await http(platform.gateway.url, 'GET', '/health');
    expect(answer.status).toBe(503);
    expect(answer.body.status).toBe('unhealthy');
  });
});
