/**
 * Scaling of Kafka publish -> subscribe handler, raw @platformatic/kafka beside the Switchboard transport:
 * throughput and p99 latency against messages in flight (1, 4, 16, 64) and payload size (64 B, 1 KiB, 64 KiB).
 * A closed loop, the shape of bench/nats-scaling.ts: the publisher keeps exactly `inFlight` messages between
 * publish and receipt, each receipt sends the next one; latency is publish to handler, per message.
 *
 * Both sides: an idempotent acks=all producer whose sends of one tick share one produce request (the transport's
 * publisher; bench/kafka-raw.ts for raw), a topic of 3 partitions, keyless records (round-robin), a consumer
 * group committing every record it handled (raw: `message.commit()`, transport: `ack()` with its commit loop).
 */
import type { Transport } from '../src/transport/types.js';
import { smoke } from './harness.js';
import { rawConsumer, rawProducer, tickBatcher, untilLive } from './kafka-raw.js';
import { type Loop, scalingGrid, transportLoop } from './scaling.js';

async function rawLoop(bootstrapBrokers: string[], topic: string, group: string): Promise<Loop> {
  const producer = rawProducer(bootstrapBrokers, `${group}-p`);
  const send = tickBatcher(producer);
  const loop: Loop = {
    send: (_i, body) => send({ topic, value: body }),
    onReceive: () => {},
    close: async () => {
      await consumer.close();
      await producer.close().catch(() => {});
    },
  };
  const consumer = await rawConsumer(bootstrapBrokers, topic, group, (m) =>
    loop.onReceive(m.value.readUInt32BE(0)),
  );
  return loop;
}

/** Runs the scaling grid and prints one table. */
export async function kafkaScaling(
  bootstrapBrokers: string[],
  run: string,
  make: (clientId: string) => Transport,
  ensureTopic: (topic: string) => Promise<void>,
): Promise<void> {
  const topics = { raw: `bench-scale-raw-${run}`, swb: `bench-scale-swb-${run}` };
  for (const topic of Object.values(topics)) await ensureTopic(topic);
  const raw = await rawLoop(bootstrapBrokers, topics.raw, `bench-scale-raw-${run}`);
  const group = `bench-scale-swb-${run}`;
  const ours = await transportLoop(make(`${group}-p`), make(`${group}-c`), topics.swb, {
    group,
    startFrom: 'latest',
    concurrency: 64,
    ordered: false,
  });
  const rounds = smoke ? 1 : 3;
  try {
    for (const loop of [raw, ours]) {
      let arrived = false;
      loop.onReceive = () => {
        arrived = true;
      };
      await untilLive(
        async () => {
          await loop.send(0, Buffer.alloc(64));
        },
        () => arrived,
      );
    }
    // Probes still on their way land here, not in the first measured loop.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await scalingGrid(raw, ours, {
      title: 'Kafka publish -> subscribe scaling',
      anchor: 'raw @platformatic/kafka',
      rounds,
      // A closed loop with few messages in flight is round-trip bound: fewer messages give the same figures.
      total: (size, inFlight) => {
        const base = Math.min(size >= 64 * 1024 ? 1_000 : 4_000, 200 * inFlight);
        return smoke ? Math.min(base / 4, 60) : base;
      },
      warmUp: (total) => (smoke ? 0 : Math.min(total, 100)),
      latencyUnit: 'ms',
    });
  } finally {
    await Promise.all([raw.close(), ours.close()]);
  }
}
