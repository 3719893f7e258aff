/**
 * The wallet's balance store: one balance per user and currency, updated by `transaction:completed`. It can play
 * an outage, so the dead-letter path can be shown.
 *
 * @module
 */
import { SwitchboardError } from '../../src/index.js';
import type { TransactionCompleted } from './contracts.js';
import { Money, type MoneyJson } from './money.js';

interface Hold {
  readonly userId: string;
  readonly amount: Money;
}

/**
 * Balances by user and currency, the transactions already applied, and holds: money set aside for a debit that
 * was checked but not applied yet, so two concurrent withdrawals cannot both spend the same balance.
 *
 * @example
 * ```ts
 * const balances = new BalanceStore();
 * balances.apply({ transactionId: 't1', type: 'DEPOSIT', userId: 'ada', amount: usd, fee: zero });
 * balances.balance('ada', 'USD').toString();
 * ```
 */
export class BalanceStore {
  readonly #balances = new Map<string, Map<string, Money>>();
  readonly #applied = new Set<string>();
  readonly #holds = new Map<string, Hold>();
  /** While true, every read and write fails as an unreachable database would. */
  down = false;

  /** The balance of a user in a currency (zero when none). */
  balance(userId: string, currency: string): Money {
    this.#check();
    return this.#balances.get(userId)?.get(currency) ?? Money.zero(currency);
  }

  /** The balance minus the holds on it. */
  available(userId: string, currency: string): Money {
    let available = this.balance(userId, currency);
    for (const hold of this.#holds.values()) {
      if (hold.userId === userId && hold.amount.currency === currency)
        available = available.subtract(hold.amount);
    }
    return available;
  }

  /**
   * Sets `amount` aside for transaction `transactionId` when the available balance covers it. Idempotent: a
   * transaction already holding (or already applied) is answered as covered.
   */
  hold(transactionId: string, userId: string, amount: Money): boolean {
    this.#check();
    if (this.#holds.has(transactionId) || this.#applied.has(transactionId)) return true;
    if (this.available(userId, amount.currency).compare(amount) < 0) return false;
    this.#holds.set(transactionId, { userId, amount });
    return true;
  }

  /** Drops the hold of a transaction that will not complete. */
  release(transactionId: string): void {
    this.#check();
    this.#holds.delete(transactionId);
  }

  /** Whether a transaction was applied. */
  applied(transactionId: string): boolean {
    return this.#applied.has(transactionId);
  }

  /**
   * Applies a completed transaction atomically (all postings or none), once per transaction id.
   * DEPOSIT credits amount minus fee; WITHDRAW debits the amount (the fee comes out of the payout); SEND moves
   * the amount from the user to the counterparty.
   */
  apply(event: TransactionCompleted): void {
    this.#check();
    if (this.#applied.has(event.transactionId)) return;
    const amount = Money.fromJSON(event.amount);
    const fee = Money.fromJSON(event.fee);
    const postings: [string, Money][] = [];
    switch (event.type) {
      case 'DEPOSIT':
        postings.push([event.userId, amount.subtract(fee)]);
        break;
      case 'WITHDRAW':
        postings.push([event.userId, amount.negate()]);
        break;
      case 'SEND':
        if (event.counterpartyId === undefined) throw invalidEvent('SEND without counterpartyId');
        postings.push([event.userId, amount.negate()], [event.counterpartyId, amount]);
        break;
      default:
        throw invalidEvent('unknown transaction type');
    }
    // Compute every new balance first, so a failure leaves nothing half-applied.
    const next = postings.map(
      ([userId, delta]) => [userId, this.balance(userId, delta.currency).add(delta)] as const,
    );
    for (const [userId, value] of next) {
      const byCurrency = this.#balances.get(userId) ?? new Map<string, Money>();
      byCurrency.set(value.currency, value);
      this.#balances.set(userId, byCurrency);
    }
    this.#applied.add(event.transactionId);
    // The debit is real now: its hold has done its job.
    this.#holds.delete(event.transactionId);
  }

  /** Every balance, by user (sorted) and currency (sorted), in wire form. */
  snapshot(): Record<string, MoneyJson[]> {
    this.#check();
    const out: Record<string, MoneyJson[]> = {};
    for (const userId of [...this.#balances.keys()].sort()) {
      const byCurrency = this.#balances.get(userId)!;
      out[userId] = [...byCurrency.keys()].sort().map((currency) => byCurrency.get(currency)!.toJSON());
    }
    return out;
  }

  #check(): void {
    if (this.down) {
      throw new SwitchboardError('SWB_STORE_UNAVAILABLE', 'the wallet database is unreachable', {
        retryable: true,
      });
    }
  }
}

function invalidEvent(problem: string): SwitchboardError {
  return new SwitchboardError('SWB_ENVELOPE_INVALID', `invalid transaction:completed: ${problem}`, {
    retryable: false,
  });
}
