/**
 * Stream configuration for a topic: the transport's stream defaults, overlaid with what a {@link TopicConfig}
 * says, mapped to JetStream stream settings.
 *
 * Honoured from `TopicConfig`: `retentionMs` (stream `max_age`), `cleanupPolicy: 'compact'` (keeps the last
 * message per key: `max_msgs_per_subject: 1`), and in `extra`: `storage` (`file`/`memory`), `replicas`,
 * `retention` (`limits`/`interest`/`workqueue`), `duplicateWindowMs`, `maxBytes`, `maxMsgs`, `maxMsgsPerSubject`.
 * Not honoured: `partitions` (a stream orders per subject, that is per key, without partitions) and
 * `compression` (stream compression needs nats-server 2.10).
 *
 * @module
 */
import type { StreamConfig } from '@nats-io/jetstream';
import { SwitchboardError } from '../../errors.js';
import type { TopicConfig } from '../../transport/types.js';
import type { NatsStreamDefaults } from './options.js';

const MS_TO_NS = 1_000_000;

function extraString<T extends string>(
  extra: TopicConfig['extra'],
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = extra?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new SwitchboardError(
      'SWB_CONFIG_INVALID',
      `topic extra.${name} must be one of ${allowed.join(', ')}`,
      {
        details: { option: `extra.${name}` },
      },
    );
  }
  return value as T;
}

function extraNumber(extra: TopicConfig['extra'], name: string): number | undefined {
  const value = extra?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', `topic extra.${name} must be a number`, {
      details: { option: `extra.${name}` },
    });
  }
  return value;
}

/** Merges the transport's defaults with a topic's config (the topic wins). */
export function streamSettings(defaults: NatsStreamDefaults, config: TopicConfig = {}): NatsStreamDefaults {
  const { extra } = config;
  const merged: { -readonly [K in keyof NatsStreamDefaults]: NatsStreamDefaults[K] } = { ...defaults };
  if (config.retentionMs !== undefined) merged.maxAgeMs = config.retentionMs;
  if (config.cleanupPolicy === 'compact') merged.maxMsgsPerSubject = 1;
  merged.storage = extraString(extra, 'storage', ['file', 'memory'] as const) ?? merged.storage;
  merged.retention =
    extraString(extra, 'retention', ['limits', 'interest', 'workqueue'] as const) ?? merged.retention;
  merged.replicas = extraNumber(extra, 'replicas') ?? merged.replicas;
  merged.duplicateWindowMs = extraNumber(extra, 'duplicateWindowMs') ?? merged.duplicateWindowMs;
  merged.maxBytes = extraNumber(extra, 'maxBytes') ?? merged.maxBytes;
  merged.maxMsgs = extraNumber(extra, 'maxMsgs') ?? merged.maxMsgs;
  merged.maxMsgsPerSubject = extraNumber(extra, 'maxMsgsPerSubject') ?? merged.maxMsgsPerSubject;
  return merged;
}

/** The JetStream stream configuration for `name` holding `subjects`. */
export function streamConfig(
  name: string,
  subjects: string[],
  settings: NatsStreamDefaults,
): Partial<StreamConfig> & { name: string } {
  const config: Partial<StreamConfig> & { name: string } = {
    name,
    subjects,
    storage: settings.storage ?? 'file',
    retention: settings.retention ?? 'limits',
    num_replicas: settings.replicas ?? 1,
  } as Partial<StreamConfig> & { name: string };
  if (settings.maxAgeMs !== undefined) config.max_age = settings.maxAgeMs * MS_TO_NS;
  if (settings.duplicateWindowMs !== undefined)
    config.duplicate_window = settings.duplicateWindowMs * MS_TO_NS;
  if (settings.maxBytes !== undefined) config.max_bytes = settings.maxBytes;
  if (settings.maxMsgs !== undefined) config.max_msgs = settings.maxMsgs;
  if (settings.maxMsgsPerSubject !== undefined) config.max_msgs_per_subject = settings.maxMsgsPerSubject;
  return config;
}
