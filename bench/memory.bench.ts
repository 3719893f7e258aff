/**
 * The bus on the in-memory transport, publish to handler, beside eventemitter3 emitting to an async handler and
 * moleculer's local events, in the same process with alternating rounds. Then the heap cost per message after a
 * million messages.
 *
 * Target: the bus at least 10x moleculer's local events; the fraction of raw eventemitter3 is reported.
 */
import { EventEmitter } from 'eventemitter3';
import { ServiceBroker } from 'moleculer';
import { createBus } from '../src/bus/index.js';
import { memoryTransport } from '../src/transport/memory/index.js';
import { formatOps, smoke, target } from './harness.js';

const payload = { taskId: 't-123', userId: 'u-42', title: 'Water the plants', priority: 2, tags: ['home'] };
const N = smoke ? 5_000 : 100_000;
const ROUNDS = smoke ? 2 : 5;
/** Publishes in flight at once: the bus and moleculer await each publish, so keep a window open. */
const WINDOW = 256;

interface Runner {
  readonly name: string;
  /** Sends `n` messages and resolves when the handler has seen all of them. */
  run(n: number): Promise<void>;
  close(): Promise<void>;
}

async function windowed(n: number, send: () => Promise<unknown>): Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i++) {
    const p = send();
    inFlight.add(p);
    p.then(() => inFlight.delete(p));
    if (inFlight.size >= WINDOW) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

function waiter(): { tick(): void; until(n: number): Promise<void> } {
  let count = 0;
  let target = Number.POSITIVE_INFINITY;
  let resolve: (() => void) | undefined;
  return {
    tick() {
      count++;
      if (count >= target && resolve !== undefined) {
        const r = resolve;
        resolve = undefined;
        r();
      }
    },
    until(n: number) {
      return new Promise<void>((r) => {
        target = count + n;
        if (count >= target) r();
        else resolve = r;
      });
    },
  };
}

async function busRunner(): Promise<Runner> {
  const bus = createBus({ transport: memoryTransport({ partitions: 4 }), source: 'bench' });
  const seen = waiter();
  await bus.subscribe('task.created.v1', () => seen.tick(), { concurrency: 64, ordered: false });
  return {
    name: 'switchboard bus (memory)',
    async run(n) {
      const done = seen.until(n);
      await windowed(n, () => bus.publish('task.created.v1', payload));
      await done;
    },
    close: () => bus.close({ graceMs: 0 }),
  };
}

async function emitterRunner(): Promise<Runner> {
  const emitter = new EventEmitter();
  const seen = waiter();
  emitter.on('task.created', async () => {
    seen.tick();
  });
  return {
    name: 'eventemitter3 -> async handler',
    async run(n) {
      const done = seen.until(n);
      for (let i = 0; i < n; i++) emitter.emit('task.created', payload);
      await done;
    },
    close: async () => {},
  };
}

async function moleculerRunner(): Promise<Runner> {
  const broker = new ServiceBroker({
    logger: false,
    nodeID: 'bench',
    transporter: null,
    metrics: false,
    tracing: false,
  });
  const seen = waiter();
  broker.createService({ name: 'sink', events: { 'task.created': () => seen.tick() } });
  await broker.start();
  return {
    name: 'moleculer local events',
    async run(n) {
      const done = seen.until(n);
      await windowed(n, () => broker.emit('task.created', payload) as Promise<unknown>);
      await done;
    },
    close: () => broker.stop(),
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function main(): Promise<void> {
  const runners = [await emitterRunner(), await busRunner(), await moleculerRunner()];
  const samples = new Map<string, number[]>(runners.map((r) => [r.name, []]));
  for (const r of runners) await r.run(Math.min(N, 20_000)); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of runners) {
      const start = performance.now();
      await r.run(N);
      samples.get(r.name)!.push((N * 1000) / (performance.now() - start));
    }
  }
  const ops = new Map([...samples].map(([k, v]) => [k, median(v)]));
  const ee = ops.get('eventemitter3 -> async handler')!;
  const mol = ops.get('moleculer local events')!;
  const bus = ops.get('switchboard bus (memory)')!;
  console.log(`\n### publish -> handler, ${N} messages per round, median of ${ROUNDS} rounds`);
  console.log('| case | msg/s | vs eventemitter3 | vs moleculer |');
  console.log('|---|---:|---:|---:|');
  for (const [name, v] of ops)
    console.log(`| ${name} | ${formatOps(v)} | ${(v / ee).toFixed(3)}x | ${(v / mol).toFixed(1)}x |`);
  target('bus >= 10x moleculer local events', bus >= 10 * mol, `${(bus / mol).toFixed(1)}x`);
  console.log(`fraction of raw eventemitter3: ${((bus / ee) * 100).toFixed(1)} %`);
  for (const r of runners) await r.close();
  await heapPerMessage();
}

/** Heap growth per message across a million messages through the bus (should be about zero). */
async function heapPerMessage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    console.log('heap per message: run with --expose-gc to measure');
    return;
  }
  const runner = await busRunner();
  const total = smoke ? 20_000 : 1_000_000;
  await runner.run(20_000);
  gc();
  const before = process.memoryUsage().heapUsed;
  await runner.run(total);
  gc();
  const after = process.memoryUsage().heapUsed;
  await runner.close();
  console.log(
    `\nheap after ${total} messages: ${((after - before) / 1024).toFixed(0)} KiB growth, ${((after - before) / total).toFixed(2)} bytes/message`,
  );
}

await main();
