/**
 * Scaling of core NATS pub -> sub, raw nats.js beside the Switchboard transport: throughput and p99 latency
 * against messages in flight (1, 4, 16, 64) and payload size (64 B, 1 KiB, 64 KiB). A closed loop: the publisher
 * keeps exactly `inFlight` messages between publish and receipt, each receipt sends the next one; latency is
 * publish to handler, per message.
 */
import { connect } from '@nats-io/transport-node';
import { natsTransport } from '../src/transport/nats/index.js';
import { formatOps, median, percentile, ratio, smoke, table } from './harness.js';

const IN_FLIGHT = [1, 4, 16, 64] as const;
const SIZES = [64, 1024, 64 * 1024] as const;

interface Loop {
  /** Sends message `i` (its index is in the first four bytes of the body). */
  send(i: number, body: Uint8Array): void;
  /** Called with the index of each message received. */
  onReceive: (i: number) => void;
  close(): Promise<void>;
}

interface Sample {
  readonly rate: number;
  readonly latencies: number[];
}

async function closedLoop(loop: Loop, total: number, inFlight: number, size: number): Promise<Sample> {
  const sentAt = new Float64Array(total);
  const latencies: number[] = new Array(total);
  const bodies = Array.from({ length: inFlight }, () => new Uint8Array(size).fill(0x61));
  let next = 0;
  let received = 0;
  const sendNext = (): void => {
    const i = next++;
    // A fresh body per message: a transport may still hold the previous one.
    const body = new Uint8Array(bodies[i % inFlight]!);
    new DataView(body.buffer).setUint32(0, i);
    sentAt[i] = performance.now();
    loop.send(i, body);
  };
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    // Core NATS is at most once: a lost message would stall the loop for good, so a stall fails the bench.
    let lastReceived = -1;
    const watchdog = setInterval(() => {
      if (received === lastReceived) {
        clearInterval(watchdog);
        reject(new Error(`closed loop stalled at ${received}/${total} (${size} B, ${inFlight} in flight)`));
      }
      lastReceived = received;
    }, 5_000);
    loop.onReceive = (i) => {
      latencies[received] = (performance.now() - sentAt[i]!) * 1000;
      received++;
      if (received === total) {
        clearInterval(watchdog);
        resolve();
      } else if (next < total) sendNext();
    };
    for (let k = 0; k < inFlight && next < total; k++) sendNext();
  });
  return { rate: (total * 1000) / (performance.now() - started), latencies };
}

/** Sends probes until one comes back: a core subscription only receives once the server has registered it. */
async function live(loop: Loop): Promise<void> {
  let arrived = false;
  loop.onReceive = () => {
    arrived = true;
  };
  const body = new Uint8Array(64);
  for (let tries = 0; !arrived; tries++) {
    if (tries > 200) throw new Error('the scaling subscription never received a probe');
    loop.send(0, body);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function rawLoop(url: string, subject: string): Promise<Loop> {
  const pub = await connect({ servers: url });
  const sub = await connect({ servers: url });
  const loop: Loop = {
    send: (_i, body) => pub.publish(subject, body),
    onReceive: () => {},
    close: async () => {
      await Promise.all([pub.close(), sub.close()]);
    },
  };
  sub.subscribe(subject, {
    callback: (_e, m) => loop.onReceive(new DataView(m.data.buffer, m.data.byteOffset).getUint32(0)),
  });
  await sub.flush();
  return loop;
}

async function switchboardLoop(url: string, topic: string): Promise<Loop> {
  const pub = natsTransport({ servers: url, mode: 'core' });
  const sub = natsTransport({ servers: url, mode: 'core' });
  await pub.connect();
  const loop: Loop = {
    send: (_i, body) => void pub.publish(topic, { headers: {}, body }),
    onReceive: () => {},
    close: async () => {
      await Promise.all([pub.close(), sub.close()]);
    },
  };
  await sub.subscribe(
    topic,
    (d) => {
      const body = d.message.body;
      loop.onReceive(new DataView(body.buffer, body.byteOffset).getUint32(0));
      return d.ack();
    },
    { concurrency: 64, ordered: false },
  );
  return loop;
}

/** Runs the scaling grid and prints one table. */
export async function natsScaling(url: string, run: string): Promise<void> {
  const raw = await rawLoop(url, `bench.scale.raw.${run}`);
  const ours = await switchboardLoop(url, `bench.scale.swb.${run}`);
  await live(raw);
  await live(ours);
  // Probes still on their way land here, not in the first measured loop.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const rounds = smoke ? 1 : 3;
  const rows: string[][] = [];
  try {
    for (const size of SIZES) {
      for (const inFlight of IN_FLIGHT) {
        // A closed loop with one message in flight is round-trip bound: fewer messages give the same figures.
        const base = Math.min(size >= 64 * 1024 ? 2_000 : 20_000, 2_000 * inFlight);
        const total = smoke ? Math.min(base / 10, 300) : base;
        const results = { raw: [] as Sample[], ours: [] as Sample[] };
        await closedLoop(raw, Math.min(total, 500), inFlight, size); // warm-up
        await closedLoop(ours, Math.min(total, 500), inFlight, size);
        for (let r = 0; r < rounds; r++) {
          results.raw.push(await closedLoop(raw, total, inFlight, size));
          results.ours.push(await closedLoop(ours, total, inFlight, size));
        }
        const summary = (samples: Sample[]) => ({
          rate: median(samples.map((s) => s.rate)),
          p99: percentile(
            samples.flatMap((s) => s.latencies).sort((a, b) => a - b),
            99,
          ),
        });
        const r = summary(results.raw);
        const o = summary(results.ours);
        rows.push([
          size >= 1024 ? `${size / 1024} KiB` : `${size} B`,
          String(inFlight),
          formatOps(r.rate),
          r.p99.toFixed(0),
          formatOps(o.rate),
          o.p99.toFixed(0),
          ratio(o.rate, r.rate),
          ratio(o.p99, r.p99),
        ]);
      }
    }
  } finally {
    await Promise.all([raw.close(), ours.close()]);
  }
  table({
    title: `core NATS pub -> sub scaling, closed loop (median of ${rounds} rounds; p99 over all)`,
    anchors: ['raw nats.js'],
    columns: [
      'payload',
      'in flight',
      'raw msg/s',
      'raw p99 µs',
      'switchboard msg/s',
      'switchboard p99 µs',
      'throughput vs raw',
      'p99 vs raw',
    ],
    rows,
  });
}
