/**
 * The transaction service: takes `transaction:submit`, checks the balance with the wallet (a synchronous
 * request, as in seed 003), moves money through the provider service for deposits and withdrawals, writes the
 * ledger and publishes `transaction:completed`. A transaction id is an idempotency key: submitting it again
 * returns the first outcome.
 *
 * Run alone: `TRANSPORT=nats NATS_URL=nats://127.0.0.1:4222 npx tsx examples/wallet/transaction-service.ts`.
 *
 * @module
 */
import { type Bus, createBus, isSwitchboardError } from '../../src/index.js';
import type {
  LedgerEntry,
  ProviderReceipt,
  RejectReason,
  SubmitTransaction,
  WalletMessages,
  WalletReplies,
} from './contracts.js';
import { serviceHealth } from './health.js';
import { Money } from './money.js';
import { resolveSettings, type WalletDeployment, type WalletSettings } from './runtime.js';
import { runWalletServiceProcess } from './service-process.js';

/** Options of {@link startTransactionService}. */
export interface TransactionServiceOptions {
  readonly deployment: WalletDeployment;
  readonly settings?: Partial<WalletSettings>;
}

/** A running transaction service. */
export interface TransactionService {
  readonly bus: Bus<WalletMessages>;
  /** The ledger, in the order transactions were decided. */
  readonly ledger: readonly LedgerEntry[];
  close(): Promise<void>;
}

/**
 * Starts the transaction service on its own bus.
 *
 * @example
 * ```ts
 * const transactions = await startTransactionService({ deployment: memoryDeployment() });
 * ```
 */
export async function startTransactionService(
  options: TransactionServiceOptions,
): Promise<TransactionService> {
  const settings = resolveSettings(options.settings);
  const bus = createBus<WalletMessages>({
    transport: options.deployment.transport(),
    source: 'transaction-service',
    routes: options.deployment.topics.routes,
  });
  const ledger: LedgerEntry[] = [];
  const byId = new Map<string, Promise<LedgerEntry>>();
  const timeoutMs = settings.requestTimeoutMs;

  const request = <K extends keyof WalletReplies & keyof WalletMessages>(
    type: K,
    data: WalletMessages[K],
  ): Promise<WalletReplies[K]> => bus.request<K, WalletReplies[K]>(type, data, { timeoutMs });

  const record = (tx: SubmitTransaction, fields: Partial<LedgerEntry>): LedgerEntry => {
    const entry: LedgerEntry = {
      sequence: ledger.length + 1,
      transactionId: tx.transactionId,
      type: tx.type,
      userId: tx.userId,
      ...(tx.counterpartyId === undefined ? {} : { counterpartyId: tx.counterpartyId }),
      amount: tx.amount,
      fee: { minor: '0', currency: tx.amount?.currency ?? '' },
      status: 'completed',
      ...fields,
    };
    ledger.push(entry);
    return entry;
  };
  const reject = (tx: SubmitTransaction, reason: RejectReason): LedgerEntry =>
    record(tx, { status: 'rejected', reason });

  const decide = async (tx: SubmitTransaction): Promise<LedgerEntry> => {
    let amount: Money;
    try {
      amount = Money.fromJSON(tx.amount);
    } catch {
      return reject(tx, 'INVALID_REQUEST');
    }
    const badSend =
      tx.type === 'SEND' && (tx.counterpartyId === undefined || tx.counterpartyId === tx.userId);
    if (amount.minor <= 0n || badSend || !['DEPOSIT', 'WITHDRAW', 'SEND'].includes(tx.type)) {
      return reject(tx, 'INVALID_REQUEST');
    }
    if (tx.type !== 'DEPOSIT') {
      const check = await request('wallet:validate-balance', {
        transactionId: tx.transactionId,
        userId: tx.userId,
        amount: amount.toJSON(),
      });
      if (!check.sufficient) return reject(tx, 'INSUFFICIENT_FUNDS');
    }
    try {
      return await complete(tx, amount);
    } catch (error) {
      // The money held for a debit that will not happen goes back to the available balance.
      if (tx.type !== 'DEPOSIT') await request('wallet:release-hold', { transactionId: tx.transactionId });
      throw error;
    }
  };

  const complete = async (tx: SubmitTransaction, amount: Money): Promise<LedgerEntry> => {
    let receipt: ProviderReceipt | undefined;
    if (tx.type !== 'SEND') {
      try {
        receipt = await request('provider:execute', {
          transactionId: tx.transactionId,
          direction: tx.type === 'DEPOSIT' ? 'deposit' : 'withdraw',
          amount: amount.toJSON(),
        });
      } catch (error) {
        if (!isSwitchboardError(error, 'SWB_TRANSPORT_UNAVAILABLE')) throw error;
        if (tx.type !== 'DEPOSIT') await request('wallet:release-hold', { transactionId: tx.transactionId });
        return reject(tx, 'NO_PROVIDER_AVAILABLE');
      }
    }
    const fee = receipt?.fee ?? Money.zero(amount.currency).toJSON();
    // Published before the ledger line is kept: a failed publish leaves no completed line without its event.
    // (With a database, the line and the event would go through an outbox in one transaction.)
    await bus.publish(
      'transaction:completed',
      {
        transactionId: tx.transactionId,
        type: tx.type,
        userId: tx.userId,
        ...(tx.counterpartyId === undefined ? {} : { counterpartyId: tx.counterpartyId }),
        amount: amount.toJSON(),
        fee,
        ...(receipt === undefined ? {} : { providerId: receipt.providerId }),
      },
      { key: tx.userId },
    );
    return record(tx, {
      fee,
      ...(receipt === undefined ? {} : { providerId: receipt.providerId }),
      ...(receipt === undefined || receipt.failedOver.length === 0 ? {} : { failedOver: receipt.failedOver }),
    });
  };

  const submit = (tx: SubmitTransaction): Promise<LedgerEntry> => {
    const known = byId.get(tx.transactionId);
    if (known !== undefined) return known;
    const outcome = decide(tx);
    byId.set(tx.transactionId, outcome);
    // A failure (the wallet unreachable, a timeout) is not an outcome: the same id may be submitted again.
    outcome.catch(() => byId.delete(tx.transactionId));
    return outcome;
  };

  try {
    await bus.respond('transaction:submit', (req) => submit(req.data));
    await bus.respond('transaction:ledger', () => ledger);
    await bus.respond('transaction:health', () => serviceHealth('transaction', bus));
  } catch (error) {
    await bus.close();
    throw error;
  }
  return { bus, ledger, close: () => bus.close() };
}

await runWalletServiceProcess(import.meta.url, 'transaction', startTransactionService);
