import { expect } from 'vitest';
import type { ScenarioResult } from '../../../examples/wallet/scenario.js';

/** Settings that make redeliveries and replays quick in tests. */
export const FAST_SETTINGS = {
  redeliveryDelayMs: 20,
  retryDelayMs: 5,
  replayIdleMs: 200,
  providerLatencyMs: 2,
  breakerOpenMs: 120_000,
} as const;

/** Checks what the scenario must end with, wherever the services run. */
export function expectScenarioOutcome(result: ScenarioResult): void {
  expect(result.balances).toEqual({
    ada: [
      { minor: '4895', currency: 'EUR' },
      { minor: '22820', currency: 'USD' },
    ],
    bob: [{ minor: '11245', currency: 'USD' }],
    carol: [{ minor: '2925', currency: 'USD' }],
  });
  const lines = result.ledger.map(
    (e) =>
      `${e.sequence} ${e.transactionId} ${e.status} ${e.reason ?? '-'} ${e.providerId ?? '-'} ${e.fee.minor} ${e.failedOver?.join('+') ?? '-'}`,
  );
  expect(lines).toEqual([
    '1 tx-01 completed - swiftpay 180 -',
    '2 tx-02 completed - ledgerlink 25 -',
    '3 tx-03 completed - swiftpay 105 -',
    '4 tx-04 completed - - 0 -',
    '5 tx-05 rejected INSUFFICIENT_FUNDS - 0 -',
    '6 tx-06 rejected INSUFFICIENT_FUNDS - 0 -',
    '7 tx-07 completed - ledgerlink 100 swiftpay',
    '8 tx-08 completed - ledgerlink 150 swiftpay',
    '9 tx-09 completed - ledgerlink 500 -',
    '10 tx-10 completed - backupbank 80 -',
    '11 tx-11 rejected NO_PROVIDER_AVAILABLE - 0 -',
    '12 tx-12 completed - ledgerlink 75 -',
  ]);
  expect(result.deadLetters).toEqual([
    {
      transactionId: 'tx-12',
      reason: 'max-deliveries',
      errorCode: 'SWB_STORE_UNAVAILABLE',
      recoverable: true,
      replayed: true,
    },
    {
      transactionId: 'rogue-1',
      reason: 'permanent-error',
      errorCode: 'SWB_ENVELOPE_INVALID',
      recoverable: false,
      replayed: false,
    },
  ]);
  expect(result.alerts).toEqual(['wallet.dead-letter/critical/rogue-1', 'wallet.dead-letter/warning/tx-12']);
  expect(result.providers).toEqual([
    { providerId: 'swiftpay', healthy: false, breaker: 'open' },
    { providerId: 'ledgerlink', healthy: true, breaker: 'closed' },
    { providerId: 'backupbank', healthy: true, breaker: 'closed' },
  ]);
}
