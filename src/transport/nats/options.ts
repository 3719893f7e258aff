/**
 * Options of {@link natsTransport} and their defaults.
 *
 * @module
 */
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { SwitchboardError } from '../../errors.js';

/**
 * `core`: plain NATS, at-most-once, nothing stored; `jetstream`: streams and durable pull consumers,
 * at-least-once.
 */
export type NatsMode = 'core' | 'jetstream';

/** Stream settings applied when the transport creates a stream for a topic (JetStream mode). */
export interface NatsStreamDefaults {
  /** `file` (default) or `memory`. */
  readonly storage?: 'file' | 'memory';
  /** Replicas, default 1. */
  readonly replicas?: number;
  /** `limits` (default), `interest` or `workqueue`. */
  readonly retention?: 'limits' | 'interest' | 'workqueue';
  /** Oldest message kept, in ms; 0 (default) keeps them until another limit applies. */
  readonly maxAgeMs?: number;
  /** Window in which a repeated `Nats-Msg-Id` is recognised as a duplicate. Server default 2 minutes. */
  readonly duplicateWindowMs?: number;
  /** Largest stream size in bytes, -1 (default) for no limit. */
  readonly maxBytes?: number;
  /** Most messages kept, -1 (default) for no limit. */
  readonly maxMsgs?: number;
  /** Most messages kept per key (subject), -1 (default) for no limit; 1 gives a compacted topic. */
  readonly maxMsgsPerSubject?: number;
}

/** Settings of the transport itself, whatever the connection. */
export interface NatsTransportSettings {
  /** `jetstream` (default) or `core`. */
  readonly mode?: NatsMode;
  /** Prepended to every topic to make its subject prefix. Default `''`. */
  readonly subjectPrefix?: string;
  /**
   * Prepended to the topic for request/reply subjects (`<requestPrefix><topic>.<key-token>`). Default `rpc.`, so
   * requests never land in a topic's stream. Use `''` to answer plain subjects of other NATS services.
   */
  readonly requestPrefix?: string;
  /** Prefix of the stream names the transport makes. Default `SWB_`. */
  readonly streamPrefix?: string;
  /** Names the stream of a topic; default `<streamPrefix><topic with . as _>`. */
  readonly streamName?: (topic: string) => string;
  /** Settings of streams the transport creates. */
  readonly streamDefaults?: NatsStreamDefaults;
  /** Create a topic's stream on first publish or subscribe when missing. Default `true`. */
  readonly autoProvision?: boolean;
  /** JetStream `ack_wait` of the consumers the transport makes. Default 30 000 ms. */
  readonly ackWaitMs?: number;
  /** JetStream `max_ack_pending` of the consumers it makes (shared by a whole group). Default 1000. */
  readonly maxAckPending?: number;
  /** Messages a subscription fetches ahead of its `concurrency`. Default equal to `concurrency`. */
  readonly prefetch?: number;
  /** Lifetime of one pull request. Default 30 000 ms (the server's minimum sensible value is 1 000). */
  readonly pullExpiresMs?: number;
  /** Idle heartbeat asked of the server per pull; two missed ones mark the consumer stalled. Default 5 000 ms. */
  readonly idleHeartbeatMs?: number;
  /** Deadline for the broker to confirm a publish (JetStream ack or core flush). Default 5 000 ms. */
  readonly publishTimeoutMs?: number;
  /** JetStream publishes in flight at once in `publishBatch`. Default 1024. */
  readonly publishWindow?: number;
  /** Core mode: messages queued locally per subscription before new ones are dropped (with an error event). Default 10 000. */
  readonly coreMaxQueued?: number;
  /** A private (group-less) JetStream consumer left behind by a crashed process is removed after this long. Default 1 hour. */
  readonly privateConsumerInactiveMs?: number;
}

/** Use a connection you already have; the transport never closes it. */
export interface NatsExistingConnection {
  readonly connection: NatsConnection;
}

/** Let the transport connect (and close the connection on `close()`): nats.js connection options. */
export type NatsOwnConnection = NodeConnectionOptions & { readonly connection?: undefined };

