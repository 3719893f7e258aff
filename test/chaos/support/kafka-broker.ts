/**
 * The Kafka broker of a chaos run: started in the background by the global setup, reached here once it is ready,
 * and stopped or started again by the broker-restart scenario through its directory (pid file, ports, data).
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { brokerInfoFromDir, startBrokerInDir, stopBrokerInDir } from '../../../scripts/kafka/broker.js';
import {
  type KafkaTransport,
  type KafkaTransportOptions,
  kafkaTransport,
} from '../../../src/transport/kafka/index.js';
import { runDir } from './env.js';
import { KAFKA_ERROR_FILE, KAFKA_READY_FILE } from './run-files.js';
import { sleep } from './timing.js';

/** Where the broker is. */
export interface ChaosKafka {
  readonly bootstrap: string;
  readonly dir: string;
}

/** Waits (up to `timeoutMs`) for the broker the global setup is starting; rejects when its start failed. */
export async function chaosKafka(timeoutMs = 240_000): Promise<ChaosKafka> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = join(runDir, KAFKA_READY_FILE);
    if (existsSync(ready)) return JSON.parse(readFileSync(ready, 'utf8')) as ChaosKafka;
    const failed = join(runDir, KAFKA_ERROR_FILE);
    if (existsSync(failed))
      throw new Error(`the Kafka broker did not start: ${readFileSync(failed, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`the Kafka broker was not ready after ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** Stops the broker (SIGTERM by its pid file; its data stays). */
export function stopKafka(kafka: ChaosKafka): Promise<void> {
  return stopBrokerInDir(kafka.dir);
}

/** Starts the stopped broker again on the same ports and data; resolves once it answers. */
export async function startKafka(kafka: ChaosKafka): Promise<void> {
  await startBrokerInDir(brokerInfoFromDir(kafka.dir));
}

/** Creates `topic` with `partitions` partitions and waits until every partition has a leader. */
export async function createKafkaTopic(kafka: ChaosKafka, topic: string, partitions: number): Promise<void> {
  const admin = new Admin({ clientId: 'swb-chaos-admin', bootstrapBrokers: [kafka.bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    for (let i = 0; i < 200; i++) {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      const t = metadata.topics.get(topic);
      if (t && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0)) return;
      await sleep(100);
    }
    throw new Error(`topic ${topic} has no leaders`);
  } finally {
    await admin.close();
  }
}

/** A Kafka transport on the chaos broker with short consumer timeouts, so membership changes show quickly. */
export function chaosKafkaTransport(
  kafka: ChaosKafka,
  options: Partial<KafkaTransportOptions> = {},
): KafkaTransport {
  return kafkaTransport({
    bootstrapBrokers: [kafka.bootstrap],
    clientId: 'swb-chaos',
    ...options,
    consumer: {
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
      maxWaitTimeMs: 200,
      ...options.consumer,
    },
  });
}
