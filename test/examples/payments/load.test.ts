import { describe, expect, it } from 'vitest';
import { percentile, runLoadScenario, SERVICE_SLAS } from '../../../examples/payments/load.js';
import { startFast } from './helpers.js';

describe('SLA load scenario (seed 001)', () => {
  it('drives every service of the table and reports p99 and throughput against its SLA', async () => {
    const platform = await startFast();
    try {
      const report = await runLoadScenario(platform, { durationMs: 10_000, maxRequests: 30, concurrency: 3 });
      expect(report.results.map((r) => r.sla.service)).toEqual([
        'auth',
        'user',
        'payment',
        'inventory',
        'search',
      ]);
      for (const r of report.results) {
        expect(r.requests).toBe(30);
        expect(r.errors).toBe(0);
        expect(r.successPercent).toBe(100);
        expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
        expect(r.p50Ms).toBeGreaterThan(0);
        expect(r.throughput).toBeGreaterThan(0);
        expect(r.latencyMet).toBe(r.p99Ms <= r.sla.p99Ms);
        expect(r.throughputMet).toBe(r.throughput >= r.sla.throughput);
      }
      expect(report.markdown).toContain('| payment | 120 ms |');
      // The payments went through the whole flow.
      expect(platform.services.notification.total).toBeGreaterThanOrEqual(30);
    } finally {
      await platform.close();
    }
  });

  it('keeps the numbers of seed 001', () => {
    expect(SERVICE_SLAS.map((s) => [s.service, s.p99Ms, s.throughput])).toEqual([
      ['auth', 45, 12_000],
      ['user', 65, 8_000],
      ['payment', 120, 8_500],
      ['inventory', 85, 5_000],
      ['search', 95, 15_000],
    ]);
  });

  it('takes the nearest-rank percentile', () => {
    expect(percentile([], 99)).toBe(0);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
    ).toBe(99);
  });
});
