import { afterAll, beforeAll, expect, it } from 'vitest';
import { http, login } from '../../../examples/payments/demo-client.js';
import { type PaymentsPlatform, startPaymentsPlatform } from '../../../examples/payments/platform.js';
import { paymentsDeployment } from '../../../examples/payments/runtime.js';
import { DEAD_LETTER_HEADERS, type Delivery } from '../../../src/index.js';
import {
  deleteStreams,
  describeNats,
  natsUrl,
  uniqueName,
  uniqueStreamPrefix,
  until,
} from '../../support/nats-helpers.js';

const TRACE_ID = '3d7f00000000000000000000000000aa';

describeNats('payments example on NATS JetStream', () => {
  const streamPrefix = uniqueStreamPrefix();
  let platform: PaymentsPlatform;

  beforeAll(async () => {
    platform = await startPaymentsPlatform({
      deployment: paymentsDeployment({
        kind: 'nats',
        natsUrl,
        streamPrefix,
        topicPrefix: `${uniqueName('pay')}-`,
      }),
      matrix: { searchIndexTimeoutMs: 300, halfOpenAfterMs: 60_000 },
      healthIntervalMs: 50,
      indexMaxDeliveries: 2,
      indexRedeliveryDelayMs: 20,
    });
  });

  afterAll(async () => {
    await platform?.close();
    await deleteStreams(streamPrefix);
  });

  it('runs the payment flow: EdDSA token, profile, parallel checks, transfer, notification', async () => {
    const url = platform.gateway.url;
    const token = await login(url, 'ada');
    const paid = await http(url, 'POST', '/payments', {
      token,
      body: {
        paymentId: 'n-1',
        merchantId: 'merchant-1',
        amountMinor: 1_999,
        currency: 'USD',
        items: [{ sku: 'sku-lamp', quantity: 1 }],
      },
    });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'confirmed', riskScore: 0.02, notified: true });
    expect(platform.db.payments.balance('merchant-1')).toBe(1_999n);
    await until(() => platform.index.get('sku-lamp')?.stock === 999_999, 10_000, 'the index update');
    const health = await platform.health.nextRound();
    expect(health.status).toBe('healthy');
    expect(health.services.payment).toMatchObject({ dependencies: { nats: 'healthy' } });
  });

  it('answers 503 CircuitBroken with the trace id, raises the alert and dead-letters index updates', async () => {
    const url = platform.gateway.url;
    const dlq = platform.deployment.topics.searchIndexDlq;
    const deadLetters: Delivery[] = [];
    const probe = await platform.services.queue.bus.transport.subscribe(
      dlq,
      async (delivery) => {
        deadLetters.push(delivery);
        await delivery.ack();
      },
      { group: 'test-probe', startFrom: 'earliest' },
    );
    try {
      platform.services.queue.stall();
      const broken = await http(url, 'GET', '/search?q=lamp', {
        headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` },
      });
      expect(broken.status).toBe(503);
      expect(broken.body).toMatchObject({ error: 'CircuitBroken', traceId: TRACE_ID });
      await until(() => platform.health.alerts.some((a) => a.traceId === TRACE_ID), 10_000, 'the alert');
      expect(platform.health.alerts.find((a) => a.traceId === TRACE_ID)?.name).toBe('search.timeout');

      const token = await login(url, 'ada');
      await http(url, 'POST', '/payments', {
        token,
        body: {
          paymentId: 'n-2',
          merchantId: 'merchant-1',
          amountMinor: 100,
          currency: 'USD',
          items: [{ sku: 'sku-lamp', quantity: 1 }],
        },
      });
      await until(() => deadLetters.length >= 1, 15_000, 'the dead letter');
      expect(deadLetters[0]!.message.headers[DEAD_LETTER_HEADERS.reason]).toBe('max-deliveries');
      platform.services.queue.resume();
      expect(
        await platform.services.queue.bus.replayDeadLetters({ from: dlq, idleMs: 300 }),
      ).toBeGreaterThanOrEqual(1);
      await until(() => platform.index.get('sku-lamp')?.stock === 999_998, 10_000, 'the replayed update');
    } finally {
      platform.services.queue.resume();
      await probe.close();
    }
  }, 60_000);
});
