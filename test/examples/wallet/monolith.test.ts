import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectWalletClient, type WalletClient } from '../../../examples/wallet/client.js';
import { Money } from '../../../examples/wallet/money.js';
import { type Monolith, startMonolith } from '../../../examples/wallet/monolith.js';
import { runWalletScenario } from '../../../examples/wallet/scenario.js';
import { expectScenarioOutcome, FAST_SETTINGS } from './expected.js';

const usd = (amount: string) => Money.parse(amount, 'USD').toJSON();

describe('wallet platform as a modular monolith on the in-memory bus', () => {
  let monolith: Monolith;
  let client: WalletClient;

  beforeEach(async () => {
    monolith = await startMonolith({ settings: FAST_SETTINGS });
    client = await connectWalletClient({ deployment: monolith.deployment });
  });

  afterEach(async () => {
    await client.close();
    await monolith.close();
  });

  it('runs the scenario end to end: balances, ledger, failover, dead letters and alerts', async () => {
    const lines: string[] = [];
    const result = await runWalletScenario(client, (line) => lines.push(line));
    expectScenarioOutcome(result);
    expect(lines.some((l) => l.includes('tx-07') && l.includes('after swiftpay failed'))).toBe(true);
    // The ledger lives in the transaction service, balances in the wallet service: the same through the bus.
    expect(monolith.transactions.ledger).toEqual(result.ledger);
    expect(monolith.wallet.balances.snapshot()).toEqual(result.balances);
  });

  it('transaction:completed updates the balance once, even when the event is delivered twice', async () => {
    const entry = await client.submit({
      transactionId: 'd-1',
      type: 'DEPOSIT',
      userId: 'ada',
      amount: usd('10.00'),
    });
    await client.waitApplied('d-1');
    // A copy under a new event id: the idempotency store (keyed by event id) cannot see it, the wallet's
    // record of applied transaction ids does.
    await client.bus.publish('transaction:completed', {
      transactionId: 'd-1',
      type: 'DEPOSIT',
      userId: 'ada',
      amount: usd('10.00'),
      fee: entry.fee,
    });
    await client.submit({ transactionId: 'd-2', type: 'DEPOSIT', userId: 'ada', amount: usd('1.00') });
    await client.waitApplied('d-2');
    expect(await client.balances()).toEqual({
      ada: [{ minor: String(1000 - 25 + 100 - 3), currency: 'USD' }],
    });
  });

  it('holds the balance, so concurrent withdrawals cannot spend it twice', async () => {
    await client.submit({ transactionId: 'd-1', type: 'DEPOSIT', userId: 'ada', amount: usd('100.00') });
    await client.waitApplied('d-1');
    const outcomes = await Promise.all(
      ['w-1', 'w-2', 'w-3'].map((id) =>
        client.submit({ transactionId: id, type: 'WITHDRAW', userId: 'ada', amount: usd('40.00') }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'completed')).toHaveLength(2);
    expect(outcomes.filter((o) => o.reason === 'INSUFFICIENT_FUNDS')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'completed') await client.waitApplied(o.transactionId);
    expect((await client.balances()).ada).toEqual([{ minor: String(10_000 - 180 - 8_000), currency: 'USD' }]);
  });

  it('a transaction id is an idempotency key, also when submitted twice at once', async () => {
    const tx = { transactionId: 'd-1', type: 'DEPOSIT', userId: 'ada', amount: usd('5.00') } as const;
    const [a, b] = await Promise.all([client.submit(tx), client.submit(tx)]);
    expect(a).toEqual(b);
    expect(await client.submit(tx)).toEqual(a);
    expect(await client.ledger()).toHaveLength(1);
    expect(monolith.providers.providers.reduce((n, p) => n + p.calls.execute, 0)).toBe(1);
  });

  it('refuses invalid requests without calling a provider', async () => {
    const outcomes = await Promise.all([
      client.submit({ transactionId: 'i-1', type: 'DEPOSIT', userId: 'ada', amount: usd('0') }),
      client.submit({ transactionId: 'i-2', type: 'SEND', userId: 'ada', amount: usd('1.00') }),
      client.submit({
        transactionId: 'i-3',
        type: 'SEND',
        userId: 'ada',
        counterpartyId: 'ada',
        amount: usd('1'),
      }),
      client.submit({
        transactionId: 'i-4',
        type: 'DEPOSIT',
        userId: 'ada',
        amount: { minor: '1.5', currency: 'USD' },
      }),
      client.submit({
        transactionId: 'i-5',
        type: 'DEPOSIT',
        userId: 'ada',
        amount: { minor: '1', currency: 'XXX' },
      }),
      client.submit({
        transactionId: 'i-6',
        type: 'REFUND' as 'DEPOSIT',
        userId: 'ada',
        amount: usd('1.00'),
      }),
    ]);
    expect(outcomes.map((o) => o.reason)).toEqual(Array(6).fill('INVALID_REQUEST'));
    expect(monolith.providers.providers.every((p) => p.calls.execute === 0)).toBe(true);
  });

  it('a failed withdrawal gives its hold back', async () => {
    await client.submit({ transactionId: 'd-1', type: 'DEPOSIT', userId: 'ada', amount: usd('100.00') });
    await client.waitApplied('d-1');
    for (const p of ['swiftpay', 'ledgerlink', 'backupbank']) await client.simulateProvider(p, 'down');
    const failed = await client.submit({
      transactionId: 'w-1',
      type: 'WITHDRAW',
      userId: 'ada',
      amount: usd('90'),
    });
    expect(failed.reason).toBe('NO_PROVIDER_AVAILABLE');
    await client.simulateProvider('ledgerlink', 'up');
    const ok = await client.submit({
      transactionId: 'w-2',
      type: 'WITHDRAW',
      userId: 'ada',
      amount: usd('90'),
    });
    expect(ok.status).toBe('completed');
  });

  it('answers the health monitor for every service, and reports a service that is down', async () => {
    const healthy = await client.health();
    expect(healthy.status).toBe('healthy');
    expect(Object.keys(healthy.services)).toEqual(['wallet', 'transaction', 'provider']);
    await client.simulateWalletStore(true);
    const degraded = await client.health();
    expect(degraded.status).toBe('unhealthy');
    expect(degraded.services.wallet).toMatchObject({
      status: 'unhealthy',
      dependencies: { database: 'unhealthy' },
    });
    await client.simulateWalletStore(false);
    await monolith.transactions.bus.close();
    const partial = await connectWalletClient({ deployment: monolith.deployment, requestTimeoutMs: 200 });
    try {
      const report = await partial.health();
      expect(report.status).toBe('unhealthy');
      expect(report.services.transaction).toMatchObject({ status: 'unreachable' });
    } finally {
      await partial.close();
    }
  });
});
