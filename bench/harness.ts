/**
 * A small benchmark harness: every case of a scenario runs in the same process, in alternating rounds after a
 * warm-up, and the report gives the median throughput of each case and its ratio to each anchor. A latency
 * scenario does the same for one operation at a time and reports p50 and p99.
 *
 * Written here rather than taken from tinybench because the suite needs alternating rounds across cases (so a
 * noisy neighbour on a 2-core machine hits every case alike) and ratios against named anchors. Tables, notes
 * and targets go through the shared reporter (bench/report.ts), which also writes them as JSON.
 */
import { note, table, target } from './report.js';

export { cleanup, main, note, onCleanup, table, target, title } from './report.js';

export interface BenchCase {
  /** Display name. */
  readonly name: string;
  /** One operation; the harness awaits it when it returns a promise. */
  readonly fn: () => unknown;
  /** Marks a reference the other cases are compared with (several cases may be anchors: a column each). */
  readonly anchor?: boolean;
}

export interface BenchResult {
  readonly name: string;
  readonly opsPerSec: number;
  /** Ratio of throughput to the first anchor. */
  readonly ratioToAnchor: number;
  readonly nsPerOp: number;
  /** Messages (units) per second: `opsPerSec * unitsPerOp`. */
  readonly unitsPerSec: number;
}

export interface ScenarioOptions {
  /** Rounds per case (alternating). Default 7, 2 in smoke mode. */
  readonly rounds?: number;
  /** Minimum time per round in ms. Default 300, 30 in smoke mode. */
  readonly roundMs?: number;
  /** Messages one operation moves: the table then shows messages per second. Default 1. */
  readonly unitsPerOp?: number;
  /** Name of the unit for the throughput column. Default `ops` (or `msg` when `unitsPerOp` > 1). */
  readonly unit?: string;
}

/** Smoke mode (`BENCH_SMOKE=1`): a few short rounds so CI checks the benches still run. */
export const smoke = process.env.BENCH_SMOKE === '1';

async function runFor(fn: () => unknown, ms: number): Promise<number> {
  // Calibrate the batch so the clock is read rarely.
  let batch = 1;
  let ops = 0;
  const start = performance.now();
  const deadline = start + ms;
  for (;;) {
    for (let i = 0; i < batch; i++) {
      const r = fn();
      if (r !== undefined && typeof (r as Promise<unknown>).then === 'function') await r;
    }
    ops += batch;
    const now = performance.now();
    if (now >= deadline) return (ops * 1000) / (now - start);
    if (batch < 1 << 16) batch *= 2;
  }
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The `p`-th percentile (0-100) of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs a scenario and prints a table; returns the results. */
export async function scenario(
  title: string,
  cases: readonly BenchCase[],
  options: ScenarioOptions = {},
): Promise<BenchResult[]> {
  const rounds = options.rounds ?? (smoke ? 2 : 7);
  const roundMs = options.roundMs ?? (smoke ? 30 : 300);
  const units = options.unitsPerOp ?? 1;
  for (const c of cases) await runFor(c.fn, Math.min(roundMs, 200)); // warm-up
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) samples.get(c.name)!.push(await runFor(c.fn, roundMs));
  }
  const results = fromSamples(cases, samples, units);
  const anchors = anchorsOf(cases);
  const unit = options.unit ?? (units > 1 ? 'msg' : 'ops');
  table({
    title: `${title} (median of ${rounds} rounds)`,
    anchors: anchors.map((a) => a.name),
    columns: [
      'case',
      `${unit}/s`,
      units > 1 ? `µs per op (${units} ${unit})` : 'ns/op',
      ...ratioHeaders(anchors),
    ],
    rows: results.map((r) => [
      r.name,
      formatOps(r.unitsPerSec),
      units > 1 ? (r.nsPerOp / 1000).toFixed(0) : r.nsPerOp.toFixed(0),
      ...anchors.map((a) => ratio(r.opsPerSec, results.find((x) => x.name === a.name)!.opsPerSec)),
    ]),
  });
  return results;
}

/**
 * Runs cases that each measure themselves (one sample per call, in operations per second), alternating rounds
 * after one warm-up call each: for workloads that need their own set-up per round (windows of messages, fresh
 * consumers).
 */
export async function sampledScenario(
  title: string,
  cases: readonly (Omit<BenchCase, 'fn'> & { readonly sample: () => Promise<number> })[],
  options: { rounds?: number; unit?: string; warmUp?: boolean } = {},
): Promise<BenchResult[]> {
  const rounds = options.rounds ?? (smoke ? 2 : 5);
  if (options.warmUp !== false) for (const c of cases) await c.sample();
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) samples.get(c.name)!.push(await c.sample());
  }
  const results = fromSamples(cases, samples, 1);
  const anchors = anchorsOf(cases);
  table({
    title: `${title} (median of ${rounds} rounds)`,
    anchors: anchors.map((a) => a.name),
    columns: ['case', `${options.unit ?? 'msg'}/s`, ...ratioHeaders(anchors)],
    rows: results.map((r) => [
      r.name,
      formatOps(r.opsPerSec),
      ...anchors.map((a) => ratio(r.opsPerSec, results.find((x) => x.name === a.name)!.opsPerSec)),
    ]),
  });
  return results;
}

