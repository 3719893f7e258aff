/**
 * Seed 003's provider registry: health checks, quotes asked of every healthy provider in parallel, the cheapest
 * chosen, and failover to the next-best provider when a payment fails. Each provider sits behind its own circuit
 * breaker and timeout, so a provider that keeps failing is skipped without being called until its breaker lets
 * a test call through.
 *
 * @module
 */
import {
  type CircuitBreakerPolicy,
  CircuitState,
  circuitBreaker,
  circuitStateName,
  compose,
  SwitchboardError,
  timeout,
} from '../../src/index.js';
import type { ProviderDirection, ProviderReceipt, ProviderStatus } from './contracts.js';
import type { Money } from './money.js';
import type { SimulatedProvider } from './providers.js';

/** Options of {@link ProviderRegistry}. */
export interface ProviderRegistryOptions {
  /** Consecutive failures that open a provider's breaker. Default 2. */
  readonly breakerFailures?: number;
  /** How long an open breaker waits before a test call, ms. Default 30 000. */
  readonly breakerOpenMs?: number;
  /** Per-call timeout of every provider call, ms. Default 1000. */
  readonly callTimeoutMs?: number;
}

interface Entry {
  readonly provider: SimulatedProvider;
  readonly breaker: CircuitBreakerPolicy;
  /** Breaker then timeout: a timeout counts as a failure of the provider. */
  readonly guarded: ReturnType<typeof compose>;
  /** Health checks and quotes: the timeout only, so a slow quote does not open the payment breaker. */
  readonly timed: ReturnType<typeof timeout>;
}

interface Quote {
  readonly entry: Entry;
  readonly fee: Money;
}

/**
 * The registry of one provider service.
 *
 * @example
 * ```ts
 * const registry = new ProviderRegistry(DEFAULT_PROVIDERS.map((p) => new SimulatedProvider(p)));
 * const receipt = await registry.execute('tx-1', 'deposit', Money.of(10_000, 'USD'));
 * ```
 */
export class ProviderRegistry {
  readonly #entries: Entry[];

  constructor(providers: readonly SimulatedProvider[], options: ProviderRegistryOptions = {}) {
    this.#entries = providers.map((provider) => {
      const breaker = circuitBreaker({
        name: `provider:${provider.id}`,
        consecutiveFailures: options.breakerFailures ?? 2,
        halfOpenAfter: options.breakerOpenMs ?? 30_000,
      });
      const timed = timeout({
        duration: options.callTimeoutMs ?? 1_000,
        name: `provider:${provider.id}:timeout`,
      });
      return { provider, breaker, timed, guarded: compose(breaker, timed) };
    });
  }

  /** The breakers by provider id, for `health()` and metrics. */
  get breakers(): Readonly<Record<string, CircuitBreakerPolicy>> {
    return Object.fromEntries(this.#entries.map((e) => [e.provider.id, e.breaker]));
  }

  /** A provider by id. */
  provider(id: string): SimulatedProvider | undefined {
    return this.#entries.find((e) => e.provider.id === id)?.provider;
  }

  /**
   * Health of every provider, checked in parallel: healthy when its breaker is not open and its health check
   * answers in time.
   */
  async status(): Promise<ProviderStatus[]> {
    const healthy = await this.#healthy();
    return this.#entries.map((entry) => ({
      providerId: entry.provider.id,
      healthy: healthy.includes(entry),
      breaker: circuitStateName(entry.breaker.state),
    }));
  }

  /**
   * Pays through the cheapest healthy provider, failing over to the next-cheapest when a payment fails.
   * Rejects with a retryable `SWB_TRANSPORT_UNAVAILABLE` when no provider could do it.
   */
  async execute(
    transactionId: string,
    direction: ProviderDirection,
    amount: Money,
  ): Promise<ProviderReceipt> {
    const quotes = await this.#quotes(direction, amount);
    const failedOver: string[] = [];
    for (const { entry, fee } of quotes) {
      try {
        const reference = await entry.guarded.execute(({ signal }) =>
          entry.provider.execute(transactionId, direction, signal),
        );
        return { providerId: entry.provider.id, fee: fee.toJSON(), reference, failedOver };
      } catch {
        // The breaker has counted it; the next quote is the backup.
        failedOver.push(entry.provider.id);
      }
    }
    throw new SwitchboardError('SWB_TRANSPORT_UNAVAILABLE', 'no payment provider could take the payment', {
      retryable: true,
      details: { tried: failedOver.join(',') },
    });
  }

  /** Quotes of the healthy providers, asked in parallel, cheapest first (ties: by priority). */
  async #quotes(direction: ProviderDirection, amount: Money): Promise<Quote[]> {
    const healthy = await this.#healthy();
    const answers = await Promise.all(
      healthy.map(async (entry): Promise<Quote | undefined> => {
        try {
          const fee = await entry.timed.execute(({ signal }) =>
            entry.provider.quote(direction, amount, signal),
          );
          return { entry, fee };
        } catch {
          return undefined;
        }
      }),
    );
    return answers
      .filter((q): q is Quote => q !== undefined)
      .sort(
        (a, b) =>
          a.fee.compare(b.fee) || a.entry.provider.profile.priority - b.entry.provider.profile.priority,
      );
  }

  /** Providers whose breaker is not open and whose health check passes, checked in parallel. */
  async #healthy(): Promise<Entry[]> {
    const checks = await Promise.all(
      this.#entries.map(async (entry) => {
        if (entry.breaker.state === CircuitState.Open) return false;
        try {
          await entry.timed.execute(({ signal }) => entry.provider.health(signal));
          return true;
        } catch {
          return false;
        }
      }),
    );
    return this.#entries.filter((_, i) => checks[i]);
  }
}
