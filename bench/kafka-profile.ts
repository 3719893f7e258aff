/**
 * A profiling driver for the Kafka paths (not part of `npm run bench`): against a running broker, runs one path
 * for a fixed number of messages so `node --cpu-prof` sees mostly that path; prints the rate and the CPU time per
 * message (steadier than the rate on a shared machine).
 *
 * - `bus`: the bus publish -> subscribe handler (envelope included), 256 in flight;
 * - `raw`: raw @platformatic/kafka, same-tick batched sends of bare JSON + consume with commit, 256 in flight;
 * - `rawheaders`: the same with the six CloudEvents headers the bus sends (built per record from strings, read
 *   back as strings on receipt), to tell the client's cost of the headers from the bus's own;
 * - `publish`: transport publish only (256 B, 7 headers), 256 in flight;
 * - `consume`: transport subscribe + ack over a prefilled topic.
 *
 * ```sh
 * node --import tsx scripts/kafka/cli.ts start     # prints {"bootstrap","dir",...}; stop it with `stop <dir> --rm`
 * npx esbuild bench/kafka-profile.ts --bundle --platform=node --format=esm --outfile=.bench-tmp/kp.mjs \
 *   --packages=external --keep-names
 * KAFKA_BOOTSTRAP=127.0.0.1:<port> node --cpu-prof --cpu-prof-dir=.bench-tmp .bench-tmp/kp.mjs bus|raw|publish|consume [n]
 * ```
 * The broker runs apart (the bundle cannot find the broker's scripts); the group join is idle time in the profile.
 */
import type { WireMessage } from '../src/envelope/types.js';
import { kafkaTransport } from '../src/transport/kafka/index.js';
import { counter, windowed } from './harness.js';
import { ceHeaders, kafkaBusPair } from './kafka-events.js';
import { ENVELOPE_HEADERS, rawConsumer, rawProducer, tickBatcher, untilLive } from './kafka-raw.js';

const path = process.argv[2] ?? 'bus';
const n = Number(process.argv[3] ?? 100_000);
const WINDOW = 256;
const run = Math.random().toString(36).slice(2, 8);
const event = { taskId: 't-123', userId: 'u-42', title: 'Water the plants', priority: 2, tags: ['home'] };
const headers = ENVELOPE_HEADERS;
const wire: WireMessage = { key: 'key-1', headers, body: Buffer.alloc(256, 0x61) };

const bootstrap = process.env.KAFKA_BOOTSTRAP;
if (bootstrap === undefined) throw new Error('KAFKA_BOOTSTRAP=host:port is required');
const bootstrapBrokers = [bootstrap];
{
  const admin = kafkaTransport({ bootstrapBrokers, clientId: 'prof-admin' });
  const topic = `prof-${path}-${run}`;
  await admin.ensureTopic(topic, { partitions: 3 });
  let start = 0;
  let cpu = process.cpuUsage();
  /** Rate and CPU time per message since `start`/`cpu` (CPU time is steadier than rate on a shared machine). */
  const report = (label: string): void => {
    const used = process.cpuUsage(cpu);
    console.log(
      `${label}: ${((n * 1000) / (performance.now() - start)).toFixed(0)} msg/s, ` +
        `${((used.user + used.system) / n).toFixed(1)} µs CPU per message`,
    );
  };
  if (path === 'bus') {
    const seen = counter();
    const pair = await kafkaBusPair(bootstrapBrokers, topic, `prof-${run}`, () => seen.tick());
    await untilLive(
      () => pair.publisher.publish('task.created.v1', event),
      () => seen.count > 0,
    );
    start = performance.now();
    cpu = process.cpuUsage();
    const handled = seen.until(n);
    await windowed(n, WINDOW, () => pair.publisher.publish('task.created.v1', event));
    await handled;
    report('bus');
    await pair.close();
  } else if (path === 'raw' || path === 'rawheaders') {
    const withHeaders = path === 'rawheaders';
    const seen = counter();
    const producer = rawProducer(bootstrapBrokers, 'prof-raw');
    const send = tickBatcher(producer);
    const consumer = await rawConsumer(bootstrapBrokers, topic, `prof-${run}`, (m) => {
      if (withHeaders) {
        const read: Record<string, string> = {};
        for (const [k, v] of m.headerEntries) read[k.toString('utf8')] = v.toString('utf8');
      }
      JSON.parse(m.value.toString('utf8'));
      seen.tick();
    });
    const publish = () =>
      send({
        topic,
        value: Buffer.from(JSON.stringify(event)),
        ...(withHeaders ? { headers: ceHeaders() } : {}),
      });
    await untilLive(publish, () => seen.count > 0);
    start = performance.now();
    cpu = process.cpuUsage();
    const handled = seen.until(n);
    await windowed(n, WINDOW, publish);
    await handled;
    report(path);
    await consumer.close();
    await producer.close();
  } else if (path === 'publish') {
    const transport = kafkaTransport({ bootstrapBrokers, clientId: 'prof-pub' });
    await transport.publish(topic, wire);
    start = performance.now();
    cpu = process.cpuUsage();
    await windowed(n, WINDOW, () => transport.publish(topic, wire));
    report('publish');
    await transport.close();
  } else if (path === 'consume') {
    const filler = kafkaTransport({ bootstrapBrokers, clientId: 'prof-fill' });
    const batch = Array.from({ length: 500 }, () => wire);
    for (let sent = 0; sent < n; sent += batch.length) await filler.publishBatch(topic, batch);
    await filler.close();
    const transport = kafkaTransport({ bootstrapBrokers, clientId: 'prof-consume' });
    const seen = counter();
    const done = seen.until(n);
    await transport.subscribe(
      topic,
      (d) => {
        if (seen.count === 0) {
          start = performance.now();
          cpu = process.cpuUsage();
        }
        void d.message;
        seen.tick();
        return d.ack();
      },
      { group: `prof-${run}`, startFrom: 'earliest', concurrency: 16 },
    );
    await done;
    report('consume');
    await transport.close();
  } else {
    throw new Error(`unknown path ${path}: bus, raw, publish or consume`);
  }
  await admin.close();
}
