/**
 * Events over Kafka, publish -> handler: the bus (CloudEvents envelope in binary mode, idempotent acks=all
 * producer, consumer group committing what the handler acknowledged) beside raw @platformatic/kafka publishing
 * bare JSON with the same producer settings (same-tick sends batched, as the transport does) and consuming with
 * a commit per record, and beside NestJS microservices over Kafka (emit -> @EventPattern). All three get the
 * same window of sends in flight (`windowed()`); an operation ends when the handler has seen every message. Then
 * the heap per message after a long run through the bus over Kafka.
 *
 * Targets: the bus >= 0.8x raw and >= 2x NestJS.
 */
import { type Bus, createBus } from '../src/bus/index.js';
import { kafkaTransport } from '../src/transport/kafka/index.js';
import {
  busEventTargets,
  type Counter,
  counter,
  heapGrowth,
  heapNote,
  note,
  onCleanup,
  scenario,
  smoke,
  windowed,
  windowedCase,
} from './harness.js';
import { type KafkaPeer, nestOverKafka } from './kafka-peers.js';
import { rawConsumer, rawProducer, tickBatcher, untilLive } from './kafka-raw.js';

/** Events per operation and sends in flight. */
const EVENTS = smoke ? 500 : 2000;
const WINDOW = 256;
const event = { taskId: 't-123', userId: 'u-42', title: 'Water the plants', priority: 2, tags: ['home'] };

/** The headers the bus sends over Kafka for one event (binary mode, CloudEvents Kafka binding). */
export function ceHeaders(): Map<Buffer, Buffer> {
  const headers = new Map<Buffer, Buffer>();
  const set = (name: string, value: string) => headers.set(Buffer.from(name), Buffer.from(value));
  set('ce_specversion', '1.0');
  set('ce_id', '01a20075-5785-70d7-91ae-6d894ea1945f');
  set('ce_source', 'bench-pub');
  set('ce_type', 'task.created.v1');
  set('ce_time', new Date().toISOString());
  set('content-type', 'application/json');
  return headers;
}

/** Two buses over Kafka: one publishing `task.created.v1`, one subscribed to it in its own group. */
export async function kafkaBusPair(
  bootstrapBrokers: string[],
  topic: string,
  group: string,
  onEvent: () => void,
  contentMode: 'binary' | 'structured' = 'binary',
): Promise<{ publisher: Bus; close(): Promise<void> }> {
  const routes = { 'task.created.v1': topic };
  const publisher = createBus({
    transport: kafkaTransport({ bootstrapBrokers, clientId: 'bench-bus-pub' }),
    source: 'bench-pub',
    routes,
    contentMode,
  });
  const consumer = createBus({
    transport: kafkaTransport({ bootstrapBrokers, clientId: 'bench-bus-sub' }),
    source: 'bench-sub',
    routes,
    contentMode,
  });
  await consumer.subscribe('task.created.v1', () => onEvent(), {
    group,
    startFrom: 'latest',
    concurrency: WINDOW,
    ordered: false,
  });
  await publisher.transport.connect();
  return {
    publisher,
    close: async () => {
      await Promise.all([publisher.close({ graceMs: 0 }), consumer.close({ graceMs: 0 })]);
    },
  };
}

