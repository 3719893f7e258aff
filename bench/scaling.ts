/**
 * The closed-loop scaling grid every transport's scaling table uses: throughput and p99 latency against
 * messages in flight (1, 4, 16, 64) and payload size (64 B, 1 KiB, 64 KiB), raw client and Switchboard run one
 * after the other for each cell, the median rate and the p99 over all rounds.
 */
import type { Transport, TransportSubscribeOptions } from '../src/transport/types.js';
import { formatOps, median, percentile, ratio, table } from './harness.js';

/** Messages in flight, one row per value within a payload size. */
export const IN_FLIGHT = [1, 4, 16, 64] as const;
/** Payload sizes, one group of rows of the scaling tables. */
export const SIZES = [64, 1024, 64 * 1024] as const;

/** A publisher and a subscriber driven by {@link closedLoop}. */
export interface Loop {
  /**
   * Sends message `i` (its index is in the first four bytes of the body). When it returns a promise, a
   * rejection fails the loop.
   */
  send(i: number, body: Buffer): unknown;
  /** Called with the index of each message received. */
  onReceive: (i: number) => void;
  close(): Promise<void>;
}

/** One closed-loop run: its rate and the latency of every message (µs). */
export interface Sample {
  readonly rate: number;
  readonly latencies: number[];
}

/**
 * Keeps exactly `inFlight` messages between publish and receipt (each receipt sends the next) until `total`
 * have been received. Fails when a send fails or nothing arrives for `stallMs` (at-most-once transports lose a
 * message for good, which would stall the loop forever).
 */
export async function closedLoop(
  loop: Loop,
  total: number,
  inFlight: number,
  size: number,
  stallMs = 10_000,
): Promise<Sample> {
  const sentAt = new Float64Array(total);
  const latencies: number[] = new Array(total);
  const template = Buffer.alloc(size, 0x61);
  let next = 0;
  let received = 0;
  let failure: unknown;
  const sendNext = (): void => {
    const i = next++;
    // A fresh body per message: a client may still hold the previous one.
    const body = Buffer.from(template);
    body.writeUInt32BE(i, 0);
    sentAt[i] = performance.now();
    const sent = loop.send(i, body);
    if (sent instanceof Promise) {
      sent.catch((error: unknown) => {
        failure ??= error;
      });
    }
  };
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    let lastReceived = -1;
    const watchdog = setInterval(() => {
      if (failure !== undefined || received === lastReceived) {
        clearInterval(watchdog);
        reject(
          new Error(
            `closed loop stalled at ${received}/${total} (${size} B, ${inFlight} in flight): ${String(failure ?? 'no progress')}`,
          ),
        );
      }
      lastReceived = received;
    }, stallMs);
    loop.onReceive = (i) => {
      // Only messages of this run count (a late duplicate of an earlier loop carries an index out of range).
      if (i >= total || sentAt[i] === 0) return;
      latencies[received] = (performance.now() - sentAt[i]!) * 1000;
      sentAt[i] = 0;
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

/** The index {@link closedLoop} wrote into the first four bytes of a body. */
export function indexOf(body: Uint8Array): number {
  return new DataView(body.buffer, body.byteOffset).getUint32(0);
}

/**
 * The Switchboard side of a grid: `pub` publishes to `topic` (a failed publish fails the loop), `sub` acks each
 * delivery after reporting it. The loop closes both transports.
 */
export async function transportLoop(
  pub: Transport,
  sub: Transport,
  topic: string,
  options: TransportSubscribeOptions,
): Promise<Loop> {
  await pub.connect();
  const loop: Loop = {
    send: (_i, body) => pub.publish(topic, { headers: {}, body }),
    onReceive: () => {},
    close: async () => {
      await Promise.all([pub.close(), sub.close()]);
    },
  };
  await sub.subscribe(
    topic,
    (d) => {
      loop.onReceive(indexOf(d.message.body));
      return d.ack();
    },
    options,
  );
  return loop;
}

/** How one transport's grid is run and printed. */
export interface ScalingGrid {
  /** Table title. */
  readonly title: string;
  /** Name of the raw client, the table's anchor. */
  readonly anchor: string;
  readonly rounds: number;
  /** Messages per measured loop for a cell. */
  total(size: number, inFlight: number): number;
  /** Messages of the warm-up loop before a cell's rounds (0 for none). */
  warmUp(total: number): number;
  /** `ms` prints p99 in milliseconds (Kafka's latencies); default microseconds. */
  readonly latencyUnit?: 'µs' | 'ms';
  /** Stall limit of each loop. Default 10 s. */
  readonly stallMs?: number;
}

/**
 * Runs the grid over `raw` and `ours` and prints one table; closes neither loop.
 *
 * @example
 * ```ts
 * await scalingGrid(raw, ours, {
 *   title: 'core NATS pub -> sub scaling', anchor: 'raw nats.js', rounds: 3,
 *   total: (size, n) => Math.min(20_000, 2_000 * n), warmUp: (total) => Math.min(total, 500),
 * });
 * ```
 */
export async function scalingGrid(raw: Loop, ours: Loop, grid: ScalingGrid): Promise<void> {
  const unit = grid.latencyUnit ?? 'µs';
  const show = (us: number) => (unit === 'ms' ? (us / 1000).toFixed(1) : us.toFixed(0));
  const summary = (samples: Sample[]) => ({
    rate: median(samples.map((s) => s.rate)),
    p99: percentile(
      samples.flatMap((s) => s.latencies).sort((a, b) => a - b),
      99,
    ),
  });
  const rows: string[][] = [];
  for (const size of SIZES) {
    for (const inFlight of IN_FLIGHT) {
      const total = grid.total(size, inFlight);
      const warmUp = grid.warmUp(total);
      if (warmUp > 0) {
        await closedLoop(raw, warmUp, inFlight, size, grid.stallMs);
        await closedLoop(ours, warmUp, inFlight, size, grid.stallMs);
      }
      const results = { raw: [] as Sample[], ours: [] as Sample[] };
      for (let r = 0; r < grid.rounds; r++) {
        results.raw.push(await closedLoop(raw, total, inFlight, size, grid.stallMs));
        results.ours.push(await closedLoop(ours, total, inFlight, size, grid.stallMs));
      }
      const r = summary(results.raw);
      const o = summary(results.ours);
      rows.push([
        size >= 1024 ? `${size / 1024} KiB` : `${size} B`,
        String(inFlight),
        formatOps(r.rate),
        show(r.p99),
        formatOps(o.rate),
        show(o.p99),
        ratio(o.rate, r.rate),
        ratio(o.p99, r.p99),
      ]);
    }
  }
  table({
    title: `${grid.title}, closed loop (median of ${grid.rounds} rounds; p99 over all)`,
    anchors: [grid.anchor],
    columns: [
      'payload',
      'in flight',
      'raw msg/s',
      `raw p99 ${unit}`,
      'switchboard msg/s',
      `switchboard p99 ${unit}`,
      'throughput vs raw',
      'p99 vs raw',
    ],
    rows,
  });
}
