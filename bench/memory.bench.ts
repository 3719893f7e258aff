/**
 * The bus on the in-memory transport, publish to handler, beside moleculer's local events and eventemitter3
 * emitting to an async handler, in the same process with alternating rounds. Then the heap cost per message
 * after a million messages.
 *
 * Fairness: the bus and moleculer both return a promise per publish, so both are driven the same way: the same
 * window of publishes in flight (a counter, not a `Promise.race` over a set, which would cost more than either
 * side), the same handler concurrency (the window), and an operation ends when the handler has seen every
 * message. eventemitter3 is synchronous and shown as the floor of what any in-process dispatch costs.
 *
 * Target: the bus at least 10x moleculer's local events.
 */
import { EventEmitter } from 'eventemitter3';
import { ServiceBroker } from 'moleculer';
import { createBus } from '../src/bus/index.js';
import { memoryTransport } from '../src/transport/memory/index.js';
import {
  counter,
  formatOps,
  heapGrowth,
  heapNote,
  main,
  note,
  onCleanup,
  ratio,
  scenario,
  smoke,
  target,
  title,
  windowed,
} from './harness.js';

title('In-memory bus (bench/memory.bench.ts)');

const payload = { taskId: 't-123', userId: 'u-42', title: 'Water the plants', priority: 2, tags: ['home'] };
/** Messages per benchmark operation. */
const BATCH = 2_000;
/** Publishes in flight at once for the sides whose publish returns a promise. */
const WINDOW = 256;

interface Runner {
  readonly name: string;
  /** Sends `n` messages and resolves when the handler has seen all of them. */
  run(n: number): Promise<void>;
  close(): Promise<void>;
}

async function busRunner(): Promise<Runner> {
  const bus = createBus({ transport: memoryTransport({ partitions: 4 }), source: 'bench' });
  const seen = counter();
  // Handler concurrency equal to the publish window: moleculer runs its handler inside emit, so it too has up
  // to WINDOW messages in its handler at once.
  await bus.subscribe('task.created.v1', () => seen.tick(), { concurrency: WINDOW, ordered: false });
  return {
    name: 'switchboard bus (memory transport)',
    async run(n) {
      const done = seen.until(n);
      await windowed(n, WINDOW, () => bus.publish('task.created.v1', payload));
      await done;
    },
    close: () => bus.close({ graceMs: 0 }),
  };
}

async function emitterRunner(): Promise<Runner> {
  const emitter = new EventEmitter();
  const seen = counter();
  emitter.on('task.created', async () => {
    seen.tick();
  });
  return {
    name: 'eventemitter3 emit -> async handler',
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
  const seen = counter();
  broker.createService({ name: 'sink', events: { 'task.created': () => seen.tick() } });
  await broker.start();
  return {
    name: 'moleculer 0.15 local events',
    async run(n) {
      const done = seen.until(n);
      await windowed(n, WINDOW, () => broker.emit('task.created', payload) as Promise<unknown>);
      await done;
    },
    close: () => broker.stop(),
  };
}

async function throughput(): Promise<void> {
  const [emitter, bus, moleculer] = [await emitterRunner(), await busRunner(), await moleculerRunner()];
  for (const r of [emitter, bus, moleculer]) onCleanup(() => r.close());
  const results = await scenario(
    `publish -> handler, ${BATCH} messages per op, ${WINDOW} in flight`,
    [
      { name: moleculer.name, fn: () => moleculer.run(BATCH), anchor: true },
      { name: bus.name, fn: () => bus.run(BATCH) },
      { name: emitter.name, fn: () => emitter.run(BATCH), anchor: true },
    ],
    { unitsPerOp: BATCH },
  );
  const [mol, ours, ee] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
  target(
    'in-memory bus >= 10x moleculer local events',
    ours.opsPerSec >= 10 * mol.opsPerSec,
    `${ratio(ours.opsPerSec, mol.opsPerSec)}; ${formatOps(ours.unitsPerSec)} vs ${formatOps(mol.unitsPerSec)} msg/s`,
  );
  note(
    `the bus runs at ${((ours.opsPerSec / ee.opsPerSec) * 100).toFixed(1)} % of a bare eventemitter3 emit ` +
      '(which builds no envelope, no id, no timestamp and settles nothing)',
  );
}

/** Heap growth per message across a million messages through the bus (should be about zero). */
async function heapPerMessage(): Promise<void> {
  const runner = await busRunner();
  onCleanup(() => runner.close());
  const heap = await heapGrowth((n) => runner.run(n), { warmup: 20_000, total: smoke ? 20_000 : 1_000_000 });
  if (heap === undefined) {
    note('heap per message: run with --expose-gc to measure');
    return;
  }
  note(
    `${heapNote('messages through the bus on the memory transport', heap)} ` +
      '(retention keeps the last 1,000 messages every group has read per partition by default)',
  );
}

await main(async () => {
  await throughput();
  await heapPerMessage();
});
