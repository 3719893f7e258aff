/**
 * One fixed sequence of operations against the wallet platform: deposits, a transfer, refusals, a provider
 * failing over to its backup until its breaker opens, every provider down, a wallet database outage whose dead
 * letter is replayed, and a malformed event dead-lettered for good. The example runs it, and the equivalence
 * test runs it against the monolith and against separate processes on NATS and compares the results.
 *
 * @module
 */
import type { WalletClient } from './client.js';
import type {
  LedgerEntry,
  OpsAlert,
  ProviderStatus,
  SubmitTransaction,
  TransactionType,
} from './contracts.js';
import { Money, type MoneyJson } from './money.js';

/** What the scenario ends with: everything that must not depend on where the services run. */
export interface ScenarioResult {
  readonly balances: Readonly<Record<string, readonly MoneyJson[]>>;
  readonly ledger: readonly LedgerEntry[];
  /** Dead letters as audited (message ids left out: they are random). */
  readonly deadLetters: readonly {
    transactionId: string | undefined;
    reason: string;
    errorCode: string;
    recoverable: boolean;
    replayed: boolean;
  }[];
  /** Alerts as `name/severity/transactionId`, sorted. */
  readonly alerts: readonly string[];
  readonly providers: readonly ProviderStatus[];
}

const tx = (
  transactionId: string,
  type: TransactionType,
  userId: string,
  amount: string,
  currency: string,
  counterpartyId?: string,
): SubmitTransaction => ({
  transactionId,
  type,
  userId,
  amount: Money.parse(amount, currency).toJSON(),
  ...(counterpartyId === undefined ? {} : { counterpartyId }),
});

/**
 * Runs the scenario. `log` receives one line per step.
 *
 * @example
 * ```ts
 * const result = await runWalletScenario(client, console.log);
 * ```
 */
export async function runWalletScenario(
  client: WalletClient,
  log: (line: string) => void = () => {},
): Promise<ScenarioResult> {
  const submit = async (t: SubmitTransaction, what: string): Promise<LedgerEntry> => {
    const entry = await client.submit(t);
    if (entry.status === 'completed') await client.waitApplied(t.transactionId);
    const failover = entry.failedOver === undefined ? '' : ` after ${entry.failedOver.join(', ')} failed`;
    const via = entry.providerId === undefined ? '' : ` via ${entry.providerId}${failover}`;
    const fee = entry.fee.minor === '0' ? '' : `, fee ${Money.fromJSON(entry.fee).toString()}`;
    log(
      `${t.transactionId} ${what}: ${entry.status}${entry.reason === undefined ? '' : ` (${entry.reason})`}${via}${fee}`,
    );
    return entry;
  };

  // Deposits: the cheapest quote wins (swiftpay's fixed fee loses on small amounts).
  await submit(tx('tx-01', 'DEPOSIT', 'ada', '100.00', 'USD'), 'ada deposits USD 100.00');
  await submit(tx('tx-02', 'DEPOSIT', 'bob', '10.00', 'USD'), 'bob deposits USD 10.00');
  await submit(tx('tx-03', 'DEPOSIT', 'ada', '50.00', 'EUR'), 'ada deposits EUR 50.00');
  await submit(tx('tx-04', 'SEND', 'ada', '25.00', 'USD', 'bob'), 'ada sends bob USD 25.00');
  await submit(tx('tx-05', 'WITHDRAW', 'bob', '500.00', 'USD'), 'bob withdraws USD 500.00');
  await submit(tx('tx-06', 'SEND', 'ada', '1.00', 'GBP', 'bob'), 'ada sends bob GBP 1.00 (she has none)');

  // swiftpay answers health checks and quotes but fails payments: failover, then its breaker opens.
  await client.simulateProvider('swiftpay', 'failing');
  log('swiftpay starts failing payments');
  await submit(tx('tx-07', 'WITHDRAW', 'ada', '40.00', 'USD'), 'ada withdraws USD 40.00');
  await submit(tx('tx-08', 'DEPOSIT', 'bob', '60.00', 'USD'), 'bob deposits USD 60.00');
  await submit(
    tx('tx-09', 'DEPOSIT', 'ada', '200.00', 'USD'),
    'ada deposits USD 200.00 (swiftpay breaker open)',
  );
  await client.simulateProvider('ledgerlink', 'down');
  log('ledgerlink goes down');
  await submit(
    tx('tx-10', 'DEPOSIT', 'bob', '20.00', 'USD'),
    'bob deposits USD 20.00 (only the backup left)',
  );
  await client.simulateProvider('backupbank', 'down');
  log('backupbank goes down');
  await submit(tx('tx-11', 'DEPOSIT', 'bob', '5.00', 'USD'), 'bob deposits USD 5.00 (no provider)');
  await client.simulateProvider('ledgerlink', 'up');
  await client.simulateProvider('backupbank', 'up');
  log('ledgerlink and backupbank are back');

  // The wallet database goes down: the deposit is decided, its event dead-lettered, then replayed.
  await client.simulateWalletStore(true);
  log('the wallet database goes down');
  const held = await client.submit(tx('tx-12', 'DEPOSIT', 'carol', '30.00', 'USD'));
  const alert = await client.waitForAlert((a) => a.detail.transactionId === 'tx-12');
  log(
    `tx-12 carol deposits USD 30.00: ${held.status}; event dead-lettered, alert ${alert.name} (${alert.severity})`,
  );
  await client.simulateWalletStore(false);
  await client.waitApplied('tx-12');
  log('the wallet database is back; tx-12 replayed from the dead-letter topic and applied');

  // A malformed event (a float amount) from a rogue publisher: dead-lettered for good, never replayed.
  await client.bus.publish(
    'transaction:completed',
    {
      transactionId: 'rogue-1',
      type: 'DEPOSIT',
      userId: 'mallory',
      amount: { minor: '12.5', currency: 'USD' },
      fee: { minor: '0', currency: 'USD' },
    },
    { key: 'mallory' },
  );
  const rogue = await client.waitForAlert((a) => a.detail.transactionId === 'rogue-1');
  log(`rogue-1 malformed event: dead-lettered, alert ${rogue.name} (${rogue.severity}), not replayed`);

  // Submitting a transaction id again returns its first outcome.
  const again = await client.submit(tx('tx-01', 'DEPOSIT', 'ada', '100.00', 'USD'));
  log(`tx-01 submitted again: ledger line ${again.sequence} returned, nothing new`);

  return collectResult(client);
}

/** Reads the end state through the bus. */
export async function collectResult(client: WalletClient): Promise<ScenarioResult> {
  const [balances, ledger, deadLetters, providers] = await Promise.all([
    client.balances(),
    client.ledger(),
    client.deadLetters(),
    client.providers(),
  ]);
  return {
    balances,
    ledger,
    deadLetters: deadLetters.map(({ transactionId, reason, errorCode, recoverable, replayed }) => ({
      transactionId,
      reason,
      errorCode,
      recoverable,
      replayed,
    })),
    alerts: client.alerts.map(alertLine).sort(),
    providers,
  };
}

function alertLine(alert: OpsAlert): string {
  return `${alert.name}/${alert.severity}/${String(alert.detail.transactionId ?? '')}`;
}
