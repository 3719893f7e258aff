/**
 * The NATS transport and the bus over it beside raw nats.js (@nats-io/transport-node + @nats-io/jetstream v3) and
 * the peers (moleculer over its NATS transporter, NestJS microservices over NATS), against the same nats-server
 * in the same run (the one at NATS_URL / 127.0.0.1:4222, else a private one started here and stopped at the end).
 *
 * - core pub -> sub, 256 B: 1000 messages published and all received per operation (transport level);
 * - events, publish -> handler: raw nats.js with JSON, the bus (envelope, headers, JSON), moleculer and NestJS,
 *   the same window of sends in flight, until the handler has seen every message;
 * - request/reply, sequential: p50 and p99 latency, raw, transport, bus, moleculer, NestJS;
 * - JetStream publish, pipelined: 1000 messages in flight per operation (raw: Promise.all of js.publish);
 * - JetStream consume with ack: a stream prefilled once, each round a fresh durable consumer reads all of it;
 * - scaling of core pub -> sub against messages in flight and payload size (bench/nats-scaling.ts), and the same
 *   for JetStream publish -> consume + ack (bench/nats-jetstream-scaling.ts);
 * - heap per message after a million messages through the bus over core NATS, and after 200 000 through the
 *   transport in JetStream mode.
 *
 * Targets: >= 0.8x raw throughput, <= 1.2x raw p50 latency, >= 2x moleculer and NestJS.
 *
 * `NATS_BENCH=core,events,request,heap,jspub,jsconsume,scaling,jsscaling,jsheap` runs only the parts named (all
 * by default), for measuring one part in isolation.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, headers as natsHeaders, nuid } from '@nats-io/transport-node';
import { findOrStartNatsServer } from '../scripts/nats/server.js';
import { type Bus, createBus } from '../src/bus/index.js';
import type { WireMessage } from '../src/envelope/types.js';
import { natsTransport } from '../src/transport/nats/index.js';
import {
  busEventTargets,
  counter,
  formatOps,
  ratio as formatRatio,
  heapGrowth,
  heapNote,
  latencyScenario,
  note,
  onCleanup,
  main as runMain,
  scenario,
  smoke,
  table,
  target,
  title,
  windowed,
  windowedCase,
} from './harness.js';
import { jetStreamHeapPerMessage, jetStreamScaling } from './nats-jetstream-scaling.js';
import { natsScaling } from './nats-scaling.js';
import { moleculerOverNats, nestOverNats, type Peer } from './peers.js';

title('NATS (bench/nats.bench.ts)');

const only = process.env.NATS_BENCH?.split(',').map((part) => part.trim());
/** Whether a part of this bench runs (`NATS_BENCH` lists the parts; all when unset). */
function want(part: string): boolean {
  return only === undefined || only.includes(part);
}

const BATCH = 1000;
/** Events per operation, and sends in flight, in the events scenario. */
const EVENTS = 2000;
const WINDOW = 256;
const event = { taskId: 't-123', userId: 'u-42', title: 'Water the plants', priority: 2, tags: ['home'] };
const payload = new Uint8Array(256).fill(0x61);
/** The headers the bus sends over NATS for one event in binary mode. */
const CE_HEADER_NAMES = ['ce-specversion', 'ce-id', 'ce-source', 'ce-type', 'ce-time', 'ce-datacontenttype'];
const run = nuid.next().slice(-8);
const streamPrefix = `SWBBENCH${run}_`;

function waiter(): { bump(n?: number): void; until(target: number): Promise<void>; readonly count: number } {
  let count = 0;
  let goal = Number.POSITIVE_INFINITY;
  let wake: (() => void) | undefined;
  return {
    get count() {
      return count;
    },
    bump(n = 1) {
      count += n;
      if (count >= goal && wake !== undefined) {
        const w = wake;
        wake = undefined;
        w();
      }
    },
    until(target: number) {
      if (count >= target) return Promise.resolve();
      goal = target;
      return new Promise<void>((resolve) => {
        wake = resolve;
      });
    },
  };
}

