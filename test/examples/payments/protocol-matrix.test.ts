import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { http, login } from '../../../examples/payments/demo-client.js';
import type { PaymentsPlatform } from '../../../examples/payments/platform.js';
import { PROTOCOL_MATRIX, protocolMatrix } from '../../../examples/payments/protocol-matrix.js';
import { isSwitchboardError } from '../../../src/index.js';
import { payment, startFast } from './helpers.js';

describe('the protocol matrix of seed 000', () => {
  it('gives each edge the seed timeout, retry count and breaker', () => {
    const matrix = protocolMatrix();
    const shape = Object.fromEntries(
      Object.entries(matrix).map(([name, e]) => [
        name,
        {
          timeoutMs: e.timeout.duration,
          attempts: e.retry?.maxAttempts ?? 1,
          backoff: e.retry === undefined ? 'none' : `${e.retry.backoff.backoff}/${e.retry.backoff.jitter}`,
          breaker: e.breaker !== undefined,
        },
      ]),
    );
    expect(shape).toEqual({
      'auth->db': { timeoutMs: 250, attempts: 4, backoff: 'exponential/none', breaker: false },
      'gateway->user': { timeoutMs: 1_000, attempts: 3, backoff: 'linear/none', breaker: false },
      'payment->fraud': { timeoutMs: 300, attempts: 1, backoff: 'none', breaker: true },
      'inventory-lock': { timeoutMs: 2_000, attempts: 6, backoff: 'exponential/full', breaker: false },
      notification: { timeoutMs: 5_000, attempts: 1, backoff: 'none', breaker: false },
      'search->queue': { timeoutMs: 5_000, attempts: 1, backoff: 'none', breaker: true },
    });
    for (const [name, row] of Object.entries(PROTOCOL_MATRIX)) {
      const e = matrix[name as keyof typeof matrix];
      expect(e.retry?.maxAttempts ?? 1).toBe(row.retries + 1);
      expect(e.timeout.duration).toBe(row.timeoutMs);
    }
    expect(protocolMatrix({ searchIndexTimeoutMs: 50 })['search->queue'].timeout.duration).toBe(50);
  });

  it('notification: no retry, one attempt', async () => {
    const edge = protocolMatrix().notification;
    let calls = 0;
    await expect(
      edge.execute(async () => {
        calls++;
        throw new Error('push gateway down');
      }),
    ).rejects.toThrow('push gateway down');
    expect(calls).toBe(1);
  });
});

