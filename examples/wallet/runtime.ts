/**
 * What changes between the monolith and the distributed deployment: the transport (in-memory broker shared by the
 * services of one process, or NATS JetStream) and the topic prefix. Nothing else does.
 *
 * @module
 */
import { type MemoryBroker, memoryBroker, memoryTransport, type Transport } from '../../src/index.js';
import { natsTransport } from '../../src/transport/nats/index.js';
import { type WalletTopics, walletTopics } from './contracts.js';

/** Where the services run. */
export interface WalletDeployment {
  /** `memory` or `nats`. */
  readonly kind: 'memory' | 'nats';
  /** A new transport for one service's bus. */
  readonly transport: () => Transport;
  /** Topic names. */
  readonly topics: WalletTopics;
}

/** Options of {@link memoryDeployment}. */
export interface MemoryDeploymentOptions {
  /** The broker the services share; a new one by default. */
  readonly broker?: MemoryBroker;
  readonly topicPrefix?: string;
}

/**
 * The modular monolith: every service of this process on one in-memory broker.
 *
 * @example
 * ```ts
 * const deployment = memoryDeployment();
 * const wallet = await startWalletService({ deployment });
 * ```
 */
export function memoryDeployment(options: MemoryDeploymentOptions = {}): WalletDeployment {
  const broker = options.broker ?? memoryBroker();
  return {
    kind: 'memory',
    transport: () => memoryTransport({ broker }),
    topics: walletTopics(options.topicPrefix),
  };
}

/** Options of {@link natsDeployment}. */
export interface NatsDeploymentOptions {
  readonly natsUrl: string;
  readonly topicPrefix?: string;
  /** Prefix of the JetStream streams the transport creates (tests delete everything under it). */
  readonly streamPrefix?: string;
}

/**
 * Separate processes on NATS JetStream: the same services, another transport.
 *
 * @example
 * ```ts
 * const deployment = natsDeployment({ natsUrl: 'nats://127.0.0.1:4222' });
 * ```
 */
export function natsDeployment(options: NatsDeploymentOptions): WalletDeployment {
  return {
    kind: 'nats',
    transport: () =>
      natsTransport({
        servers: options.natsUrl,
        ...(options.streamPrefix === undefined ? {} : { streamPrefix: options.streamPrefix }),
        // Redeliveries are driven by the bus's nack delays; a short ack wait only matters for crashed processes.
        ackWaitMs: 5_000,
        idleHeartbeatMs: 1_000,
      }),
    topics: walletTopics(options.topicPrefix),
  };
}

/**
 * Reads the deployment from the environment: `TRANSPORT` (`memory`, default, or `nats`), `NATS_URL` (default
 * `nats://127.0.0.1:4222`), `TOPIC_PREFIX` and `STREAM_PREFIX`.
 *
 * @example
 * ```ts
 * const deployment = deploymentFromEnv(process.env);
 * ```
 */
export function deploymentFromEnv(env: NodeJS.ProcessEnv): WalletDeployment {
  const kind = env.TRANSPORT ?? 'memory';
  const topicPrefix = env.TOPIC_PREFIX ?? '';
  if (kind === 'memory' || kind === '') return memoryDeployment({ topicPrefix });
  if (kind !== 'nats') throw new Error(`TRANSPORT must be memory or nats (got '${kind}')`);
  return natsDeployment({
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    topicPrefix,
    ...(env.STREAM_PREFIX === undefined ? {} : { streamPrefix: env.STREAM_PREFIX }),
  });
}

/** Tuning shared by the services; the defaults suit a demo, tests shorten the waits. */
export interface WalletSettings {
  /** Broker redelivery delay of a failed `transaction:completed`, ms. Default 200. */
  readonly redeliveryDelayMs: number;
  /** Deliveries before a `transaction:completed` is dead-lettered. Default 3. */
  readonly maxDeliveries: number;
  /** In-process retries of the wallet's handler: attempts and first delay (exponential). Default 2, 20 ms. */
  readonly retryAttempts: number;
  readonly retryDelayMs: number;
  /** A dead-letter replay ends once the topic was quiet this long, ms. Default 500. */
  readonly replayIdleMs: number;
  /** Consecutive failures that open a provider's breaker. Default 2. */
  readonly breakerFailures: number;
  /** How long an open provider breaker stays open, ms. Default 30 000. */
  readonly breakerOpenMs: number;
  /** Per-call timeout of a provider's health check, quote and payment, ms. Default 1000. */
  readonly providerTimeoutMs: number;
  /** Simulated latency of each provider call, ms. Default 5. */
  readonly providerLatencyMs: number;
  /** Timeout of requests between services, ms. Default 5000. */
  readonly requestTimeoutMs: number;
}

/** The defaults of {@link WalletSettings}. */
export const DEFAULT_WALLET_SETTINGS: WalletSettings = Object.freeze({
  redeliveryDelayMs: 200,
  maxDeliveries: 3,
  retryAttempts: 2,
  retryDelayMs: 20,
  replayIdleMs: 500,
  breakerFailures: 2,
  breakerOpenMs: 30_000,
  providerTimeoutMs: 1_000,
  providerLatencyMs: 5,
  requestTimeoutMs: 5_000,
});

const SETTING_ENV: Readonly<Record<keyof WalletSettings, string>> = {
  redeliveryDelayMs: 'REDELIVERY_DELAY_MS',
  maxDeliveries: 'MAX_DELIVERIES',
  retryAttempts: 'RETRY_ATTEMPTS',
  retryDelayMs: 'RETRY_DELAY_MS',
  replayIdleMs: 'REPLAY_IDLE_MS',
  breakerFailures: 'BREAKER_FAILURES',
  breakerOpenMs: 'BREAKER_OPEN_MS',
  providerTimeoutMs: 'PROVIDER_TIMEOUT_MS',
  providerLatencyMs: 'PROVIDER_LATENCY_MS',
  requestTimeoutMs: 'REQUEST_TIMEOUT_MS',
};

/**
 * Settings from the environment (`REDELIVERY_DELAY_MS`, `MAX_DELIVERIES`, ...), defaults for the rest.
 *
 * @example
 * ```ts
 * const settings = settingsFromEnv(process.env);
 * ```
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv): WalletSettings {
  const out: Record<string, number> = { ...DEFAULT_WALLET_SETTINGS };
  for (const [key, name] of Object.entries(SETTING_ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0 (got '${raw}')`);
    out[key] = value;
  }
  return out as unknown as WalletSettings;
}

/**
 * The settings to environment variables, to hand to a child process.
 *
 * @example
 * ```ts
 * spawn(process.execPath, args, { env: { ...process.env, ...settingsToEnv(settings) } });
 * ```
 */
export function settingsToEnv(settings: Partial<WalletSettings>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    const name = SETTING_ENV[key as keyof WalletSettings];
    if (name !== undefined && value !== undefined) out[name] = String(value);
  }
  return out;
}

/** Settings with `overrides` applied over the defaults. */
export function resolveSettings(overrides: Partial<WalletSettings> = {}): WalletSettings {
  return { ...DEFAULT_WALLET_SETTINGS, ...overrides };
}