async function corePubSub(url: string): Promise<void> {
  const rawPub = await connect({ servers: url });
  const rawSub = await connect({ servers: url });
  const rawSubject = `bench.raw.${run}`;
  const rawSeen = waiter();
  rawSub.subscribe(`${rawSubject}.*`, { callback: () => rawSeen.bump() });
  await rawSub.flush();

  const pub = natsTransport({ servers: url, mode: 'core' });
  const sub = natsTransport({ servers: url, mode: 'core' });
  const topic = `bench.swb.${run}`;
  const seen = waiter();
  await sub.subscribe(
    topic,
    (d) => {
      seen.bump();
      return d.ack();
    },
    { concurrency: BATCH, ordered: false },
  );
  await pub.connect();
  const messages: WireMessage[] = Array.from({ length: BATCH }, () => ({
    key: 'k',
    headers: {},
    body: payload,
  }));
  try {
    const results = await scenario(
      `core NATS pub -> sub, 256 B, transport level, ${BATCH} messages per op`,
      [
        {
          name: 'raw nats.js publish + subscribe',
          anchor: true,
          fn: async () => {
            const goal = rawSeen.count + BATCH;
            for (let i = 0; i < BATCH; i++) rawPub.publish(`${rawSubject}.k`, payload);
            await rawSeen.until(goal);
          },
        },
        {
          name: 'switchboard publishBatch + subscribe',
          fn: async () => {
            const goal = seen.count + BATCH;
            await pub.publishBatch(topic, messages);
            await seen.until(goal);
          },
        },
        {
          name: 'switchboard publish x1000 (not awaited one by one) + subscribe',
          fn: async () => {
            const goal = seen.count + BATCH;
            const pending: Promise<unknown>[] = [];
            for (const m of messages) pending.push(pub.publish(topic, m));
            await Promise.all(pending);
            await seen.until(goal);
          },
        },
      ],
      { unitsPerOp: BATCH },
    );
    const ratio = results[1]?.ratioToAnchor ?? 0;
    target(
      'core pub -> sub >= 0.8x raw',
      ratio >= 0.8,
      `${ratio.toFixed(2)}x; ${formatOps((results[1]?.opsPerSec ?? 0) * BATCH)} vs ${formatOps((results[0]?.opsPerSec ?? 0) * BATCH)} raw msg/s`,
    );
  } finally {
    await Promise.all([pub.close(), sub.close(), rawPub.close(), rawSub.close()]);
  }
}

/** Two buses over core NATS, one publishing and one subscribed to `task.created.v1` (and answering `echo.v1`). */
async function busPair(url: string, onEvent: () => void, contentMode: 'binary' | 'structured' = 'binary') {
  const tag = contentMode === 'binary' ? run : `s${run}`;
  const routes = { 'task.created.v1': `bench.events.${tag}`, 'echo.v1': `bench-echo-${tag}` };
  const publisher = createBus({
    transport: natsTransport({ servers: url, mode: 'core' }),
    source: 'bench-pub',
    routes,
    contentMode,
  });
  const consumer = createBus({
    transport: natsTransport({ servers: url, mode: 'core' }),
    source: 'bench-sub',
    routes,
    contentMode,
  });
  await consumer.subscribe('task.created.v1', () => onEvent(), { concurrency: WINDOW, ordered: false });
  await consumer.respond('echo.v1', (request) => request.data);
  await publisher.transport.connect();
  return {
    publisher,
    close: async () => {
      await Promise.all([publisher.close({ graceMs: 0 }), consumer.close({ graceMs: 0 })]);
    },
  };
}