export interface LatencyCase {
  readonly name: string;
  /** One operation, timed alone (operations run one after the other). */
  readonly fn: () => Promise<unknown>;
  readonly anchor?: boolean;
}

export interface LatencyResult {
  readonly name: string;
  /** Microseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly opsPerSec: number;
}

/** Times single operations in alternating rounds after a warm-up; prints p50, p99 and their ratio to anchors. */
export async function latencyScenario(
  title: string,
  cases: readonly LatencyCase[],
  options: { rounds?: number; perRound?: number; warmUp?: number } = {},
): Promise<LatencyResult[]> {
  const rounds = options.rounds ?? (smoke ? 2 : 7);
  const perRound = options.perRound ?? (smoke ? 200 : 2000);
  const warmUp = options.warmUp ?? 200;
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  const runs = new Map<string, number>(cases.map((c) => [c.name, 0]));
  for (const c of cases) for (let i = 0; i < warmUp; i++) await c.fn();
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const list = samples.get(c.name)!;
      const started = performance.now();
      for (let i = 0; i < perRound; i++) {
        const start = performance.now();
        await c.fn();
        list.push((performance.now() - start) * 1000);
      }
      runs.set(c.name, runs.get(c.name)! + (performance.now() - started));
    }
  }
  const results = cases.map((c) => {
    const sorted = [...samples.get(c.name)!].sort((a, b) => a - b);
    return {
      name: c.name,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      opsPerSec: (sorted.length * 1000) / runs.get(c.name)!,
    };
  });
  const anchors = cases.filter((c) => c.anchor);
  table({
    title: `${title} (${rounds} x ${perRound} per case)`,
    anchors: anchors.map((a) => a.name),
    columns: ['case', 'p50 µs', 'p99 µs', 'ops/s', ...anchors.map((a) => `p50 vs ${a.name}`)],
    rows: results.map((r) => [
      r.name,
      r.p50.toFixed(0),
      r.p99.toFixed(0),
      formatOps(r.opsPerSec),
      ...anchors.map((a) => ratio(r.p50, results.find((x) => x.name === a.name)!.p50)),
    ]),
  });
  return results;
}

function anchorsOf<C extends { name: string; anchor?: boolean }>(cases: readonly C[]): C[] {
  const anchors = cases.filter((c) => c.anchor);
  return anchors.length > 0 ? anchors : cases.slice(0, 1);
}

function ratioHeaders(anchors: readonly { name: string }[]): string[] {
  return anchors.length === 1 ? ['ratio to anchor'] : anchors.map((a) => `vs ${a.name}`);
}

function fromSamples(
  cases: readonly { name: string; anchor?: boolean }[],
  samples: Map<string, number[]>,
  units: number,
): BenchResult[] {
  const anchorOps = median(samples.get(anchorsOf(cases)[0]!.name)!);
  return cases.map((c) => {
    const ops = median(samples.get(c.name)!);
    return {
      name: c.name,
      opsPerSec: ops,
      ratioToAnchor: ops / anchorOps,
      nsPerOp: 1e9 / ops,
      unitsPerSec: ops * units,
    };
  });
}

/** `a / b` as `1.23x`. */
export function ratio(a: number, b: number): string {
  const r = a / b;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** Formats a number of operations per second. */
export function formatOps(ops: number): string {
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)} M`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)} k`;
  return `${ops.toFixed(0)}`;
}

