/**
 * Seed 004's topic table and message routing: which topic each message type goes to, and the Kafka settings each
 * topic is provisioned with (partitions, `retention.ms`, `compression.type`, `cleanup.policy`).
 *
 * @module
 */
import { hasTopicProvisioning, type TopicConfig, type Transport } from '../../src/index.js';

/** The four topics of seed 004, with its settings. */
export const MESH_TOPICS = {
  system_events: { partitions: 6, retentionMs: 604_800_000, compression: 'lz4', cleanupPolicy: 'delete' },
  performance_metrics: {
    partitions: 12,
    retentionMs: 2_592_000_000,
    compression: 'snappy',
    cleanupPolicy: 'compact',
  },
  mesh_coordination: {
    partitions: 8,
    retentionMs: 259_200_000,
    compression: 'zstd',
    cleanupPolicy: 'delete',
  },
  agent_lifecycle: { partitions: 4, retentionMs: 1_209_600_000, compression: 'lz4', cleanupPolicy: 'delete' },
} as const satisfies Record<string, TopicConfig>;

/** A topic of the mesh. */
export type MeshTopic = keyof typeof MESH_TOPICS;

/** Every message type the mesh knows, by topic. */
export const TYPES_BY_TOPIC: Readonly<Record<MeshTopic, readonly string[]>> = {
  agent_lifecycle: [
    'agent_spawned',
    'agent_performance_updated',
    'agent_capability_evolved',
    'agent_terminated',
  ],
  mesh_coordination: ['mesh_formed', 'mesh_topology_changed', 'mesh_performance_improved', 'mesh_dissolved'],
  system_events: [
    'system_configuration_changed',
    'optimization_cycle_completed',
    'emergency_state_activated',
    'recovery_process_initiated',
  ],
  performance_metrics: ['performance_metrics_reported'],
};

const TOPIC_OF_TYPE = new Map<string, MeshTopic>(
  Object.entries(TYPES_BY_TOPIC).flatMap(([topic, types]) => types.map((type) => [type, topic as MeshTopic])),
);

/** Whether `name` is one of the mesh's topics. */
export function isMeshTopic(name: string): name is MeshTopic {
  return Object.hasOwn(MESH_TOPICS, name);
}

/**
 * The bus router: each known type to its topic, saga state transitions (`saga.*`) to `mesh_coordination` (seed
 * 004's "choreography_with_event_correlation" runs there), anything else to `system_events`. `prefix` goes in
 * front of every topic (tests use a unique one per run).
 *
 * @example
 * ```ts
 * const bus = createBus({ transport, source: 'agent-mesh', routes: meshRouter() });
 * ```
 */
export function meshRouter(prefix = ''): (type: string) => string {
  return (type) => {
    if (type.startsWith('saga.')) return `${prefix}mesh_coordination`;
    return `${prefix}${TOPIC_OF_TYPE.get(type) ?? 'system_events'}`;
  };
}

/** The topic a known message type belongs to, if it is known. */
export function topicOfType(type: string): MeshTopic | undefined {
  return TOPIC_OF_TYPE.get(type);
}

/**
 * Creates the four topics with the seed's settings where the transport can (Kafka: admin `createTopics`; the
 * in-memory transport: partitions), leaving existing topics as they are.
 *
 * @example
 * ```ts
 * await provisionTopics(kafkaTransport({ bootstrapBrokers: ['127.0.0.1:9092'] }));
 * ```
 */
export async function provisionTopics(transport: Transport, prefix = ''): Promise<string[]> {
  if (!hasTopicProvisioning(transport)) return [];
  const created: string[] = [];
  for (const [topic, config] of Object.entries(MESH_TOPICS)) {
    await transport.ensureTopic(`${prefix}${topic}`, config);
    created.push(`${prefix}${topic}`);
  }
  return created;
}