async function events(url: string): Promise<void> {
  const rawPub = await connect({ servers: url });
  const rawSub = await connect({ servers: url });
  onCleanup(() => Promise.all([rawPub.close(), rawSub.close()]));
  const rawSubject = `bench.rawevents.${run}`;
  const rawSeen = counter();
  const utf8 = new TextDecoder();
  const encoder = new TextEncoder();
  rawSub.subscribe(rawSubject, {
    callback: (_e, m) => {
      JSON.parse(utf8.decode(m.data));
      rawSeen.tick();
    },
  });
  await rawSub.flush();
  // The same raw path carrying the headers the bus sends for this event (binary-mode CloudEvents, NATS binding),
  // built per message with nats.js's own `headers()` and read back by name: the client's cost of the envelope's
  // headers, without the envelope.
  const headedSubject = `bench.rawheaded.${run}`;
  const headedSeen = counter();
  rawSub.subscribe(headedSubject, {
    callback: (_e, m) => {
      const h = m.headers;
      for (const name of CE_HEADER_NAMES) h?.get(name);
      JSON.parse(utf8.decode(m.data));
      headedSeen.tick();
    },
  });
  await rawSub.flush();
  const headedPublish = (): void => {
    const h = natsHeaders();
    h.set('ce-specversion', '1.0');
    h.set('ce-id', '01a20075-5785-70d7-91ae-6d894ea1945f');
    h.set('ce-source', 'bench-pub');
    h.set('ce-type', 'task.created.v1');
    h.set('ce-time', new Date().toISOString());
    h.set('ce-datacontenttype', 'application/json');
    rawPub.publish(headedSubject, encoder.encode(JSON.stringify(event)), { headers: h });
  };
  const busSeen = counter();
  const buses = await busPair(url, () => busSeen.tick());
  onCleanup(buses.close);
  const structuredSeen = counter();
  const structured = await busPair(url, () => structuredSeen.tick(), 'structured');
  onCleanup(structured.close);
  const peers: { peer: Peer; seen: ReturnType<typeof counter> }[] = [];
  for (const make of [moleculerOverNats, nestOverNats]) {
    const seen = counter();
    try {
      const peer = await make(url, () => seen.tick(), run);
      onCleanup(() => peer.close());
      peers.push({ peer, seen });
    } catch (error) {
      note(`peer left out: ${make.name}: ${String(error)}`);
    }
  }
  // Core subscriptions are live once one message has gone through.
  let done = busSeen.until(1);
  await buses.publisher.publish('task.created.v1', event);
  await done;
  done = structuredSeen.until(1);
  await structured.publisher.publish('task.created.v1', event);
  await done;
  if (want('events')) {
    const results = await scenario(
      `events over core NATS, publish -> handler, ${EVENTS} per op, ${WINDOW} in flight`,
      [
        {
          name: 'raw nats.js publish (JSON) + subscribe',
          anchor: true,
          fn: async () => {
            const handled = rawSeen.until(EVENTS);
            for (let i = 0; i < EVENTS; i++)
              rawPub.publish(rawSubject, encoder.encode(JSON.stringify(event)));
            await handled;
          },
        },
        {
          name: 'raw, plus the six CloudEvents headers the bus sends (reference)',
          fn: async () => {
            const handled = headedSeen.until(EVENTS);
            for (let i = 0; i < EVENTS; i++) headedPublish();
            await handled;
          },
        },
        windowedCase('switchboard bus (envelope) publish + subscribe', busSeen, EVENTS, WINDOW, () =>
          buses.publisher.publish('task.created.v1', event),
        ),
        windowedCase("switchboard bus, contentMode 'structured'", structuredSeen, EVENTS, WINDOW, () =>
          structured.publisher.publish('task.created.v1', event),
        ),
        ...peers.map(({ peer, seen }) =>
          windowedCase(peer.name, seen, EVENTS, WINDOW, () => peer.emit(event), true),
        ),
      ],
      { unitsPerOp: EVENTS },
    );
    busEventTargets('NATS', 'raw nats.js', results);
  }
  if (want('request')) {
    await requestReply(
      url,
      buses.publisher,
      peers.map((p) => p.peer),
    );
  }
  if (want('heap')) {
    done = busSeen.until(1);
    await buses.publisher.publish('task.created.v1', event);
    await done;
    await heapPerMessage(buses.publisher, busSeen);
  }
}

