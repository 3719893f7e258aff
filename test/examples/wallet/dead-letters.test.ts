import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectWalletClient, type WalletClient } from '../../../examples/wallet/client.js';
import { canRecover } from '../../../examples/wallet/dead-letters.js';
import { Money } from '../../../examples/wallet/money.js';
import { type Monolith, startMonolith } from '../../../examples/wallet/monolith.js';
import { DEAD_LETTER_HEADERS } from '../../../src/index.js';
import { FAST_SETTINGS } from './expected.js';

const usd = (amount: string) => Money.parse(amount, 'USD').toJSON();

describe('wallet dead letters: audited, raised as alerts, replayed when recoverable', () => {
  let monolith: Monolith;
  let client: WalletClient;

  beforeEach(async () => {
    monolith = await startMonolith({ settings: { ...FAST_SETTINGS, maxDeliveries: 3, retryAttempts: 2 } });
    client = await connectWalletClient({ deployment: monolith.deployment });
  });

  afterEach(async () => {
    await client.close();
    await monolith.close();
  });

  it('an event that fails while the database is down is dead-lettered after its deliveries, then replayed once', async () => {
    let handlerFailures = 0;
    monolith.wallet.bus.events.on('failed', () => handlerFailures++);
    await client.simulateWalletStore(true);
    const entry = await client.submit({
      transactionId: 't-1',
      type: 'DEPOSIT',
      userId: 'ada',
      amount: usd('10'),
    });
    expect(entry.status).toBe('completed');
    const alert = await client.waitForAlert((a) => a.detail.transactionId === 't-1');
    expect(alert).toMatchObject({
      name: 'wallet.dead-letter',
      severity: 'warning',
      source: 'wallet-service',
      detail: { reason: 'max-deliveries', errorCode: 'SWB_STORE_UNAVAILABLE', recoverable: true },
    });
    // Three deliveries (maxDeliveries), each after its in-process retries.
    expect(handlerFailures).toBe(3);
    expect(await client.deadLetters()).toMatchObject([
      { transactionId: 't-1', reason: 'max-deliveries', attempts: 3, recoverable: true, replayed: false },
    ]);

    await client.simulateWalletStore(false); // the end of the outage replays what can recover
    await client.waitApplied('t-1');
    expect(await client.balances()).toEqual({ ada: [{ minor: '975', currency: 'USD' }] });
    expect((await client.deadLetters())[0]?.replayed).toBe(true);
    // Nothing is left to replay, and a replay never applies twice.
    expect(await monolith.wallet.deadLetters.replayRecoverable()).toBe(0);
    expect(await client.balances()).toEqual({ ada: [{ minor: '975', currency: 'USD' }] });
  });

  it('bad data goes to the dead-letter topic at once, raises a critical alert and is never replayed', async () => {
    let handlerFailures = 0;
    monolith.wallet.bus.events.on('failed', () => handlerFailures++);
    await client.bus.publish('transaction:completed', {
      transactionId: 'bad-1',
      type: 'DEPOSIT',
      userId: 'mallory',
      amount: { minor: '1.5', currency: 'USD' },
      fee: { minor: '0', currency: 'USD' },
    });
    await client.bus.publish('transaction:completed', {
      transactionId: 'bad-2',
      type: 'SEND',
      userId: 'mallory',
      amount: usd('1'),
      fee: usd('0'),
    });
    const first = await client.waitForAlert((a) => a.detail.transactionId === 'bad-1');
    await client.waitForAlert((a) => a.detail.transactionId === 'bad-2');
    expect(first).toMatchObject({
      severity: 'critical',
      detail: { reason: 'permanent-error', recoverable: false },
    });
    expect(handlerFailures).toBe(2); // one delivery each, no retry
    expect(await monolith.wallet.deadLetters.replayRecoverable()).toBe(0);
    expect(await client.balances()).toEqual({});
    expect((await client.deadLetters()).map((d) => [d.transactionId, d.errorCode, d.replayed])).toEqual([
      ['bad-1', 'SWB_ENVELOPE_INVALID', false],
      ['bad-2', 'SWB_ENVELOPE_INVALID', false],
    ]);
  });

  it('only dead letters that ran out of deliveries can recover', () => {
    expect(canRecover({ [DEAD_LETTER_HEADERS.reason]: 'max-deliveries' })).toBe(true);
    for (const reason of ['permanent-error', 'decode-failed', 'invalid', 'expired', 'no-handler']) {
      expect(canRecover({ [DEAD_LETTER_HEADERS.reason]: reason })).toBe(false);
    }
    expect(canRecover({})).toBe(false);
  });
});
