/**
 * The NATS transport beside raw nats.js (@nats-io/transport-node + @nats-io/jetstream v3), against the same
 * nats-server in the same run (the one at NATS_URL / 127.0.0.1:4222, else a private one started here).
 *
 * - core pub -> sub, 256 B: 1000 messages published and all received per operation;
 * - request/reply, sequential: p50 and p99 latency;
 * - JetStream publish, pipelined: 1000 messages in flight per operation (raw: Promise.all of js.publish);
 * - JetStream consume with ack: a stream prefilled once, each round a fresh durable consumer reads all of it.
 *
 * Targets: >= 0.8x raw throughput, <= 1.2x raw p50 latency. Moleculer's NATS transporter is left out: it
 * requires the `nats` v2 package, which this project does not install.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, nuid } from '@nats-io/transport-node';
import { findOrStartNatsServer } from '../scripts/nats/server.js';
import type { WireMessage } from '../src/envelope/types.js';
import { natsTransport } from '../src/transport/nats/index.js';
import {
  formatOps,
  latencyScenario,
  note,
  onCleanup,
  main as runMain,
  scenario,
  smoke,
  table,
  target,
  title,
} from './harness.js';

title('NATS (bench/nats.bench.ts)');

const BATCH = 1000;
const payload = new Uint8Array(256).fill(0x61);
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
    const results = await scenario(`core NATS pub -> sub, 256 B (${BATCH} messages per op)`, [
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
    ]);
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

async function requestReply(url: string): Promise<void> {
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
    const [rawStats, ours] = await latencyScenario('request/reply, sequential, 256 B', [
      {
        name: 'raw nats.js request',
        anchor: true,
        fn: () => raw.request(rawSubject, payload, { timeout: 5000 }),
      },
      { name: 'switchboard request', fn: () => transport.request(topic, request, { timeoutMs: 5000 }) },
    ]);
    const ratio = (ours?.p50 ?? 0) / (rawStats?.p50 ?? 1);
    target('request/reply p50 <= 1.2x raw', ratio <= 1.2, `${ratio.toFixed(2)}x raw p50`);
  } finally {
    await Promise.all([transport.close(), raw.close()]);
  }
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
    const results = await scenario(`JetStream publish, pipelined (${BATCH} in flight per op)`, [
      {
        name: 'raw js.publish x1000 then Promise.all',
        anchor: true,
        fn: () =>
          Promise.all(
            Array.from({ length: BATCH }, (_, i) => js.publish(`bench.jsraw.${run}.k${i % 16}`, payload)),
          ),
      },
      { name: 'switchboard publishBatch', fn: () => transport.publishBatch(topic, messages) },
    ]);
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
  const admin = await connect({ servers: server.url });
  try {
    note(`nats-server: ${server.url}${server.owned ? ' (started for this run)' : ''}`);
    await corePubSub(server.url);
    await requestReply(server.url);
    await jetStreamPublish(server.url, admin);
    await jetStreamConsume(server.url, admin);
  } finally {
    const jsm = await jetstreamManager(admin);
    for await (const name of jsm.streams.names())
      if (name.startsWith(streamPrefix)) await jsm.streams.delete(name);
    await admin.close();
    await server.stop();
  }
}

await runMain(main);