async function requestReply(url: string, bus: Bus, peers: Peer[]): Promise<void> {
  const raw = await connect({ servers: url });
  const rawSubject = `bench.rr.${run}`;
  raw.subscribe(rawSubject, {
    callback: (_e, m) => {
      m.respond(m.data);
    },
  });
  await raw.flush();
  const transport = natsTransport({ servers: url, mode: 'core' });
  const topic = `bench-rr-${run}`;
  await transport.respond(topic, async (request) => ({ headers: {}, body: request.body }));
  const request: WireMessage = { headers: {}, body: payload };
  try {
    const results = await latencyScenario(
      'request/reply, sequential, 256 B (bus and peers: a small JSON object)',
      [
        {
          name: 'raw nats.js request',
          anchor: true,
          fn: () => raw.request(rawSubject, payload, { timeout: 5000 }),
        },
        {
          name: 'switchboard transport.request',
          fn: () => transport.request(topic, request, { timeoutMs: 5000 }),
        },
        {
          name: 'switchboard bus.request (envelope)',
          fn: () => bus.request('echo.v1', event, { timeoutMs: 5000 }),
        },
        ...peers.map((peer) => ({ name: peer.name, fn: () => peer.request(event) })),
      ],
    );
    const [rawStats, ours, viaBus] = results as [
      (typeof results)[0],
      (typeof results)[0],
      (typeof results)[0],
    ];
    target(
      'transport request/reply p50 <= 1.2x raw',
      ours.p50 <= 1.2 * rawStats.p50,
      `${formatRatio(ours.p50, rawStats.p50)} raw p50`,
    );
    target(
      'bus request/reply p50 <= 1.2x raw',
      viaBus.p50 <= 1.2 * rawStats.p50,
      `${formatRatio(viaBus.p50, rawStats.p50)} raw p50 (the bus adds the envelope both ways)`,
    );
    for (const peer of results.slice(3)) {
      target(
        `bus requests/s >= 2x ${peer.name}`,
        viaBus.opsPerSec >= 2 * peer.opsPerSec,
        `${formatRatio(viaBus.opsPerSec, peer.opsPerSec)}; p50 ${viaBus.p50.toFixed(0)} vs ${peer.p50.toFixed(0)} µs`,
      );
    }
  } finally {
    await Promise.all([transport.close(), raw.close()]);
  }
}

/** Heap growth per message across a million messages through the bus over core NATS (should be about zero). */
async function heapPerMessage(bus: Bus, seen: ReturnType<typeof counter>): Promise<void> {
  const send = async (n: number) => {
    const handled = seen.until(n);
    await windowed(n, WINDOW, () => bus.publish('task.created.v1', event));
    await handled;
  };
  const heap = await heapGrowth(send, { warmup: 10_000, total: smoke ? 10_000 : 1_000_000 });
  if (heap !== undefined) note(heapNote('messages through the bus over core NATS', heap));
}

async function jetStreamPublish(url: string, nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const rawStream = `${streamPrefix}RAWPUB`;
  await jsm.streams.add({ name: rawStream, subjects: [`bench.jsraw.${run}.*`], max_msgs: 200_000 });
  const transport = natsTransport({
    servers: url,
    streamPrefix,
    streamDefaults: { maxMsgs: 200_000 },
  });
  const topic = `bench-jspub-${run}`;
  await transport.ensureTopic(topic);
  const messages: WireMessage[] = Array.from({ length: BATCH }, (_, i) => ({
    key: `k${i % 16}`,
    headers: {},
    body: payload,
  }));
  try {
    const results = await scenario(
      `JetStream publish, pipelined (${BATCH} in flight per op)`,
      [
        {
          name: 'raw js.publish x1000 then Promise.all',
          anchor: true,
          fn: () =>
            Promise.all(
              Array.from({ length: BATCH }, (_, i) => js.publish(`bench.jsraw.${run}.k${i % 16}`, payload)),
            ),
        },
        { name: 'switchboard publishBatch', fn: () => transport.publishBatch(topic, messages) },
      ],
      { unitsPerOp: BATCH },
    );
    const ratio = results[1]?.ratioToAnchor ?? 0;
    target(
      'JetStream publish >= 0.8x raw',
      ratio >= 0.8,
      `${ratio.toFixed(2)}x; ${formatOps((results[1]?.opsPerSec ?? 0) * BATCH)} vs ${formatOps((results[0]?.opsPerSec ?? 0) * BATCH)} raw msg/s`,
    );
  } finally {
    await transport.close();
  }
}

