/**
 * Simulated payment providers: a fee schedule, a latency, and a switch to play an outage. They stand in for the
 * on- and off-ramp providers of seed 003.
 *
 * @module
 */
import { SwitchboardError } from '../../src/index.js';
import { sleep } from '../shared/sleep.js';
import type { ProviderDirection, ProviderMode } from './contracts.js';
import { Money } from './money.js';

/** A provider's terms. */
export interface ProviderProfile {
  readonly id: string;
  /** Lower wins a tie between equal quotes; the backup has the highest. */
  readonly priority: number;
  /** Percentage fee in basis points. */
  readonly feeBps: number;
  /** Fixed fee in minor units, per currency. */
  readonly fixedFee?: Readonly<Record<string, number>>;
}

/** The three providers of the example: two regular ones with different fee shapes, and a dear backup. */
export const DEFAULT_PROVIDERS: readonly ProviderProfile[] = [
  { id: 'swiftpay', priority: 1, feeBps: 150, fixedFee: { USD: 30, EUR: 30 } },
  { id: 'ledgerlink', priority: 2, feeBps: 250 },
  { id: 'backupbank', priority: 3, feeBps: 400 },
];

/** Counts of calls a provider received. */
export interface ProviderCalls {
  health: number;
  quote: number;
  execute: number;
}

function unavailable(id: string, what: string): SwitchboardError {
  return new SwitchboardError('SWB_TRANSPORT_UNAVAILABLE', `provider ${id}: ${what}`, {
    retryable: true,
    details: { providerId: id },
  });
}

/**
 * One simulated provider.
 *
 * @example
 * ```ts
 * const provider = new SimulatedProvider(DEFAULT_PROVIDERS[0]!, { latencyMs: 5 });
 * const fee = await provider.quote('deposit', Money.of(10_000, 'USD')); // USD 1.80
 * ```
 */
export class SimulatedProvider {
  readonly profile: ProviderProfile;
  /** `up`, `failing` (answers health checks but fails payments) or `down`. */
  mode: ProviderMode = 'up';
  readonly calls: ProviderCalls = { health: 0, quote: 0, execute: 0 };
  /** Calls running right now, and the most there ever were (quotes are asked in parallel). */
  inFlight = 0;
  maxInFlight = 0;
  /** How long each call takes, ms; raise it to play a provider that hangs. */
  latencyMs: number;

  constructor(profile: ProviderProfile, options: { latencyMs?: number } = {}) {
    this.profile = profile;
    this.latencyMs = options.latencyMs ?? 5;
  }

  get id(): string {
    return this.profile.id;
  }

  /** Resolves when the provider's API answers. */
  async health(signal?: AbortSignal): Promise<void> {
    this.calls.health++;
    await this.#call(signal);
    if (this.mode === 'down') throw unavailable(this.id, 'health check failed');
  }

  /** The fee for moving `amount`. */
  async quote(_direction: ProviderDirection, amount: Money, signal?: AbortSignal): Promise<Money> {
    this.calls.quote++;
    await this.#call(signal);
    if (this.mode === 'down') throw unavailable(this.id, 'quote failed');
    const fixed = this.profile.fixedFee?.[amount.currency] ?? 0;
    return amount.basisPoints(this.profile.feeBps).add(Money.of(fixed, amount.currency));
  }

  /** Moves the money; returns the provider's reference. */
  async execute(transactionId: string, _direction: ProviderDirection, signal?: AbortSignal): Promise<string> {
    this.calls.execute++;
    await this.#call(signal);
    if (this.mode !== 'up') throw unavailable(this.id, 'payment failed');
    return `${this.id}-${transactionId}`;
  }

  async #call(signal: AbortSignal | undefined): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await sleep(this.latencyMs, signal);
    } finally {
      this.inFlight--;
    }
  }
}
