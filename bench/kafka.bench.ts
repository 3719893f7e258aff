/**
 * The Kafka transport beside raw @platformatic/kafka (the anchor) and kafkajs, against one single-node KRaft broker
 * started here by the project's harness (scripts/kafka/broker.ts) and stopped at the end, even on failure.
 *
 * Every producer is idempotent with acks=all (what the transport promises), records are 256 B with a key and the
 * seven headers of a CloudEvents binary-mode envelope.
 * - produce, one at a time: each operation awaits one record's acknowledgement;
 * - produce, batched: each operation sends 100 records in one call (raw `send`, `publishBatch`, kafkajs `send`);
 * - produce, pipelined: each operation starts 100 single publishes at once and awaits them all;
 * - consume with commit: a topic prefilled once; each round a fresh group reads all of it, committing as it goes
 *   (raw: `message.commit()` per record; Switchboard: `ack()`; kafkajs: its default commit after `eachMessage`).
 *   Throughput counts from the first record to the last, so the group join is not part of it.
 *
 * - events, publish -> handler: the bus beside raw @platformatic/kafka (bare JSON) and NestJS microservices over
 *   Kafka, with the same window in flight, then the heap per message after a long run (bench/kafka-events.ts);
 * - scaling of publish -> subscribe against messages in flight and payload size (bench/kafka-scaling.ts).
 *
 * Target: Switchboard >= 0.8x raw in every scenario, and the bus >= 2x NestJS.
 */
