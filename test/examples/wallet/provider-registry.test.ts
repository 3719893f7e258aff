import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProviderDirection } from '../../../examples/wallet/contracts.js';
import { Money } from '../../../examples/wallet/money.js';
import { ProviderRegistry } from '../../../examples/wallet/provider-registry.js';
import {
  DEFAULT_PROVIDERS,
  type ProviderProfile,
  SimulatedProvider,
} from '../../../examples/wallet/providers.js';
import { isSwitchboardError } from '../../../src/index.js';

const usd = (amount: string) => Money.parse(amount, 'USD');

/** Records when each call starts and ends, across providers. */
class TracedProvider extends SimulatedProvider {
  constructor(
    profile: ProviderProfile,
    readonly trace: string[],
    latencyMs = 10,
  ) {
    super(profile, { latencyMs });
  }

  override async quote(direction: ProviderDirection, amount: Money, signal?: AbortSignal): Promise<Money> {
    this.trace.push(`start ${this.id}`);
    try {
      return await super.quote(direction, amount, signal);
    } finally {
      this.trace.push(`end ${this.id}`);
    }
  }
}

function registry(
  options: { breakerFailures?: number; breakerOpenMs?: number; callTimeoutMs?: number } = {},
) {
  const providers = DEFAULT_PROVIDERS.map((p) => new SimulatedProvider(p, { latencyMs: 1 }));
  const byId = Object.fromEntries(providers.map((p) => [p.id, p])) as Record<string, SimulatedProvider>;
  return { providers: byId, registry: new ProviderRegistry(providers, options) };
}

describe('provider registry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks every healthy provider for a quote in parallel', async () => {
    const trace: string[] = [];
    const providers = DEFAULT_PROVIDERS.map((p) => new TracedProvider(p, trace));
    await new ProviderRegistry(providers).execute('tx-1', 'deposit', usd('100.00'));
    // All three quotes started before the first one answered.
    expect(trace.slice(0, 3).every((t) => t.startsWith('start'))).toBe(true);
    expect(trace.filter((t) => t.startsWith('start'))).toHaveLength(3);
  });

  it('chooses the cheapest quote: the fixed fee loses on small amounts, wins on large ones', async () => {
    const { registry: r } = registry();
    expect((await r.execute('tx-1', 'deposit', usd('10.00'))).providerId).toBe('ledgerlink'); // 0.25 < 0.45
    expect((await r.execute('tx-2', 'deposit', usd('100.00'))).providerId).toBe('swiftpay'); // 1.80 < 2.50
    const receipt = await r.execute('tx-3', 'withdraw', usd('100.00'));
    expect(receipt).toEqual({
      providerId: 'swiftpay',
      fee: usd('1.80').toJSON(),
      reference: 'swiftpay-tx-3',
      failedOver: [],
    });
  });

  it('breaks ties by priority', async () => {
    // At 30.00 both charge 0.75.
    const { registry: r } = registry();
    expect((await r.execute('tx-1', 'deposit', usd('30.00'))).providerId).toBe('swiftpay');
  });

  it('leaves out providers whose health check fails, without asking them for a quote', async () => {
    const { registry: r, providers } = registry();
    providers.swiftpay!.mode = 'down';
    const receipt = await r.execute('tx-1', 'deposit', usd('100.00'));
    expect(receipt.providerId).toBe('ledgerlink');
    expect(receipt.failedOver).toEqual([]);
    expect(providers.swiftpay!.calls).toEqual({ health: 1, quote: 0, execute: 0 });
  });

  it('fails over to the backup through the breaker, which opens after two failures and skips the provider', async () => {
    const { registry: r, providers } = registry({ breakerFailures: 2, breakerOpenMs: 60_000 });
    const swiftpay = providers.swiftpay!;
    swiftpay.mode = 'failing';
    const first = await r.execute('tx-1', 'deposit', usd('100.00'));
    expect(first).toMatchObject({ providerId: 'ledgerlink', failedOver: ['swiftpay'] });
    expect((await r.status()).find((s) => s.providerId === 'swiftpay')).toMatchObject({ breaker: 'closed' });
    const second = await r.execute('tx-2', 'deposit', usd('100.00'));
    expect(second).toMatchObject({ providerId: 'ledgerlink', failedOver: ['swiftpay'] });
    expect(swiftpay.calls.execute).toBe(2);
    expect(await r.status()).toEqual([
      { providerId: 'swiftpay', healthy: false, breaker: 'open' },
      { providerId: 'ledgerlink', healthy: true, breaker: 'closed' },
      { providerId: 'backupbank', healthy: true, breaker: 'closed' },
    ]);
    const quotesBefore = swiftpay.calls.quote;
    const third = await r.execute('tx-3', 'deposit', usd('100.00'));
    expect(third).toMatchObject({ providerId: 'ledgerlink', failedOver: [] });
    expect(swiftpay.calls.quote).toBe(quotesBefore);
    expect(swiftpay.calls.execute).toBe(2);
  });

  it('lets a test call through once the breaker has been open long enough, and closes on success', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { registry: r, providers } = registry({ breakerFailures: 1, breakerOpenMs: 10_000 });
    providers.swiftpay!.mode = 'failing';
    await r.execute('tx-1', 'deposit', usd('100.00'));
    expect(r.breakers.swiftpay!.stateName).toBe('open');
    providers.swiftpay!.mode = 'up';
    vi.setSystemTime(Date.now() + 10_001);
    expect((await r.execute('tx-2', 'deposit', usd('100.00'))).providerId).toBe('swiftpay');
    expect(r.breakers.swiftpay!.stateName).toBe('closed');
  });

  it('counts a provider that does not answer in time as failed', async () => {
    const slow = new SimulatedProvider(DEFAULT_PROVIDERS[0]!, { latencyMs: 1 });
    const r = new ProviderRegistry([slow, new SimulatedProvider(DEFAULT_PROVIDERS[2]!, { latencyMs: 1 })], {
      callTimeoutMs: 30,
      breakerFailures: 1,
    });
    const execute = slow.execute.bind(slow);
    slow.execute = (id, direction, signal) => {
      slow.latencyMs = 500; // health check and quote were quick; the payment hangs
      return execute(id, direction, signal);
    };
    const receipt = await r.execute('tx-1', 'deposit', usd('100.00'));
    expect(receipt).toMatchObject({ providerId: 'backupbank', failedOver: ['swiftpay'] });
    expect(r.breakers.swiftpay!.stateName).toBe('open');
  });

  it('rejects with a retryable SWB_TRANSPORT_UNAVAILABLE when no provider can pay', async () => {
    const { registry: r, providers } = registry();
    for (const p of Object.values(providers)) p.mode = 'failing';
    const error = await r.execute('tx-1', 'deposit', usd('1.00')).catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'SWB_TRANSPORT_UNAVAILABLE')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect((error as { details: { tried: string } }).details.tried).toBe('ledgerlink,backupbank,swiftpay'); // cheapest first;
    expect(r.provider('nope')).toBeUndefined();
  });
});