/**
 * Options of `natsTransport`: transport settings plus either a connection or nats.js connection options.
 *
 * @example
 * ```ts
 * const options: NatsTransportOptions = {
 *   servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'],
 *   mode: 'jetstream',
 *   ackWaitMs: 60_000,
 *   streamDefaults: { duplicateWindowMs: 120_000, replicas: 3 },
 * };
 * ```
 */
export type NatsTransportOptions = NatsTransportSettings & (NatsExistingConnection | NatsOwnConnection);

const SETTING_KEYS: readonly (keyof NatsTransportSettings | 'connection')[] = [
  'connection',
  'mode',
  'subjectPrefix',
  'requestPrefix',
  'streamPrefix',
  'streamName',
  'streamDefaults',
  'autoProvision',
  'ackWaitMs',
  'maxAckPending',
  'prefetch',
  'pullExpiresMs',
  'idleHeartbeatMs',
  'publishTimeoutMs',
  'publishWindow',
  'coreMaxQueued',
  'privateConsumerInactiveMs',
];

/** Settings with every default filled in. */
export type ResolvedNatsSettings = Required<Omit<NatsTransportSettings, 'streamName' | 'prefetch'>> & {
  readonly streamName: ((topic: string) => string) | undefined;
  readonly prefetch: number | undefined;
};

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) {
    throw new SwitchboardError(
      'SWB_CONFIG_INVALID',
      `natsTransport option ${name} must be a number >= ${min}`,
      {
        details: { option: name, min },
      },
    );
  }
  return value;
}

/** Fills in defaults and checks numbers; throws `SWB_CONFIG_INVALID`. */
export function resolveSettings(options: NatsTransportSettings): ResolvedNatsSettings {
  const mode = options.mode ?? 'jetstream';
  if (mode !== 'core' && mode !== 'jetstream') {
    throw new SwitchboardError('SWB_CONFIG_INVALID', 'natsTransport mode must be core or jetstream', {
      details: { option: 'mode' },
    });
  }
  const idleHeartbeatMs = positive('idleHeartbeatMs', options.idleHeartbeatMs, 5000, 100);
  const pullExpiresMs = positive('pullExpiresMs', options.pullExpiresMs, 30_000, 1000);
  if (idleHeartbeatMs * 2 > pullExpiresMs) {
    throw new SwitchboardError(
      'SWB_CONFIG_INVALID',
      'idleHeartbeatMs must be at most half of pullExpiresMs',
      {
        details: { option: 'idleHeartbeatMs' },
      },
    );
  }
  return {
    mode,
    subjectPrefix: options.subjectPrefix ?? '',
    requestPrefix: options.requestPrefix ?? 'rpc.',
    streamPrefix: options.streamPrefix ?? 'SWB_',
    streamName: options.streamName,
    streamDefaults: options.streamDefaults ?? {},
    autoProvision: options.autoProvision ?? true,
    ackWaitMs: positive('ackWaitMs', options.ackWaitMs, 30_000, 100),
    maxAckPending: positive('maxAckPending', options.maxAckPending, 1000),
    prefetch: options.prefetch === undefined ? undefined : positive('prefetch', options.prefetch, 0, 0),
    pullExpiresMs,
    idleHeartbeatMs,
    publishTimeoutMs: positive('publishTimeoutMs', options.publishTimeoutMs, 5000),
    publishWindow: positive('publishWindow', options.publishWindow, 1024),
    coreMaxQueued: positive('coreMaxQueued', options.coreMaxQueued, 10_000),
    privateConsumerInactiveMs: positive(
      'privateConsumerInactiveMs',
      options.privateConsumerInactiveMs,
      3_600_000,
      1000,
    ),
  };
}

/** The nats.js connection options inside transport options (our own settings removed). */
export function connectionOptionsOf(options: NatsTransportOptions): NodeConnectionOptions {
  const copy: Record<string, unknown> = { ...options };
  for (const key of SETTING_KEYS) delete copy[key];
  return copy as NodeConnectionOptions;
}
