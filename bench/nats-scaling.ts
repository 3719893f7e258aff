/**
 * Scaling of core NATS pub -> sub, raw nats.js beside the Switchboard transport: throughput and p99 latency
 * against messages in flight (1, 4, 16, 64) and payload size (64 B, 1 KiB, 64 KiB). A closed loop: the publisher
 * keeps exactly `inFlight` messages between publish and receipt, each receipt sends the next one; latency is
 * publish to handler, per message.
 */
import { connect } from '@nats-io/transport-node';
import { natsTransport } from '../src/transport/nats/index.js';
import { smoke } from './harness.js';
import { indexOf, type Loop, scalingGrid, transportLoop } from './scaling.js';

/** Sends probes until one comes back: a core subscription only receives once the server has registered it. */
export async function live(loop: Loop): Promise<void> {
  let arrived = false;
  loop.onReceive = () => {
    arrived = true;
  };
  const body = Buffer.alloc(64);
  for (let tries = 0; !arrived; tries++) {
    if (tries > 200) throw new Error('the scaling subscription never received a probe');
    await loop.send(0, body);
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
    callback: (_e, m) => loop.onReceive(indexOf(m.data)),
  });
  await sub.flush();
  return loop;
}

/** Runs the scaling grid and prints one table. */
export async function natsScaling(url: string, run: string): Promise<void> {
  const raw = await rawLoop(url, `bench.scale.raw.${run}`);
  const ours = await transportLoop(
    natsTransport({ servers: url, mode: 'core' }),
    natsTransport({ servers: url, mode: 'core' }),
    `bench.scale.swb.${run}`,
    { concurrency: 64, ordered: false },
  );
  await live(raw);
  await live(ours);
  // Probes still on their way land here, not in the first measured loop.
  await new Promise((resolve) => setTimeout(resolve, 100));
  try {
    await scalingGrid(raw, ours, {
      title: 'core NATS pub -> sub scaling',
      anchor: 'raw nats.js',
      rounds: smoke ? 1 : 3,
      // A closed loop with one message in flight is round-trip bound: fewer messages give the same figures.
      total: (size, inFlight) => {
        const base = Math.min(size >= 64 * 1024 ? 2_000 : 20_000, 2_000 * inFlight);
        return smoke ? Math.min(base / 10, 300) : base;
      },
      warmUp: (total) => Math.min(total, 500),
      // Core NATS is at most once: a lost message would stall the loop for good, so a stall fails the bench.
      stallMs: 5_000,
    });
  } finally {
    await Promise.all([raw.close(), ours.close()]);
  }
}
