/**
 * Test-side access to the broker of the `kafka` project: its address, a restart that works from a worker, and
 * the admin chores tests share (fresh topic names, topic creation, committed offsets).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import { inject } from 'vitest';
import { brokerInfoFromDir, startBrokerInDir, stopBrokerInDir } from '../../scripts/kafka/broker.js';
import { ensureTopic } from '../../src/transport/kafka/topics.js';
import './kafka-provided.js';

/** The broker address, or `''` when the global setup could not start one (never in CI: it fails there). */
export const kafkaBootstrap: string = inject('kafkaBootstrap');

/** Why the kafka tests are skipped, for `skipWithout()` (test/support/broker-skip.ts); empty when a broker runs. */
export const kafkaUnavailableReason: string = inject('kafkaUnavailableReason');

/** A topic name no other test uses. */
export function uniqueTopic(prefix = 'swb-test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

// Broker control runs one operation at a time: the conformance reconnect scenario starts its second restart
// without awaiting the first, and a stop landing in the middle of a start would leave two JVMs fighting over the
// ports (the loser hangs in its shutdown and the pid file names it instead of the broker that runs).
let control: Promise<unknown> = Promise.resolve();
function serialized<T>(operation: () => Promise<T>): Promise<T> {
  const next = control.then(operation, operation);
  control = next.catch(() => {});
  return next;
}

/** Stops the shared broker by pid (its data stays). */
export function stopKafka(): Promise<void> {
  return serialized(() => stopBrokerInDir(inject('kafkaBrokerDir')));
}

/** Starts the shared broker again on the same ports and data, and waits until it answers. */
export function startKafka(): Promise<void> {
  return serialized(async () => {
    await startBrokerInDir(brokerInfoFromDir(inject('kafkaBrokerDir')));
  });
}

/** Stops and starts the shared broker (same ports, same data). */
export function restartKafka(): Promise<void> {
  return serialized(async () => {
    const dir = inject('kafkaBrokerDir');
    await stopBrokerInDir(dir);
    await startBrokerInDir(brokerInfoFromDir(dir));
  });
}

/** Runs `fn` with a short-lived admin client. */
export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ clientId: 'switchboard-test-admin', bootstrapBrokers: [kafkaBootstrap] });
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/** Creates a topic with `partitions` partitions (an existing one is left alone) and waits for its leaders. */
export async function createTopic(topic: string, partitions = 1): Promise<void> {
  await withAdmin((admin) => ensureTopic(admin, topic, { partitions }));
}

/** The committed offset of each partition of `topic` for `group` (-1 where none). */
export async function committedOffsets(group: string, topic: string, partitions = 1): Promise<bigint[]> {
  return withAdmin(async (admin) => {
    const groups = await admin.listConsumerGroupOffsets({
      groups: [
        { groupId: group, topics: [{ name: topic, partitionIndexes: [...Array(partitions).keys()] }] },
      ],
    });
    const result: bigint[] = Array.from({ length: partitions }, () => -1n);
    for (const g of groups) {
      for (const t of g.topics) {
        for (const p of t.partitions) result[p.partitionIndex] = p.committedOffset;
      }
    }
    return result;
  });
}