/** Formats a byte count. */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (Math.abs(bytes) >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes.toFixed(0)} B`;
}

/** Runs a full garbage collection when the process has `--expose-gc`; returns whether it could. */
export function gc(): boolean {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) return false;
  collect();
  collect();
  return true;
}

/** What {@link heapGrowth} measured. */
export interface HeapGrowth {
  /** Messages sent in the measured part (short of the goal when the budget ran out). */
  readonly total: number;
  readonly seconds: number;
  /** Heap used after, minus before, with garbage collected both times. */
  readonly bytes: number;
}

/**
 * Heap growth across `total` messages: `send(warmup)` first, then a full collection, then `send(chunk)` until
 * `total` went out or `budgetMs` has passed, then another collection. `undefined` without `--expose-gc`.
 *
 * @example
 * ```ts
 * const heap = await heapGrowth((n) => pump(n), { warmup: 10_000, total: 1_000_000 });
 * if (heap !== undefined) note(heapNote('messages through the bus', heap));
 * ```
 */
export async function heapGrowth(
  send: (n: number) => Promise<void>,
  options: { warmup: number; total: number; chunk?: number; budgetMs?: number },
): Promise<HeapGrowth | undefined> {
  if (!gc()) return undefined;
  const { warmup, total: goal, chunk = goal, budgetMs = Number.POSITIVE_INFINITY } = options;
  await send(warmup);
  gc();
  const before = process.memoryUsage().heapUsed;
  const started = performance.now();
  let total = 0;
  while (total < goal && performance.now() - started < budgetMs) {
    const n = Math.min(chunk, goal - total);
    await send(n);
    total += n;
  }
  const seconds = (performance.now() - started) / 1000;
  gc();
  return { total, seconds, bytes: process.memoryUsage().heapUsed - before };
}

/** One line for a {@link heapGrowth} result: `heap after <total> <what> (<rate>): <growth>, <per message>`. */
export function heapNote(what: string, heap: HeapGrowth): string {
  return (
    `heap after ${heap.total.toLocaleString('en')} ${what} (${formatOps(heap.total / heap.seconds)} msg/s, ` +
    `${heap.seconds.toFixed(0)} s): ${formatBytes(heap.bytes)} growth, ` +
    `${(heap.bytes / heap.total).toFixed(2)} bytes per message`
  );
}

/**
 * Keeps up to `window` sends in flight (a counter, not a `Promise.race` over a set, which would cost more than
 * what it drives); resolves once all `n` have settled.
 */
export function windowed(n: number, window: number, send: () => Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let sent = 0;
    let settled = 0;
    let inFlight = 0;
    const done = (): void => {
      inFlight--;
      settled++;
      if (settled === n) resolve();
      else pump();
    };
    const pump = (): void => {
      while (inFlight < window && sent < n) {
        sent++;
        inFlight++;
        send().then(done, reject);
      }
    };
    if (n === 0) resolve();
    else pump();
  });
}

/** Counts events (a handler's calls) and lets a bench wait until `n` more have happened. */
export interface Counter {
  readonly count: number;
  tick(): void;
  /** Resolves once `n` more ticks happened after this call. */
  until(n: number): Promise<void>;
}

/** A {@link Counter}. */
export function counter(): Counter {
  let count = 0;
  let goal = Number.POSITIVE_INFINITY;
  let wake: (() => void) | undefined;
  return {
    get count() {
      return count;
    },
    tick() {
      count++;
      if (count >= goal && wake !== undefined) {
        const w = wake;
        wake = undefined;
        w();
      }
    },
    until(n: number) {
      return new Promise<void>((resolve) => {
        goal = count + n;
        if (count >= goal) resolve();
        else wake = resolve;
      });
    },
  };
}

/**
 * A scenario case that sends `n` messages with `window` in flight and ends when `seen` has counted all of them
 * (a handler's calls): the shape of every publish -> handler case.
 *
 * @example
 * ```ts
 * await scenario('events', [windowedCase('bus', seen, 2000, 256, () => bus.publish('t.v1', data), true)]);
 * ```
 */
export function windowedCase(
  name: string,
  seen: Counter,
  n: number,
  window: number,
  send: () => Promise<unknown>,
  anchor = false,
): { name: string; anchor: boolean; fn: () => Promise<void> } {
  return {
    name,
    anchor,
    fn: async () => {
      const handled = seen.until(n);
      await windowed(n, window, send);
      await handled;
    },
  };
}

/**
 * Prints the bus-events targets of one broker from an events scenario's results, in the order every broker's
 * events scenario lays them out: the bare raw client (anchor), the raw client carrying the six headers the bus
 * sends (reference), the bus in binary mode, the bus in structured mode, then the peers. Each bus row must reach
 * at least 0.8x the bare raw client and at least 2x each peer; a note first says where binary mode stands
 * against the raw client carrying the same headers.
 *
 * @example
 * ```ts
 * busEventTargets('NATS', 'raw nats.js', await scenario('events', [raw, rawWithHeaders, bus, structured, ...peers]));
 * ```
 */
export function busEventTargets(over: string, rawName: string, results: readonly BenchResult[]): void {
  const [raw, withHeaders, binary, structured, ...peers] = results;
  if (raw === undefined || withHeaders === undefined || binary === undefined || structured === undefined) {
    throw new Error('busEventTargets: expected raw, raw with headers, binary and structured rows');
  }
  note(
    `bus events over ${over}: ${ratio(binary.opsPerSec, withHeaders.opsPerSec)} of raw carrying the same six ` +
      `headers (raw with headers: ${ratio(withHeaders.opsPerSec, raw.opsPerSec)} of bare raw)`,
  );
  for (const [ours, mode] of [
    [binary, ''],
    [structured, ' (structured mode)'],
  ] as const) {
    target(
      `bus events over ${over}${mode} >= 0.8x ${rawName}`,
      ours.opsPerSec >= 0.8 * raw.opsPerSec,
      `${ratio(ours.opsPerSec, raw.opsPerSec)}; ${formatOps(ours.unitsPerSec)} vs ${formatOps(raw.unitsPerSec)} msg/s`,
    );
    for (const peer of peers) {
      target(
        `bus events over ${over}${mode} >= 2x ${peer.name}`,
        ours.opsPerSec >= 2 * peer.opsPerSec,
        `${ratio(ours.opsPerSec, peer.opsPerSec)}; ${formatOps(peer.unitsPerSec)} msg/s`,
      );
    }
  }
}