/** Runs the events scenario, then the heap per message; resources close through the harness's cleanup. */
export async function kafkaEvents(
  bootstrapBrokers: string[],
  run: string,
  ensureTopic: (topic: string) => Promise<void>,
): Promise<void> {
  const topics = {
    raw: `bench-ev-raw-${run}`,
    headers: `bench-ev-hdr-${run}`,
    bus: `bench-ev-bus-${run}`,
    structured: `bench-ev-sbus-${run}`,
    nest: `bench-ev-nest-${run}`,
  };
  for (const topic of Object.values(topics)) await ensureTopic(topic);

  const rawSeen = counter();
  const producer = rawProducer(bootstrapBrokers, 'bench-ev-raw');
  const send = tickBatcher(producer);
  const consumer = await rawConsumer(bootstrapBrokers, topics.raw, `bench-ev-raw-${run}`, (m) => {
    JSON.parse(m.value.toString('utf8'));
    rawSeen.tick();
  });
  onCleanup(async () => {
    await consumer.close();
    await producer.close().catch(() => {});
  });
  const rawPublish = () => send({ topic: topics.raw, value: Buffer.from(JSON.stringify(event)) });
  await untilLive(rawPublish, () => rawSeen.count > 0);

  // The same raw path carrying the six headers the bus sends for this event (binary-mode CloudEvents), built
  // per record from strings and read back as strings: the client's own cost of the envelope's headers.
  const headedSeen = counter();
  const headed = await rawConsumer(bootstrapBrokers, topics.headers, `bench-ev-hdr-${run}`, (m) => {
    const read: Record<string, string> = {};
    for (const [k, v] of m.headerEntries) read[k.toString('utf8')] = v.toString('utf8');
    JSON.parse(m.value.toString('utf8'));
    headedSeen.tick();
  });
  onCleanup(() => headed.close());
  const headedPublish = () =>
    send({ topic: topics.headers, value: Buffer.from(JSON.stringify(event)), headers: ceHeaders() });
  await untilLive(headedPublish, () => headedSeen.count > 0);

  const busSeen = counter();
  const buses = await kafkaBusPair(bootstrapBrokers, topics.bus, `bench-ev-bus-${run}`, () => busSeen.tick());
  onCleanup(buses.close);
  await untilLive(
    () => buses.publisher.publish('task.created.v1', event),
    () => busSeen.count > 0,
  );
  const structuredSeen = counter();
  const structured = await kafkaBusPair(
    bootstrapBrokers,
    topics.structured,
    `bench-ev-sbus-${run}`,
    () => structuredSeen.tick(),
    'structured',
  );
  onCleanup(structured.close);
  await untilLive(
    () => structured.publisher.publish('task.created.v1', event),
    () => structuredSeen.count > 0,
  );

  const peers: { peer: KafkaPeer; seen: Counter }[] = [];
  const nestSeen = counter();
  try {
    const peer = await nestOverKafka(bootstrapBrokers, topics.nest, () => nestSeen.tick(), run);
    onCleanup(() => peer.close());
    await untilLive(
      () => peer.emit(event),
      () => nestSeen.count > 0,
    );
    peers.push({ peer, seen: nestSeen });
  } catch (error) {
    note(`peer left out: NestJS over Kafka: ${String(error)}`);
  }
  // Probes still on their way land here, not in the first measured operation.
  await new Promise((resolve) => setTimeout(resolve, 300));

  const results = await scenario(
    `events over Kafka, publish -> handler, ${EVENTS} per op, ${WINDOW} in flight`,
    [
      {
        name: 'raw @platformatic/kafka send (JSON, same-tick batched) + consume',
        anchor: true,
        fn: async () => {
          const handled = rawSeen.until(EVENTS);
          await windowed(EVENTS, WINDOW, rawPublish);
          await handled;
        },
      },
      {
        name: 'raw, plus the six CloudEvents headers the bus sends (reference)',
        fn: async () => {
          const handled = headedSeen.until(EVENTS);
          await windowed(EVENTS, WINDOW, headedPublish);
          await handled;
        },
      },
      windowedCase('switchboard bus (envelope) publish + subscribe', busSeen, EVENTS, WINDOW, () =>
        buses.publisher.publish('task.created.v1', event),
      ),
      windowedCase(
        "switchboard bus, contentMode 'structured' (one header)",
        structuredSeen,
        EVENTS,
        WINDOW,
        () => structured.publisher.publish('task.created.v1', event),
      ),
      ...peers.map(({ peer, seen }) =>
        windowedCase(peer.name, seen, EVENTS, WINDOW, () => peer.emit(event), true),
      ),
    ],
    { unitsPerOp: EVENTS, ...(smoke ? { roundMs: 100 } : { rounds: 5 }) },
  );
  busEventTargets('Kafka', 'raw @platformatic/kafka', results);
  await heapPerMessage(buses.publisher, busSeen);
}

/** Messages in the heap run: up to 1 M, or what goes through in {@link HEAP_BUDGET_MS} (said in the note). */
const HEAP_TOTAL = Number(process.env.BENCH_KAFKA_HEAP_TOTAL ?? 1_000_000);
const HEAP_BUDGET_MS = 60_000;
const HEAP_CHUNK = 50_000;

/**
 * Heap growth per message across a long run through the bus over Kafka (should be about zero). A million
 * messages take about a minute on a quiet 2-core machine and several on a busy one, so the run stops after the
 * chunk that crosses {@link HEAP_BUDGET_MS} and reports the count it reached.
 */
async function heapPerMessage(bus: Bus, seen: Counter): Promise<void> {
  const goal = smoke ? 5_000 : HEAP_TOTAL;
  const sendAll = async (n: number) => {
    const handled = seen.until(n);
    await windowed(n, WINDOW, () => bus.publish('task.created.v1', event));
    await handled;
  };
  const heap = await heapGrowth(sendAll, {
    warmup: smoke ? 2_000 : 10_000,
    total: goal,
    chunk: HEAP_CHUNK,
    budgetMs: HEAP_BUDGET_MS,
  });
  if (heap === undefined) {
    note('heap per message: run with --expose-gc to measure');
    return;
  }
  const cut =
    heap.total < goal
      ? ` (stopped at the ${HEAP_BUDGET_MS / 1000} s budget, short of ${goal.toLocaleString('en')})`
      : '';
  note(heapNote(`messages through the bus over Kafka${cut}`, heap));
}
