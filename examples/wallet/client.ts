/**
 * A client of the wallet platform (seed 003's API gateway role): every call is a request over the bus, so it
 * works the same against the monolith and against separate processes.
 *
 * @module
 */
import { type Bus, createBus, type Envelope } from '../../src/index.js';
import {
  type LedgerEntry,
  type OpsAlert,
  type ProviderMode,
  type ServiceHealth,
  type SubmitTransaction,
  WALLET_SERVICES,
  type WalletMessages,
  type WalletReplies,
} from './contracts.js';
import type { WalletDeployment } from './runtime.js';

/** Options of {@link connectWalletClient}. */
export interface WalletClientOptions {
  readonly deployment: WalletDeployment;
  /** Timeout of each request, ms. Default 5000. */
  readonly requestTimeoutMs?: number;
}

/** Health of each service, as seed 003's `ServiceHealthMonitor` reports it. */
export interface HealthReport {
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly services: Readonly<
    Record<string, ServiceHealth | { readonly status: 'unreachable'; readonly error: string }>
  >;
}

/**
 * The client.
 *
 * @example
 * ```ts
 * const client = await connectWalletClient({ deployment });
 * const entry = await client.submit({ transactionId: 'tx-1', type: 'DEPOSIT', userId: 'ada', amount });
 * await client.waitApplied('tx-1');
 * ```
 */
export class WalletClient {
  /** Every `ops:alert` seen since connecting. */
  readonly alerts: OpsAlert[] = [];
  readonly bus: Bus<WalletMessages>;
  readonly #timeoutMs: number;
  readonly #alertWaiters = new Set<() => void>();

  constructor(bus: Bus<WalletMessages>, timeoutMs: number) {
    this.bus = bus;
    this.#timeoutMs = timeoutMs;
  }

  /** Receives alerts; called once by {@link connectWalletClient}. */
  async listen(): Promise<void> {
    await this.bus.subscribe('ops:alert', (event: Envelope<OpsAlert>) => {
      this.alerts.push(event.data);
      for (const wake of this.#alertWaiters) wake();
    });
  }

  /** Submits a transaction; resolves with its ledger line (completed or rejected). */
  submit(tx: SubmitTransaction): Promise<LedgerEntry> {
    return this.#request('transaction:submit', tx);
  }

  /** The ledger. */
  ledger(): Promise<readonly LedgerEntry[]> {
    return this.#request('transaction:ledger', {});
  }

  /** Every balance. */
  balances(): Promise<WalletReplies['wallet:balances']> {
    return this.#request('wallet:balances', {});
  }

  /** The wallet's dead-letter audit log. */
  deadLetters(): Promise<WalletReplies['wallet:dead-letters']> {
    return this.#request('wallet:dead-letters', {});
  }

  /** The provider registry's view. */
  providers(): Promise<WalletReplies['provider:status']> {
    return this.#request('provider:status', {});
  }

  /** Plays a provider outage (`failing`, `down`) or its end (`up`). */
  simulateProvider(providerId: string, mode: ProviderMode): Promise<WalletReplies['provider:simulate']> {
    return this.#request('provider:simulate', { providerId, mode });
  }

  /** Plays a wallet database outage; its end also replays the recoverable dead letters. */
  simulateWalletStore(down: boolean): Promise<WalletReplies['wallet:simulate-store']> {
    return this.#request('wallet:simulate-store', { down });
  }

  /** Health of every service, asked in parallel; a service that does not answer is `unreachable`. */
  async health(): Promise<HealthReport> {
    const results = await Promise.allSettled(
      WALLET_SERVICES.map((service) =>
        this.bus.request<`${typeof service}:health`, ServiceHealth>(
          `${service}:health`,
          {},
          { timeoutMs: this.#timeoutMs },
        ),
      ),
    );
    const services: Record<string, HealthReport['services'][string]> = {};
    results.forEach((result, i) => {
      services[WALLET_SERVICES[i]!] =
        result.status === 'fulfilled'
          ? result.value
          : {
              status: 'unreachable',
              error: result.reason instanceof Error ? result.reason.message : 'failed',
            };
    });
    const statuses = Object.values(services).map((s) => s.status);
    const status = statuses.some((s) => s === 'unhealthy' || s === 'unreachable')
      ? 'unhealthy'
      : statuses.includes('degraded')
        ? 'degraded'
        : 'healthy';
    return { status, services };
  }

  /** Resolves once the wallet has applied `transactionId` (read-your-writes for the next step). */
  async waitApplied(transactionId: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.#request('wallet:applied', { transactionId })).applied) {
      if (Date.now() > deadline) throw new Error(`${transactionId} not applied within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Resolves with the first alert (already seen or arriving) that `match` accepts. */
  waitForAlert(match: (alert: OpsAlert) => boolean, timeoutMs = 10_000): Promise<OpsAlert> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.alerts.find(match);
        if (found === undefined) return false;
        this.#alertWaiters.delete(wake);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const wake = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        this.#alertWaiters.delete(wake);
        reject(new Error(`no matching alert within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#alertWaiters.add(wake);
      check();
    });
  }

  /** Disconnects. */
  close(): Promise<void> {
    return this.bus.close();
  }

  #request<K extends keyof WalletReplies & keyof WalletMessages>(
    type: K,
    data: WalletMessages[K],
  ): Promise<WalletReplies[K]> {
    return this.bus.request<K, WalletReplies[K]>(type, data, { timeoutMs: this.#timeoutMs });
  }
}

/**
 * Connects a client to the services of a deployment.
 *
 * @example
 * ```ts
 * const client = await connectWalletClient({ deployment: deploymentFromEnv(process.env) });
 * ```
 */
export async function connectWalletClient(options: WalletClientOptions): Promise<WalletClient> {
  const bus = createBus<WalletMessages>({
    transport: options.deployment.transport(),
    source: 'wallet-client',
    routes: options.deployment.topics.routes,
  });
  const client = new WalletClient(bus, options.requestTimeoutMs ?? 5_000);
  try {
    await client.listen();
  } catch (error) {
    await bus.close();
    throw error;
  }
  return client;
}
