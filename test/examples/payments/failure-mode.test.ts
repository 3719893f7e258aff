import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { http, login } from '../../../examples/payments/demo-client.js';
import type { PaymentsPlatform } from '../../../examples/payments/platform.js';
import { DEAD_LETTER_HEADERS, type Delivery } from '../../../src/index.js';
import { payment, startFast, until } from './helpers.js';

const TRACE_ID = '3d7f0000000000000000000000000001';
const traceparent = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

describe('failure mode of seed 000: the search index times out and the breaker opens', () => {
  let platform: PaymentsPlatform;

  beforeEach(async () => {
    platform = await startFast({ matrix: { searchIndexTimeoutMs: 200, halfOpenAfterMs: 400 } });
  });

  afterEach(async () => {
    await platform.close();
  });

  it('answers 503 CircuitBroken with the trace id and raises a search.timeout alert', async () => {
    const url = platform.gateway.url;
    expect((await http(url, 'GET', '/search?q=lamp')).status).toBe(200);
    platform.services.queue.stall();
    const broken = await http(url, 'GET', '/search?q=lamp', { headers: { traceparent } });
    expect(broken.status).toBe(503);
    expect(broken.body).toMatchObject({ error: 'CircuitBroken', traceId: TRACE_ID });
    expect(broken.traceId).toBe(TRACE_ID);
    expect(platform.services.search.breakerState).toBe('open');
    await until(() => platform.health.alerts.some((a) => a.name === 'search.timeout'), 2_000, 'the alert');
    expect(platform.health.alerts.filter((a) => a.name === 'search.timeout')).toEqual([
      {
        name: 'search.timeout',
        severity: 'critical',
        service: 'search',
        traceId: TRACE_ID,
        detail: { timeoutMs: 200 },
      },
    ]);

    // While open, searches fail at once, without another timeout or alert.
    const fast = await http(url, 'GET', '/search?q=lamp');
    expect(fast.status).toBe(503);
    expect(fast.body.traceId).toBe(fast.traceId);
    expect(fast.traceId).not.toBe(TRACE_ID);
    expect(platform.health.alerts.filter((a) => a.name === 'search.timeout')).toHaveLength(1);

    // The indexer recovers; once the breaker lets a test call through, search works again.
    platform.services.queue.resume();
    await new Promise((resolve) => setTimeout(resolve, 450));
    const back = await http(url, 'GET', '/search?q=lamp');
    expect(back.status).toBe(200);
    expect(platform.services.search.breakerState).toBe('closed');
  });

  it('dead-letters index updates the stalled indexer cannot take, and replays them once it is back', async () => {
    const url = platform.gateway.url;
    const dlq = platform.deployment.topics.searchIndexDlq;
    const deadLetters: Delivery[] = [];
    const probe = await platform.services.queue.bus.transport.subscribe(
      dlq,
      async (delivery) => {
        deadLetters.push(delivery);
        await delivery.ack();
      },
      { group: 'test-probe' },
    );
    try {
      platform.services.queue.stall();
      const token = await login(url, 'ada');
      const paid = await http(url, 'POST', '/payments', { token, body: payment('p-1', 100) });
      expect(paid.body.status).toBe('confirmed'); // the index path is asynchronous: payments go on
      await until(() => deadLetters.length === 1, 5_000, 'the dead letter');
      const headers = deadLetters[0]!.message.headers;
      expect(headers[DEAD_LETTER_HEADERS.reason]).toBe('max-deliveries');
      expect(headers[DEAD_LETTER_HEADERS.errorCode]).toBe('SWB_TIMEOUT');
      expect(headers[DEAD_LETTER_HEADERS.attempts]).toBe('2');
      expect(platform.index.get('sku-lamp')?.stock).toBe(1_000_000);

      platform.services.queue.resume();
      const replayed = await platform.services.queue.bus.replayDeadLetters({ from: dlq, idleMs: 100 });
      expect(replayed).toBe(1);
      await until(() => platform.index.get('sku-lamp')?.stock === 999_999, 5_000, 'the replayed update');
    } finally {
      await probe.close();
    }
  });
});
