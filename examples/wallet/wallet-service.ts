/**
 * The wallet service: balances per user and currency. It applies `transaction:completed` (seed 003's
 * `walletService.subscribe('transaction:completed', ...)`), answers balance checks, and audits, alerts and
 * replays its dead letters.
 *
 * Run alone: `TRANSPORT=nats NATS_URL=nats://127.0.0.1:4222 npx tsx examples/wallet/wallet-service.ts`.
 *
 * @module
 */
import { type Bus, createBus, type IdempotencyStore, memoryIdempotencyStore } from '../../src/index.js';
import { BalanceStore } from './balances.js';
import type { WalletMessages } from './contracts.js';
import { DeadLetterHandler } from './dead-letters.js';
import { serviceHealth } from './health.js';
import { Money } from './money.js';
import { resolveSettings, type WalletDeployment, type WalletSettings } from './runtime.js';
import { runWalletServiceProcess } from './service-process.js';

/** Options of {@link startWalletService}. */
export interface WalletServiceOptions {
  readonly deployment: WalletDeployment;
  readonly settings?: Partial<WalletSettings>;
  /** De-duplicates `transaction:completed` by event id. Default: an in-memory store. */
  readonly idempotency?: IdempotencyStore;
}

/** A running wallet service. */
export interface WalletService {
  readonly bus: Bus<WalletMessages>;
  readonly balances: BalanceStore;
  readonly deadLetters: DeadLetterHandler;
  close(): Promise<void>;
}

/**
 * Starts the wallet service on its own bus.
 *
 * @example
 * ```ts
 * const wallet = await startWalletService({ deployment: memoryDeployment() });
 * await wallet.close();
 * ```
 */
export async function startWalletService(options: WalletServiceOptions): Promise<WalletService> {
  const settings = resolveSettings(options.settings);
  const { topics } = options.deployment;
  const bus = createBus<WalletMessages>({
    transport: options.deployment.transport(),
    source: 'wallet-service',
    routes: topics.routes,
    idempotency: options.idempotency ?? memoryIdempotencyStore(),
  });
  const balances = new BalanceStore();
  const deadLetters = new DeadLetterHandler({
    bus,
    topic: topics.transactionsDlq,
    replayIdleMs: settings.replayIdleMs,
  });
  try {
    await bus.subscribe(
      'transaction:completed',
      (event) => {
        balances.apply(event.data);
      },
      {
        idempotency: true,
        retry: { maxAttempts: settings.retryAttempts, initialDelay: settings.retryDelayMs, jitter: 'none' },
        maxDeliveries: settings.maxDeliveries,
        redeliveryDelay: settings.redeliveryDelayMs,
        deadLetter: { topic: topics.transactionsDlq },
      },
    );
    await deadLetters.start();
    await bus.respond('wallet:validate-balance', (request) => {
      const { transactionId, userId } = request.data;
      const amount = Money.fromJSON(request.data.amount);
      const sufficient = balances.hold(transactionId, userId, amount);
      return { sufficient, balance: balances.available(userId, amount.currency).toJSON() };
    });
    await bus.respond('wallet:release-hold', (request) => {
      balances.release(request.data.transactionId);
      return { released: true };
    });
    await bus.respond('wallet:balances', () => balances.snapshot());
    await bus.respond('wallet:applied', (request) => ({
      applied: balances.applied(request.data.transactionId),
    }));
    await bus.respond('wallet:dead-letters', () => deadLetters.records);
    await bus.respond('wallet:simulate-store', async (request) => {
      balances.down = request.data.down;
      // The database is back: what failed only because it was down can succeed now.
      if (!balances.down) await deadLetters.replayRecoverable();
      return { down: balances.down };
    });
    await bus.respond('wallet:health', () =>
      serviceHealth('wallet', bus, { database: balances.down ? 'unhealthy' : 'healthy' }),
    );
  } catch (error) {
    await bus.close();
    throw error;
  }
  return {
    bus,
    balances,
    deadLetters,
    close: async () => {
      await deadLetters.close();
      await bus.close();
    },
  };
}

await runWalletServiceProcess(import.meta.url, 'wallet', startWalletService);
