/**
 * The provider service: the provider registry behind `provider:execute`, `provider:status` and
 * `provider:simulate` (which plays a provider outage, for demos and tests).
 *
 * Run alone: `TRANSPORT=nats NATS_URL=nats://127.0.0.1:4222 npx tsx examples/wallet/provider-service.ts`.
 *
 * @module
 */
import { type Bus, createBus, SwitchboardError } from '../../src/index.js';
import type { ProviderStatus, WalletMessages } from './contracts.js';
import { serviceHealth } from './health.js';
import { Money } from './money.js';
import { ProviderRegistry } from './provider-registry.js';
import { DEFAULT_PROVIDERS, type ProviderProfile, SimulatedProvider } from './providers.js';
import { resolveSettings, type WalletDeployment, type WalletSettings } from './runtime.js';
import { runWalletServiceProcess } from './service-process.js';

/** Options of {@link startProviderService}. */
export interface ProviderServiceOptions {
  readonly deployment: WalletDeployment;
  readonly settings?: Partial<WalletSettings>;
  /** The providers. Default {@link DEFAULT_PROVIDERS}. */
  readonly providers?: readonly ProviderProfile[];
}

/** A running provider service. */
export interface ProviderService {
  readonly bus: Bus<WalletMessages>;
  readonly registry: ProviderRegistry;
  readonly providers: readonly SimulatedProvider[];
  close(): Promise<void>;
}

/**
 * Starts the provider service on its own bus.
 *
 * @example
 * ```ts
 * const providers = await startProviderService({ deployment: memoryDeployment() });
 * ```
 */
export async function startProviderService(options: ProviderServiceOptions): Promise<ProviderService> {
  const settings = resolveSettings(options.settings);
  const providers = (options.providers ?? DEFAULT_PROVIDERS).map(
    (profile) => new SimulatedProvider(profile, { latencyMs: settings.providerLatencyMs }),
  );
  const registry = new ProviderRegistry(providers, {
    breakerFailures: settings.breakerFailures,
    breakerOpenMs: settings.breakerOpenMs,
    callTimeoutMs: settings.providerTimeoutMs,
  });
  const bus = createBus<WalletMessages>({
    transport: options.deployment.transport(),
    source: 'provider-service',
    routes: options.deployment.topics.routes,
    breakers: registry.breakers,
  });
  const statusOf = async (providerId: string): Promise<ProviderStatus> => {
    const found = (await registry.status()).find((s) => s.providerId === providerId);
    if (found === undefined) {
      throw new SwitchboardError('SWB_CONFIG_INVALID', 'unknown provider', { details: { providerId } });
    }
    return found;
  };
  try {
    await bus.respond('provider:execute', (request) =>
      registry.execute(
        request.data.transactionId,
        request.data.direction,
        Money.fromJSON(request.data.amount),
      ),
    );
    await bus.respond('provider:status', () => registry.status());
    await bus.respond('provider:simulate', (request) => {
      const provider = registry.provider(request.data.providerId);
      if (provider !== undefined) provider.mode = request.data.mode;
      return statusOf(request.data.providerId);
    });
    await bus.respond('provider:health', async () => {
      const statuses = await registry.status();
      const checks = Object.fromEntries(
        statuses.map((s) => [`provider:${s.providerId}`, s.healthy ? 'healthy' : 'degraded']),
      );
      return serviceHealth('provider', bus, checks);
    });
  } catch (error) {
    await bus.close();
    throw error;
  }
  return { bus, registry, providers, close: () => bus.close() };
}

await runWalletServiceProcess(import.meta.url, 'provider', startProviderService);