describe('per-edge policies in the running flow', () => {
  let platform: PaymentsPlatform;

  beforeEach(async () => {
    platform = await startFast({ matrix: { random: () => 0.5 } });
  });

  afterEach(async () => {
    await platform.close();
  });

  it('auth -> db: 3 exponential retries (4 reads), then the failure reaches the caller', async () => {
    const db = platform.db.auth;
    db.failNext = 3;
    expect(
      (await http(platform.gateway.url, 'POST', '/auth/token', { body: { userId: 'ada' } })).status,
    ).toBe(200);
    expect(db.reads).toBe(4);
    db.reads = 0;
    db.failNext = 4;
    const failed = await http(platform.gateway.url, 'POST', '/auth/token', { body: { userId: 'ada' } });
    expect(failed.status).toBe(502);
    expect(db.reads).toBe(4);
    db.failNext = 0;
  });

  it('auth -> db: delays grow exponentially (25, 50, 100 ms)', async () => {
    const edge = protocolMatrix()['auth->db'];
    const delays: number[] = [];
    edge.retry!.onRetry(({ delay }) => delays.push(delay));
    let attempts = 0;
    await edge.execute(async () => {
      if (++attempts < 4) throw platformError();
      return 'ok';
    });
    expect(delays).toEqual([25, 50, 100]);
  });

  it('auth -> db: each read gets 250 ms', async () => {
    platform.db.auth.latencyMs = 1_000;
    const started = Date.now();
    const failed = await http(platform.gateway.url, 'POST', '/auth/token', { body: { userId: 'ada' } });
    expect(failed.status).toBe(504);
    expect(platform.db.auth.reads).toBe(4);
    // Four attempts of 250 ms plus 175 ms of back-off; far below four full reads.
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('gateway -> user: 2 linear retries (3 reads), delays 50 and 100 ms', async () => {
    const token = await login(platform.gateway.url, 'ada');
    platform.db.users.failNext = 2;
    expect((await http(platform.gateway.url, 'GET', '/profile', { token })).status).toBe(200);
    expect(platform.db.users.reads).toBe(3);
    const edge = protocolMatrix()['gateway->user'];
    const delays: number[] = [];
    edge.retry!.onRetry(({ delay }) => delays.push(delay));
    await expect(edge.execute(async () => Promise.reject(platformError()))).rejects.toThrow();
    expect(delays).toEqual([50, 100]);
  });

  it('inventory lock: 5 jittered retries (6 attempts) ride out lock contention', async () => {
    const token = await login(platform.gateway.url, 'ada');
    platform.db.inventory.contendedNext = 5;
    const ok = await http(platform.gateway.url, 'POST', '/payments', { token, body: payment('p-1', 100) });
    expect(ok.body.status).toBe('confirmed');
    expect(platform.db.inventory.attempts).toBe(6);
    platform.db.inventory.attempts = 0;
    platform.db.inventory.contendedNext = 6;
    const failed = await http(platform.gateway.url, 'POST', '/payments', {
      token,
      body: payment('p-2', 100),
    });
    expect(failed.status).toBe(502);
    expect(platform.db.inventory.attempts).toBe(6);
    expect(platform.db.payments.balance('merchant-1')).toBe(100n);
  });

  it('inventory lock: delays are full jitter of an exponential back-off', async () => {
    const edge = protocolMatrix({ random: () => 0.5 })['inventory-lock'];
    const delays: number[] = [];
    edge.retry!.onRetry(({ delay }) => delays.push(delay));
    await expect(edge.execute(async () => Promise.reject(platformError()))).rejects.toThrow();
    expect(delays).toEqual([10, 20, 40, 80, 160]);
  });

  it('payment -> fraud: 300 ms, no retry; the breaker opens and the gateway answers 503 CircuitBroken', async () => {
    const token = await login(platform.gateway.url, 'ada');
    const fraud = platform.services.fraud;
    fraud.delayMs = 1_000;
    const slow = await http(platform.gateway.url, 'POST', '/payments', { token, body: payment('p-1', 100) });
    expect([slow.status, slow.body.error]).toEqual([504, 'Timeout']);
    expect(fraud.calls).toBe(1);
    await http(platform.gateway.url, 'POST', '/payments', { token, body: payment('p-2', 100) });
    expect(platform.services.payment.edges.fraud.breaker!.stateName).toBe('open');
    const broken = await http(platform.gateway.url, 'POST', '/payments', {
      token,
      body: payment('p-3', 100),
    });
    expect([broken.status, broken.body.error]).toEqual([503, 'CircuitBroken']);
    expect(broken.body.traceId).toBe(broken.traceId);
    expect(fraud.calls).toBe(2); // the open breaker did not call the fraud service
    // Nothing moved, and every reservation went back.
    expect(platform.db.payments.balance('merchant-1')).toBe(0n);
    expect(platform.db.inventory.get('sku-lamp')?.stock).toBe(1_000_000);
  });
});

function platformError() {
  return Object.assign(new Error('transient'), { code: 'ECONNRESET' });
}

describe('errors', () => {
  it('the retry only retries what is retryable', async () => {
    const edge = protocolMatrix()['auth->db'];
    let attempts = 0;
    const error = await edge
      .execute(async () => {
        attempts++;
        throw new Error('a bug');
      })
      .catch((e: unknown) => e);
    expect(attempts).toBe(1);
    expect(isSwitchboardError(error)).toBe(false);
  });
});
