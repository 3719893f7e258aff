/**
 * Picks the transport a service runs on: in-memory (one process, a shared broker), NATS JetStream or Kafka.
 *
 * @module
 */
import { type MemoryBroker, memoryTransport, type Transport } from '../../../src/index.js';
import { kafkaTransport } from '../../../src/transport/kafka/index.js';
import { natsTransport } from '../../../src/transport/nats/index.js';

/** Which broker. */
export type TransportKind = 'memory' | 'nats' | 'kafka';

/** Options of {@link createTransport}. */
export interface CreateTransportOptions {
  readonly kind: TransportKind;
  /** In-memory: the broker the services of this process share. */
  readonly broker?: MemoryBroker;
  /** NATS: server URLs. Default `nats://127.0.0.1:4222`. */
  readonly natsUrl?: string;
  /** NATS: stream name prefix (tests use a unique one). */
  readonly streamPrefix?: string;
  /** Kafka: bootstrap brokers. Default `127.0.0.1:9092`. */
  readonly kafkaBrokers?: readonly string[];
  /** Kafka client id: the service name. */
  readonly clientId: string;
}

/**
 * Creates the transport of one service.
 *
 * @example
 * ```ts
 * const transport = createTransport({ kind: 'nats', natsUrl: 'nats://127.0.0.1:4222', clientId: 'backend-api' });
 * ```
 */
export function createTransport(options: CreateTransportOptions): Transport {
  switch (options.kind) {
    case 'memory':
      return memoryTransport(options.broker === undefined ? {} : { broker: options.broker });
    case 'nats':
      return natsTransport({
        servers: options.natsUrl ?? 'nats://127.0.0.1:4222',
        ...(options.streamPrefix === undefined ? {} : { streamPrefix: options.streamPrefix }),
      });
    case 'kafka':
      return kafkaTransport({
        bootstrapBrokers: [...(options.kafkaBrokers ?? ['127.0.0.1:9092'])],
        clientId: options.clientId,
        consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, maxWaitTimeMs: 200 },
      });
  }
}

/**
 * Reads `TRANSPORT` (`memory`, `nats` or `kafka`; default `memory`).
 *
 * @example
 * ```ts
 * const kind = transportKindFromEnv(process.env.TRANSPORT);
 * ```
 */
export function transportKindFromEnv(value: string | undefined): TransportKind {
  if (value === undefined || value === '' || value === 'memory') return 'memory';
  if (value === 'nats' || value === 'kafka') return value;
  throw new Error(`TRANSPORT must be memory, nats or kafka (got '${value}')`);
}
