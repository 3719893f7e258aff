/**
 * A profiling driver for the NATS paths (not part of `npm run bench`): runs one path for a fixed number of
 * messages so `node --cpu-prof` sees only that path, and prints the rate.
 *
 * ```sh
 * npx esbuild bench/nats-profile.ts --bundle --platform=node --format=esm --outfile=.bench-tmp/np.mjs \
 *   --packages=external --keep-names
 * node --cpu-prof --cpu-prof-dir=.bench-tmp node .bench-tmp/np.mjs core|raw|bus|rawjson|request|busrequest [n]
 * node --import tsx bench/nats-profile-summary.ts .bench-tmp/<file>.cpuprofile
 * ```
 */
import { connect, nuid } from '@nats-io/transport-node';
import { createBus } from '../src/bus/index.js';
import type { WireMessage } from '../src/envelope/types.js';
import { type NatsTransport, natsTransport } from '../src/transport/nats/index.js';
import { counter, windowed } from './harness.js';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const path = process.argv[2] ?? 'core';
const n = Number(process.argv[3] ?? 200_000);
const run = nuid.next().slice(-8);
const payload = new Uint8Array(256).fill(0x61);
const event = { taskId: 't-123', userId: 'u-42', title: 'Water the plants', priority: 2, tags: ['home'] };
const BATCH = 1000;
const WINDOW = 256;

async function core(): Promise<number> {
  const pub = natsTransport({ servers: url, mode: 'core' });
  const sub = natsTransport({ servers: url, mode: 'core' });
  const topic = `prof.core.${run}`;
  const seen = counter();
  await sub.subscribe(
    topic,
    (d) => {
      seen.tick();
      return d.ack();
    },
    { concurrency: BATCH, ordered: false },
  );
  await pub.connect();
  await new Promise((r) => setTimeout(r, 100));
  const messages: WireMessage[] = Array.from({ length: BATCH }, () => ({
    key: 'k',
    headers: {},
    body: payload,
  }));
  const start = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const done = seen.until(BATCH);
    await pub.publishBatch(topic, messages);
    await done;
  }
  const ms = performance.now() - start;
  await Promise.all([pub.close(), sub.close()]);
  return ms;
}

async function raw(): Promise<number> {
  const pub = await connect({ servers: url });
  const sub = await connect({ servers: url });
  const subject = `prof.raw.${run}`;
  const seen = counter();
  sub.subscribe(`${subject}.*`, { callback: () => seen.tick() });
  await sub.flush();
  const start = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const done = seen.until(BATCH);
    for (let j = 0; j < BATCH; j++) pub.publish(`${subject}.k`, payload);
    await done;
  }
  const ms = performance.now() - start;
  await Promise.all([pub.close(), sub.close()]);
  return ms;
}

async function bus(): Promise<number> {
  const routes = { 'task.created.v1': `prof.events.${run}` };
  const publisher = createBus({
    transport: natsTransport({ servers: url, mode: 'core' }),
    source: 'p',
    routes,
  });
  const consumer = createBus({
    transport: natsTransport({ servers: url, mode: 'core' }),
    source: 's',
    routes,
  });
  const seen = counter();
  await consumer.subscribe('task.created.v1', () => seen.tick(), { concurrency: WINDOW, ordered: false });
  await publisher.transport.connect();
  await new Promise((r) => setTimeout(r, 100));
  const start = performance.now();
  const done = seen.until(n);
  await windowed(n, WINDOW, () => publisher.publish('task.created.v1', event));
  await done;
  const ms = performance.now() - start;
  await Promise.all([publisher.close(), consumer.close()]);
  return ms;
}

async function request(viaBus: boolean): Promise<number> {
  const routes = { 'echo.v1': `prof-echo-${run}` };
  const a = createBus({ transport: natsTransport({ servers: url, mode: 'core' }), source: 'a', routes });
  const b = createBus({ transport: natsTransport({ servers: url, mode: 'core' }), source: 'b', routes });
  await b.respond('echo.v1', (r) => r.data);
  const topic = `prof-rr-${run}`;
  await (b.transport as NatsTransport).respond(topic, async (req) => ({ headers: {}, body: req.body }));
  const t = a.transport as NatsTransport;
  await t.connect();
  const message: WireMessage = { headers: {}, body: payload };
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    if (viaBus) await a.request('echo.v1', event, { timeoutMs: 5000 });
    else await t.request(topic, message, { timeoutMs: 5000 });
  }
  const ms = performance.now() - start;
  await Promise.all([a.close(), b.close()]);
  return ms;
}

const paths: Record<string, () => Promise<number>> = {
  core,
  raw,
  bus,
  request: () => request(false),
  busrequest: () => request(true),
};
const fn = paths[path];
if (fn === undefined) throw new Error(`unknown path ${path}`);
const cpuBefore = process.cpuUsage();
const ms = await fn();
const cpu = process.cpuUsage(cpuBefore);
// CPU time per message is steadier than wall time on a shared, loaded machine.
const cpuPerMessage = (cpu.user + cpu.system) / n;
console.log(
  `${path}: ${n} in ${ms.toFixed(0)} ms, ${((n * 1000) / ms / 1000).toFixed(1)} k/s, ${cpuPerMessage.toFixed(2)} us CPU per message`,
);
