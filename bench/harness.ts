/**
 * A small benchmark harness: every case of a scenario runs in the same process, in alternating rounds after a
 * warm-up, and the report gives the median throughput of each case and its ratio to the anchor.
 *
 * Written here rather than taken from tinybench because the suite needs alternating rounds across cases (so a
 * noisy neighbour on a 2-core machine hits every case alike) and ratios against a named anchor.
 */

export interface BenchCase {
  /** Display name. */
  readonly name: string;
  /** One operation; the harness awaits it when it returns a promise. */
  readonly fn: () => unknown;
  /** Marks the reference the other cases are compared with. */
  readonly anchor?: boolean;
}

export interface BenchResult {
  readonly name: string;
  readonly opsPerSec: number;
  readonly ratioToAnchor: number;
  readonly nsPerOp: number;
}

export interface ScenarioOptions {
  /** Rounds per case (alternating). Default 7, 2 in smoke mode. */
  readonly rounds?: number;
  /** Minimum time per round in ms. Default 300, 30 in smoke mode. */
  readonly roundMs?: number;
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs a scenario and prints a table; returns the results. */
export async function scenario(
  title: string,
  cases: readonly BenchCase[],
  options: ScenarioOptions = {},
): Promise<BenchResult[]> {
  const rounds = options.rounds ?? (smoke ? 2 : 7);
  const roundMs = options.roundMs ?? (smoke ? 30 : 300);
  for (const c of cases) await runFor(c.fn, Math.min(roundMs, 200)); // warm-up
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) samples.get(c.name)!.push(await runFor(c.fn, roundMs));
  }
  const anchor = cases.find((c) => c.anchor) ?? cases[0]!;
  const anchorOps = median(samples.get(anchor.name)!);
  const results = cases.map((c) => {
    const ops = median(samples.get(c.name)!);
    return { name: c.name, opsPerSec: ops, ratioToAnchor: ops / anchorOps, nsPerOp: 1e9 / ops };
  });
  printTable(title, anchor.name, results);
  return results;
}

/** Formats a number of operations per second. */
export function formatOps(ops: number): string {
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)} M/s`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)} k/s`;
  return `${ops.toFixed(0)} /s`;
}

function printTable(title: string, anchorName: string, results: readonly BenchResult[]): void {
  const lines = [
    `\n### ${title}`,
    `anchor: ${anchorName}`,
    '| case | ops/s | ns/op | ratio to anchor |',
    '|---|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${formatOps(r.opsPerSec)} | ${r.nsPerOp.toFixed(0)} | ${r.ratioToAnchor.toFixed(2)}x |`,
    ),
  ];
  console.log(lines.join('\n'));
}

/** Prints whether a ratio target is met. */
export function target(description: string, met: boolean, detail: string): void {
  console.log(`target: ${description}: ${met ? 'MET' : 'MISSED'} (${detail})`);
}