import { Consumer, type MessageToProduce, Producer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { type KafkaBroker, startKafkaBroker } from '../scripts/kafka/broker.js';
import type { WireMessage } from '../src/envelope/types.js';
import { kafkaTransport } from '../src/transport/kafka/index.js';
import {
  type BenchResult,
  note,
  onCleanup,
  main as runMain,
  sampledScenario,
  scenario,
  smoke,
  target,
  title,
} from './harness.js';
import { kafkaEvents } from './kafka-events.js';
import { ENVELOPE_HEADERS } from './kafka-raw.js';
import { kafkaScaling } from './kafka-scaling.js';

title('Kafka (bench/kafka.bench.ts)');

const BATCH = 100;
const CONSUME_TOTAL = smoke ? 2000 : 20_000;
const run = Math.random().toString(36).slice(2, 8);
const body = Buffer.alloc(256, 0x61);
const headers = ENVELOPE_HEADERS;
const wire: WireMessage = { key: 'key-1', headers, body };

function rawRecord(topic: string, i = 0): MessageToProduce<Buffer, Buffer, Buffer, Buffer> {
  const map = new Map<Buffer, Buffer>();
  for (const [k, v] of Object.entries(headers)) map.set(Buffer.from(k), Buffer.from(v));
  return { topic, key: Buffer.from(`key-${i % 16}`), value: body, headers: map };
}

function kafkajsRecord(i = 0) {
  return { key: `key-${i % 16}`, value: body, headers };
}

function check(results: BenchResult[], label: string): void {
  const raw = results.find((r) => r.name.startsWith('raw'))!;
  const swb = results.find((r) => r.name.startsWith('switchboard'))!;
  const ratio = swb.opsPerSec / raw.opsPerSec;
  target(`${label} >= 0.8x raw`, ratio >= 0.8, `${ratio.toFixed(2)}x raw`);
}

async function produce(broker: KafkaBroker): Promise<void> {
  const bootstrapBrokers = [broker.bootstrap];
  const raw = new Producer({
    clientId: 'bench-raw',
    bootstrapBrokers,
    idempotent: true,
    autocreateTopics: true,
  });
  const transport = kafkaTransport({ bootstrapBrokers, clientId: 'bench-swb' });
  const kafka = new Kafka({
    clientId: 'bench-kafkajs',
    brokers: bootstrapBrokers,
    logLevel: logLevel.NOTHING,
  });
  const kjs = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
  await kjs.connect();
  onCleanup(async () => {
    await raw.close().catch(() => {});
    await transport.close().catch(() => {});
    await kjs.disconnect().catch(() => {});
  });
  const topics = { raw: `bench-raw-${run}`, swb: `bench-swb-${run}`, kjs: `bench-kjs-${run}` };
  for (const topic of Object.values(topics)) await transport.ensureTopic(topic, { partitions: 3 });

  const rawOne = [rawRecord(topics.raw)];
  const kjsOne = { topic: topics.kjs, messages: [kafkajsRecord()] };
  check(
    await scenario('produce, one at a time (awaited), idempotent acks=all, 256 B', [
      { name: 'raw producer.send()', anchor: true, fn: () => raw.send({ messages: rawOne }) },
      { name: 'switchboard publish()', fn: () => transport.publish(topics.swb, wire) },
      { name: 'kafkajs producer.send()', fn: () => kjs.send(kjsOne) },
    ]),
    'produce one at a time',
  );

  const rawBatch = Array.from({ length: BATCH }, (_, i) => rawRecord(topics.raw, i));
  const swbBatch: WireMessage[] = Array.from({ length: BATCH }, (_, i) => ({
    ...wire,
    key: `key-${i % 16}`,
  }));
  const kjsBatch = { topic: topics.kjs, messages: Array.from({ length: BATCH }, (_, i) => kafkajsRecord(i)) };
  check(
    await scenario(
      `produce, batches of ${BATCH} in one call`,
      [
        { name: 'raw producer.send(100)', anchor: true, fn: () => raw.send({ messages: rawBatch }) },
        { name: 'switchboard publishBatch(100)', fn: () => transport.publishBatch(topics.swb, swbBatch) },
        { name: 'kafkajs producer.send(100)', fn: () => kjs.send(kjsBatch) },
      ],
      { unitsPerOp: BATCH },
    ),
    'produce batched',
  );

  check(
    await scenario(
      `produce, ${BATCH} single publishes in flight at once`,
      [
        {
          name: 'raw 100 x producer.send()',
          anchor: true,
          fn: () => Promise.all(rawBatch.map((r) => raw.send({ messages: [r] }))),
        },
        {
          name: 'switchboard 100 x publish()',
          fn: () => Promise.all(swbBatch.map((m) => transport.publish(topics.swb, m))),
        },
        {
          name: 'kafkajs 100 x producer.send()',
          fn: () => Promise.all(kjsBatch.messages.map((m) => kjs.send({ topic: topics.kjs, messages: [m] }))),
        },
      ],
      { unitsPerOp: BATCH },
    ),
    'produce pipelined',
  );
}

/** Resolves with msgs/s from the first record to the last. */
function rateMeter(total: number): { hit(): void; done: Promise<number> } {
  let count = 0;
  let first = 0;
  let resolve!: (rate: number) => void;
  const done = new Promise<number>((r) => {
    resolve = r;
  });
  return {
    hit() {
      count++;
      if (count === 1) first = performance.now();
      if (count === total) resolve(((total - 1) * 1000) / (performance.now() - first));
    },
    done,
  };
}

async function consume(broker: KafkaBroker): Promise<void> {
  const bootstrapBrokers = [broker.bootstrap];
  const topic = `bench-consume-${run}`;
  const filler = kafkaTransport({ bootstrapBrokers, clientId: 'bench-filler' });
  await filler.ensureTopic(topic, { partitions: 3 });
  const batch: WireMessage[] = Array.from({ length: 500 }, (_, i) => ({ ...wire, key: `key-${i % 16}` }));
  for (let sent = 0; sent < CONSUME_TOTAL; sent += batch.length) await filler.publishBatch(topic, batch);
  await filler.close();
  let round = 0;
  const kafka = new Kafka({
    clientId: 'bench-kafkajs-c',
    brokers: bootstrapBrokers,
    logLevel: logLevel.NOTHING,
  });

  const results = await sampledScenario(
    `consume ${CONSUME_TOTAL} records with commit, fresh group per round`,
    [
      {
        name: 'raw consume() + message.commit()',
        anchor: true,
        sample: async () => {
          const consumer = new Consumer({
            clientId: 'bench-raw-c',
            groupId: `raw-${run}-${round++}`,
            bootstrapBrokers,
          });
          const meter = rateMeter(CONSUME_TOTAL);
          const stream = await consumer.consume({
            topics: [topic],
            mode: 'earliest',
            autocommit: false,
            maxWaitTime: 200,
          });
          stream.on('data', (message) => {
            void (message.commit() as Promise<void>).catch(() => {});
            meter.hit();
          });
          const rate = await meter.done;
          await stream.close();
          await consumer.close(true);
          return rate;
        },
      },
      {
        name: 'switchboard subscribe() + ack()',
        sample: async () => {
          const transport = kafkaTransport({
            bootstrapBrokers,
            clientId: 'bench-swb-c',
            consumer: { maxWaitTimeMs: 200 },
          });
          const meter = rateMeter(CONSUME_TOTAL);
          await transport.subscribe(
            topic,
            (d) => {
              meter.hit();
              return d.ack();
            },
            { group: `swb-${run}-${round++}`, startFrom: 'earliest', concurrency: 16 },
          );
          const rate = await meter.done;
          await transport.close();
          return rate;
        },
      },
      {
        name: 'kafkajs eachMessage (auto commit)',
        sample: async () => {
          const consumer = kafka.consumer({ groupId: `kjs-${run}-${round++}`, maxWaitTimeInMs: 200 });
          await consumer.connect();
          await consumer.subscribe({ topic, fromBeginning: true });
          const meter = rateMeter(CONSUME_TOTAL);
          await consumer.run({
            eachMessage: async () => {
              meter.hit();
            },
          });
          const rate = await meter.done;
          await consumer.disconnect();
          return rate;
        },
      },
    ],
  );
  check(results, 'consume with commit');
}

async function main(): Promise<void> {
  const broker = await startKafkaBroker({ log: (line) => console.error(line) });
  onCleanup(() => broker.destroy());
  note(
    `Apache Kafka 4.1 single node (KRaft) on ${broker.bootstrap}, started for this run; idempotent producers, acks=all`,
  );
  await produce(broker);
  await consume(broker);
  const bootstrapBrokers = [broker.bootstrap];
  const admin = kafkaTransport({ bootstrapBrokers, clientId: 'bench-admin' });
  onCleanup(() => admin.close());
  const ensureTopic = (topic: string) => admin.ensureTopic(topic, { partitions: 3 });
  await kafkaEvents(bootstrapBrokers, run, ensureTopic);
  await kafkaScaling(
    bootstrapBrokers,
    run,
    (clientId) => kafkaTransport({ bootstrapBrokers, clientId }),
    ensureTopic,
  );
}

await runMain(main);
