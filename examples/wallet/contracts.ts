/**
 * The messages the wallet, transaction and provider services exchange, and the topics they travel on. Event
 * names are the seed's (`transaction:completed`); requests are `<service>:<operation>`.
 *
 * @module
 */
import type { MoneyJson } from './money.js';

/** What a transaction does to the wallet. */
export type TransactionType = 'DEPOSIT' | 'WITHDRAW' | 'SEND';

/** Which way money moves through a payment provider. */
export type ProviderDirection = 'deposit' | 'withdraw';

/** How a simulated provider behaves: `failing` answers health checks but fails every payment. */
export type ProviderMode = 'up' | 'failing' | 'down';

/** A transaction as a client submits it; `transactionId` is the client's idempotency key. */
export interface SubmitTransaction {
  readonly transactionId: string;
  readonly type: TransactionType;
  readonly userId: string;
  readonly amount: MoneyJson;
  /** SEND only: who receives the money. */
  readonly counterpartyId?: string;
}

/** Why a transaction was refused. */
export type RejectReason = 'INSUFFICIENT_FUNDS' | 'INVALID_REQUEST' | 'NO_PROVIDER_AVAILABLE';

/** The seed's `transaction:completed` event: what the wallet applies. */
export interface TransactionCompleted {
  readonly transactionId: string;
  readonly type: TransactionType;
  readonly userId: string;
  readonly counterpartyId?: string;
  readonly amount: MoneyJson;
  readonly fee: MoneyJson;
  readonly providerId?: string;
}

/** One line of the transaction service's ledger: the transaction as decided, rejected ones included. */
export interface LedgerEntry extends TransactionCompleted {
  readonly sequence: number;
  /** Providers that failed this payment before `providerId` took it (failover), when any did. */
  readonly failedOver?: readonly string[];
  readonly status: 'completed' | 'rejected';
  readonly reason?: RejectReason;
}

/** A quote of one provider. */
export interface ProviderQuote {
  readonly providerId: string;
  readonly fee: MoneyJson;
  readonly priority: number;
}

/** What a provider did. */
export interface ProviderReceipt {
  readonly providerId: string;
  readonly fee: MoneyJson;
  readonly reference: string;
  /** Providers tried before this one, in order (failover). */
  readonly failedOver: readonly string[];
}

/** The provider registry's view of one provider. */
export interface ProviderStatus {
  readonly providerId: string;
  readonly healthy: boolean;
  readonly breaker: string;
}

/** An operations alert (seed 003's `alertService.notifyOperations`). */
export interface OpsAlert {
  readonly name: string;
  readonly severity: 'warning' | 'critical';
  readonly source: string;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
}

/** One audited dead letter (seed 003's `auditService.logFailedMessage`). */
export interface DeadLetterRecord {
  readonly messageId: string;
  readonly transactionId: string | undefined;
  readonly reason: string;
  readonly errorCode: string;
  readonly attempts: number;
  readonly recoverable: boolean;
  replayed: boolean;
}

/** A service's answer to a health check. */
export interface ServiceHealth {
  readonly service: string;
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly dependencies: Readonly<Record<string, string>>;
}

/** Every message type with its payload: the bus checks publish, subscribe and request against this map. */
export interface WalletMessages {
  'transaction:submit': SubmitTransaction;
  'transaction:completed': TransactionCompleted;
  'transaction:ledger': Record<string, never>;
  'transaction:health': Record<string, never>;
  /** Seed 003's `validateBalance`: checks the available balance and holds the amount for the transaction. */
  'wallet:validate-balance': {
    readonly transactionId: string;
    readonly userId: string;
    readonly amount: MoneyJson;
  };
  'wallet:release-hold': { readonly transactionId: string };
  'wallet:balances': Record<string, never>;
  'wallet:applied': { readonly transactionId: string };
  'wallet:simulate-store': { readonly down: boolean };
  'wallet:dead-letters': Record<string, never>;
  'wallet:health': Record<string, never>;
  'provider:execute': {
    readonly transactionId: string;
    readonly direction: ProviderDirection;
    readonly amount: MoneyJson;
  };
  'provider:status': Record<string, never>;
  'provider:simulate': { readonly providerId: string; readonly mode: ProviderMode };
  'provider:health': Record<string, never>;
  'ops:alert': OpsAlert;
}

/** Replies of the request types. */
export interface WalletReplies {
  'transaction:submit': LedgerEntry;
  'transaction:ledger': readonly LedgerEntry[];
  'transaction:health': ServiceHealth;
  'wallet:validate-balance': { readonly sufficient: boolean; readonly balance: MoneyJson };
  'wallet:release-hold': { readonly released: boolean };
  'wallet:balances': Readonly<Record<string, readonly MoneyJson[]>>;
  'wallet:applied': { readonly applied: boolean };
  'wallet:simulate-store': { readonly down: boolean };
  'wallet:dead-letters': readonly DeadLetterRecord[];
  'wallet:health': ServiceHealth;
  'provider:execute': ProviderReceipt;
  'provider:status': readonly ProviderStatus[];
  'provider:simulate': ProviderStatus;
  'provider:health': ServiceHealth;
}

/** The three services. */
export const WALLET_SERVICES = ['wallet', 'transaction', 'provider'] as const;
/** One of {@link WALLET_SERVICES}. */
export type WalletServiceName = (typeof WALLET_SERVICES)[number];

/** Topic names, all under one prefix so runs sharing a broker stay apart. */
export interface WalletTopics {
  /** `transaction:completed` events. */
  readonly transactions: string;
  /** Their dead letters. */
  readonly transactionsDlq: string;
  /** `ops:alert` events. */
  readonly alerts: string;
  /** Routes of every type (requests get a topic each). */
  readonly routes: Readonly<Record<keyof WalletMessages, string>>;
}

const REQUEST_TYPES = [
  'transaction:submit',
  'transaction:ledger',
  'transaction:health',
  'wallet:validate-balance',
  'wallet:release-hold',
  'wallet:balances',
  'wallet:applied',
  'wallet:simulate-store',
  'wallet:dead-letters',
  'wallet:health',
  'provider:execute',
  'provider:status',
  'provider:simulate',
  'provider:health',
] as const satisfies readonly (keyof WalletReplies)[];

/**
 * The topics of one deployment. `prefix` keeps test runs on a shared broker apart (`TOPIC_PREFIX`).
 *
 * @example
 * ```ts
 * const topics = walletTopics('wallet-'); // topics.transactions === 'wallet-transactions'
 * ```
 */
export function walletTopics(prefix = ''): WalletTopics {
  const transactions = `${prefix}wallet-transactions`;
  const routes = {
    'transaction:completed': transactions,
    'ops:alert': `${prefix}ops-alerts`,
  } as Record<keyof WalletMessages, string>;
  // Requests: `wallet:balances` -> `<prefix>wallet.balances` (a valid NATS subject and in-memory topic).
  for (const type of REQUEST_TYPES) routes[type] = `${prefix}${type.replace(':', '.')}`;
  return { transactions, transactionsDlq: `${transactions}.dlq`, alerts: `${prefix}ops-alerts`, routes };
}