async function jetStreamConsume(url: string, nc: NatsConnection): Promise<void> {
  const total = smoke ? 2000 : 20_000;
  const rounds = smoke ? 1 : 5;
  const concurrency = 256;
  const transport = natsTransport({ servers: url, streamPrefix });
  const topic = `bench-jsconsume-${run}`;
  await transport.ensureTopic(topic);
  const fill: WireMessage[] = Array.from({ length: BATCH }, (_, i) => ({
    key: `k${i % 16}`,
    headers: {},
    body: payload,
  }));
  for (let i = 0; i < total; i += BATCH) await transport.publishBatch(topic, fill);
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const stream = `${streamPrefix}${topic.replaceAll('.', '_')}`;
  const timings = { raw: [] as number[], switchboard: [] as number[] };
  try {
    for (let r = 0; r < rounds; r++) {
      // raw: a durable pull consumer read with consume(), acking every message
      const name = `raw${r}`;
      await jsm.consumers.add(stream, { durable_name: name, ack_policy: 'explicit', max_ack_pending: 1000 });
      const consumer = await js.consumers.get(stream, name);
      let start = performance.now();
      const rawSeen = waiter();
      const messages = await consumer.consume({ max_messages: 512 });
      const loop = (async () => {
        for await (const m of messages) {
          m.ack();
          rawSeen.bump();
          if (rawSeen.count >= total) break;
        }
      })();
      await rawSeen.until(total);
      timings.raw.push(performance.now() - start);
      await loop;
      await messages.close();
      await jsm.consumers.delete(stream, name);

      const seen = waiter();
      start = performance.now();
      const sub = await transport.subscribe(
        topic,
        (d) => {
          seen.bump();
          return d.ack();
        },
        { group: `swb${r}`, concurrency, ordered: false },
      );
      await seen.until(total);
      timings.switchboard.push(performance.now() - start);
      await sub.close();
      await jsm.consumers.delete(stream, `swb${r}`);
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 1;
    const rawRate = (total * 1000) / median(timings.raw);
    const swbRate = (total * 1000) / median(timings.switchboard);
    table({
      title: `JetStream consume + ack (${total} messages, median of ${rounds} rounds)`,
      anchors: ['raw consumer.consume() + ack'],
      columns: ['case', 'msg/s', 'ratio to anchor'],
      rows: [
        ['raw consumer.consume() + ack', formatOps(rawRate), '1.00x'],
        [
          `switchboard subscribe (concurrency ${concurrency}) + ack`,
          formatOps(swbRate),
          `${(swbRate / rawRate).toFixed(2)}x`,
        ],
      ],
    });
    target(
      'JetStream consume + ack >= 0.8x raw',
      swbRate / rawRate >= 0.8,
      `${(swbRate / rawRate).toFixed(2)}x`,
    );
  } finally {
    await transport.close();
  }
}

async function main(): Promise<void> {
  const server = await findOrStartNatsServer();
  onCleanup(() => server.stop());
  const admin = await connect({ servers: server.url });
  onCleanup(async () => {
    const jsm = await jetstreamManager(admin);
    for await (const name of jsm.streams.names())
      if (name.startsWith(streamPrefix)) await jsm.streams.delete(name);
    await admin.close();
  });
  note(`nats-server: ${server.url}${server.owned ? ' (started for this run)' : ''}`);
  if (want('core')) await corePubSub(server.url);
  if (want('events') || want('request') || want('heap')) await events(server.url);
  if (want('jspub')) await jetStreamPublish(server.url, admin);
  if (want('jsconsume')) await jetStreamConsume(server.url, admin);
  if (want('scaling')) await natsScaling(server.url, run);
  if (want('jsscaling')) await jetStreamScaling(server.url, run, streamPrefix);
  if (want('jsheap')) await jetStreamHeapPerMessage(server.url, run, streamPrefix, admin);
  note('NestJS over Kafka is measured in bench/kafka.bench.ts, which owns the Kafka broker.');
}

await runMain(main);
