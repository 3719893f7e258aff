import type { Admin } from '@platformatic/kafka';
import { SwitchboardError } from '../../errors.js';
import type { TopicConfig } from '../types.js';
import { toKafkaError } from './errors.js';

/**
 * The topic-level configs a {@link TopicConfig} stands for (seed 004's topic table: partitions, `retention.ms`,
 * `compression.type`, `cleanup.policy`), plus `extra` passed through as strings.
 *
 * @internal
 */
export function topicConfigEntries(config: TopicConfig): { name: string; value: string }[] {
  const entries: { name: string; value: string }[] = [];
  if (config.retentionMs !== undefined)
    entries.push({ name: 'retention.ms', value: String(config.retentionMs) });
  if (config.compression !== undefined) {
    // Kafka calls "no compression" `uncompressed` at topic level (`producer` keeps whatever the producer sent).
    entries.push({
      name: 'compression.type',
      value: config.compression === 'none' ? 'uncompressed' : config.compression,
    });
  }
  if (config.cleanupPolicy !== undefined)
    entries.push({ name: 'cleanup.policy', value: config.cleanupPolicy });
  for (const [name, value] of Object.entries(config.extra ?? {}))
    entries.push({ name, value: String(value) });
  return entries;
}

function isAlreadyExists(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const e = error as { apiId?: unknown; errors?: unknown };
  if (e.apiId === 'TOPIC_ALREADY_EXISTS') return true;
  return Array.isArray(e.errors) && e.errors.some((inner) => isAlreadyExists(inner, depth + 1));
}

/**
 * Creates `topic` with `config` when it does not exist; an existing topic is left as it is (its partitions and
 * configs are not changed). Waits until every partition has a leader, so a publish right after it does not race
 * the controller.
 *
 * @internal
 */
export async function ensureTopic(admin: Admin, topic: string, config: TopicConfig = {}): Promise<void> {
  if (config.partitions !== undefined && (!Number.isInteger(config.partitions) || config.partitions < 1)) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', 'topic partitions must be a positive integer', {
      details: { topic, partitions: config.partitions },
    });
  }
  try {
    await admin.createTopics({
      topics: [topic],
      partitions: config.partitions ?? -1,
      replicas: -1,
      configs: topicConfigEntries(config),
    });
  } catch (error) {
    if (!isAlreadyExists(error))
      throw toKafkaError('SWB_TRANSPORT_UNAVAILABLE', 'create topic', error, { topic });
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      const t = metadata.topics.get(topic);
      if (t && t.partitions.length > 0 && t.partitions.every((p) => p && p.leader >= 0)) return;
    } catch {
      // the topic may not be visible in metadata yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
