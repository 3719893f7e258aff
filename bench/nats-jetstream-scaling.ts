/**
 * JetStream beside raw nats.js (@nats-io/jetstream): publish (acknowledged by the stream) -> durable pull consumer ->
 * handler -> ack, as a closed loop against messages in flight (1, 4, 16, 64) and payload size (64 B, 1 KiB,
 * 64 KiB); and the heap per message after 200 000 messages through the transport (a million with
 * NATS_JS_HEAP_MESSAGES=1000000). Each side has its own stream,
 * created here and deleted at the end.
 */
import { type ConsumerMessages, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsTransport } from '../src/transport/nats/index.js';
import { heapGrowth, heapNote, note, smoke } from './harness.js';
import { indexOf, type Loop, scalingGrid, transportLoop } from './scaling.js';

/** Raw nats.js: js.publish (awaits the stream's ack) and a durable consumer read with consume(), acking each. */
async function rawLoop(url: string, stream: string, subject: string): Promise<Loop> {
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await jsm.streams.add({ name: stream, subjects: [subject], max_msgs: 100_000 });
  await jsm.consumers.add(stream, { durable_name: 'raw', ack_policy: 'explicit', max_ack_pending: 1000 });
  const consumer = await js.consumers.get(stream, 'raw');
  let messages: ConsumerMessages | undefined;
  const loop: Loop = {
    send: (_i, body) => js.publish(subject, body),
    onReceive: () => {},
    close: async () => {
      await messages?.close();
      await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    },
  };
  messages = await consumer.consume({ max_messages: 256 });
  void (async () => {
    for await (const m of messages) {
      m.ack();
      loop.onReceive(indexOf(m.data));
    }
  })();
  return loop;
}

/** Runs the JetStream scaling grid and prints one table. */
export async function jetStreamScaling(url: string, run: string, streamPrefix: string): Promise<void> {
  const raw = await rawLoop(url, `${streamPrefix}SCALERAW`, `bench.jsscale.raw.${run}`);
  // The transport in JetStream mode: publish (acknowledged) and a group subscription acking each delivery.
  const topic = `bench-jsscale-${run}`;
  const pub = natsTransport({ servers: url, streamPrefix, streamDefaults: { maxMsgs: 100_000 } });
  await pub.ensureTopic(topic);
  const ours = await transportLoop(pub, natsTransport({ servers: url, streamPrefix }), topic, {
    group: 'scaling',
    concurrency: 64,
    ordered: false,
  });
  try {
    await scalingGrid(raw, ours, {
      title: 'JetStream publish -> consume + ack scaling',
      anchor: 'raw nats.js jetstream',
      rounds: smoke ? 1 : 2,
      // Round-trip bound with few in flight: fewer messages give the same figures.
      total: (size, inFlight) => {
        const base = Math.min(size >= 64 * 1024 ? 400 : 3_000, 250 * inFlight);
        return smoke ? Math.min(base, 20) : base;
      },
      warmUp: (total) => (smoke ? 0 : Math.min(total, 50)),
    });
  } finally {
    await Promise.all([raw.close(), ours.close()]);
  }
}

/**
 * Heap growth per message after `total` messages published (pipelined, acknowledged) and consumed with ack
 * through the transport in JetStream mode; both transports stay open, so what they retain per message shows.
 */
export async function jetStreamHeapPerMessage(
  url: string,
  run: string,
  streamPrefix: string,
  admin: NatsConnection,
): Promise<void> {
  // A million took over 4 minutes on the loaded shared 2-core machine (JetStream stores every message on disk;
  // about 95 s at the rate of a quieter run): 200 000 by default, NATS_JS_HEAP_MESSAGES=1000000 for the full count.
  const total = smoke ? 1_000 : Number(process.env.NATS_JS_HEAP_MESSAGES ?? 200_000);
  const chunk = 1_000;
  /** Published and not yet consumed, at most: the stream keeps a bounded window, the consumer must keep up. */
  const maxLag = 50_000;
  const topic = `bench-jsheap-${run}`;
  const pub = natsTransport({ servers: url, streamPrefix, streamDefaults: { maxMsgs: 300_000 } });
  const sub = natsTransport({ servers: url, streamPrefix });
  await pub.ensureTopic(topic);
  let received = 0;
  let goal = Number.POSITIVE_INFINITY;
  let wake: (() => void) | undefined;
  const until = (target: number): Promise<void> => {
    if (received >= target) return Promise.resolve();
    goal = target;
    return new Promise<void>((resolve) => {
      wake = resolve;
    });
  };
  await sub.subscribe(
    topic,
    (d) => {
      received++;
      if (received >= goal) {
        goal = Number.POSITIVE_INFINITY;
        wake?.();
      }
      return d.ack();
    },
    { group: 'heap', concurrency: 256, ordered: false },
  );
  const batch = Array.from({ length: chunk }, () => ({ headers: {}, body: new Uint8Array(256).fill(0x61) }));
  const send = async (n: number): Promise<void> => {
    const base = received;
    for (let sent = 0; sent < n; sent += chunk) {
      if (sent - (received - base) > maxLag) await until(base + sent - maxLag / 2);
      await pub.publishBatch(topic, batch);
    }
    await until(base + n);
  };
  try {
    const heap = await heapGrowth(send, { warmup: 5 * chunk, total });
    if (heap !== undefined) {
      note(
        heapNote('messages published and consumed with ack through the transport in JetStream mode', heap),
      );
    }
  } finally {
    await Promise.all([pub.close(), sub.close()]);
    const jsm = await jetstreamManager(admin);
    await jsm.streams.delete(`${streamPrefix}${topic.replaceAll('.', '_')}`).catch(() => undefined);
  }
}
