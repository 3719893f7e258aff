import { generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { http, login } from '../../../examples/payments/demo-client.js';
import type { PaymentsPlatform } from '../../../examples/payments/platform.js';
import { payment, startFast } from './helpers.js';

describe('payment flow end to end on the in-memory transport', () => {
  let platform: PaymentsPlatform;
  const trace: string[] = [];

  beforeEach(async () => {
    trace.length = 0;
    platform = await startFast({ trace });
  });

  afterEach(async () => {
    await platform.close();
  });

  it('authenticates, reads the profile, checks fraud and locks inventory in parallel, transfers, notifies, confirms', async () => {
    const url = platform.gateway.url;
    const token = await login(url, 'ada');
    expect(token.split('.')).toHaveLength(3);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({
      alg: 'EdDSA',
    });
    const answer = await http(url, 'POST', '/payments', { token, body: payment('p-1', 1_999) });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'confirmed',
      paymentId: 'p-1',
      receiptId: 'rcpt-p-1',
      reservationId: 'rsv-p-1',
      riskScore: 0.02,
      notified: true,
      traceId: answer.traceId,
    });
    // Both checks started before either finished.
    expect(trace.slice(0, 2).sort()).toEqual(['fraud:start', 'inventory:start']);
    expect(trace).toHaveLength(4);
    expect(platform.db.payments.balance('ada')).toBe(100_000n - 1_999n);
    expect(platform.db.payments.balance('merchant-1')).toBe(1_999n);
    expect(platform.db.inventory.get('sku-lamp')?.stock).toBe(999_999);
    expect(platform.services.notification.sent).toEqual([
      { userId: 'ada', paymentId: 'p-1', text: 'Payment p-1 of 1999 USD confirmed' },
    ]);
  });

  it('serves the profile from the database once, then from the cache', async () => {
    const token = await login(platform.gateway.url, 'bob');
    const first = await http(platform.gateway.url, 'GET', '/profile', { token });
    const second = await http(platform.gateway.url, 'GET', '/profile', { token });
    expect([first.body.source, second.body.source]).toEqual(['database', 'cache']);
    expect(second.body.profile).toMatchObject({ userId: 'bob', email: 'bob@example.com' });
    expect(platform.db.users.reads).toBe(1);
    const stranger = await http(platform.gateway.url, 'GET', '/profile', {
      token: await login(platform.gateway.url, 'eve'),
    });
    expect(stranger.status).toBe(404);
  });

  it('refuses missing, forged and non-EdDSA tokens with 401', async () => {
    const url = platform.gateway.url;
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: 'auth-1' })
      .setSubject('ada')
      .setIssuer('auth-service')
      .setExpirationTime('5m')
      .sign(other.privateKey);
    const hs256 = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ada')
      .setIssuer('auth-service')
      .sign(new Uint8Array(32));
    for (const token of [undefined, 'garbage', forged, hs256]) {
      const answer = await http(url, 'POST', '/payments', {
        ...(token === undefined ? {} : { token }),
        body: payment('p-x', 100),
      });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('Unauthorized');
    }
    expect(platform.db.payments.balance('merchant-1')).toBe(0n);
  });

  it('refuses a risky payment and gives its inventory back', async () => {
    const token = await login(platform.gateway.url, 'ada');
    const answer = await http(platform.gateway.url, 'POST', '/payments', {
      token,
      body: payment('p-2', 600_000),
    });
    expect(answer.status).toBe(402);
    expect(answer.body.error).toBe('FRAUD_SUSPECTED');
    expect(platform.db.inventory.get('sku-lamp')?.stock).toBe(1_000_000);
    expect(platform.db.payments.balance('ada')).toBe(100_000n);
  });

  it('answers 409 when stock is short, and 402 when the payer cannot cover it (reservation released)', async () => {
    const url = platform.gateway.url;
    const ada = await login(url, 'ada');
    const short = await http(url, 'POST', '/payments', {
      token: ada,
      body: payment('p-3', 100, [{ sku: 'sku-chair', quantity: 4 }]),
    });
    expect([short.status, short.body.error]).toEqual([409, 'OUT_OF_STOCK']);
    const bob = await login(url, 'bob');
    const poor = await http(url, 'POST', '/payments', {
      token: bob,
      body: payment('p-4', 10_000, [{ sku: 'sku-chair', quantity: 1 }]),
    });
    expect([poor.status, poor.body.error]).toEqual([402, 'INSUFFICIENT_FUNDS']);
    expect(platform.db.inventory.get('sku-chair')?.stock).toBe(3);
    expect(platform.db.payments.balance('bob')).toBe(5_000n);
  });

  it('charges a payment once when it is sent twice', async () => {
    const token = await login(platform.gateway.url, 'ada');
    const first = await http(platform.gateway.url, 'POST', '/payments', { token, body: payment('p-5', 500) });
    const second = await http(platform.gateway.url, 'POST', '/payments', {
      token,
      body: payment('p-5', 500),
    });
    expect(second.body.receiptId).toBe(first.body.receiptId);
    expect(platform.db.payments.balance('merchant-1')).toBe(500n);
    expect(platform.db.inventory.get('sku-lamp')?.stock).toBe(999_999);
  });

  it('answers 400 for a bad body and 404 for an unknown route, always with a trace id', async () => {
    const token = await login(platform.gateway.url, 'ada');
    const bad = await http(platform.gateway.url, 'POST', '/payments', { token, body: payment('p-6', 1.5) });
    expect(bad.status).toBe(400);
    const missing = await http(platform.gateway.url, 'GET', '/nope');
    expect(missing.status).toBe(404);
    expect(missing.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(missing.body.traceId).toBe(missing.traceId);
    const noUser = await http(platform.gateway.url, 'POST', '/auth/token', { body: {} });
    expect(noUser.status).toBe(400);
  });
});
