/**
 * The modular monolith (seed 003's phase 1): the wallet, transaction and provider services in one process, each
 * with its own bus on one in-memory broker. The services are the same modules the separate processes run.
 *
 * @module
 */
import { type ProviderService, startProviderService } from './provider-service.js';
import { memoryDeployment, type WalletDeployment, type WalletSettings } from './runtime.js';
import { startTransactionService, type TransactionService } from './transaction-service.js';
import { startWalletService, type WalletService } from './wallet-service.js';

/** Options of {@link startMonolith}. */
export interface MonolithOptions {
  /** Default: a new in-memory deployment. */
  readonly deployment?: WalletDeployment;
  readonly settings?: Partial<WalletSettings>;
}

/** The three services of one process. */
export interface Monolith {
  readonly deployment: WalletDeployment;
  readonly wallet: WalletService;
  readonly transactions: TransactionService;
  readonly providers: ProviderService;
  close(): Promise<void>;
}

/**
 * Starts the three services in this process.
 *
 * @example
 * ```ts
 * const monolith = await startMonolith();
 * const client = await connectWalletClient({ deployment: monolith.deployment });
 * ```
 */
export async function startMonolith(options: MonolithOptions = {}): Promise<Monolith> {
  const deployment = options.deployment ?? memoryDeployment();
  const settings = options.settings ?? {};
  const wallet = await startWalletService({ deployment, settings });
  const started: { close(): Promise<void> }[] = [wallet];
  try {
    const transactions = await startTransactionService({ deployment, settings });
    started.push(transactions);
    const providers = await startProviderService({ deployment, settings });
    started.push(providers);
    return {
      deployment,
      wallet,
      transactions,
      providers,
      close: async () => {
        await Promise.all(started.map((s) => s.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    throw error;
  }
}
