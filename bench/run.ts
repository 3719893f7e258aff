/**
 * Runs every benchmark in `bench/` (files named `*.bench.ts`), each in its own process, or only those whose name
 * contains one of the arguments: `npm run bench`, `npm run bench -- envelope nats`.
 *
 * Each bench writes its tables and targets as JSON into the results directory (see bench/report.ts). After a full
 * run of the whole suite (no filter, not `BENCH_SMOKE=1`) this regenerates bench/RESULTS.md from them;
 * `npm run bench -- --render` rebuilds it from the last full run (after editing bench/ANALYSIS.md). A bench
 * runs in its own process group with a time limit, so a hung bench and anything it started (a nats-server, a
 * Kafka broker) are stopped as a group.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from './report.js';
import { machineLines, type Outcome, renderResults } from './results-md.js';

const here = dirname(fileURLToPath(import.meta.url));
const smoke = process.env.BENCH_SMOKE === '1';
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const resultsDir = process.env.BENCH_RESULTS_DIR ?? join(here, '..', '.bench-tmp', 'results');
const outcomesFile = join(resultsDir, 'outcomes.json');

// `--render`: rebuild RESULTS.md from the last full run's JSON (after editing bench/ANALYSIS.md), without running.
if (process.argv.includes('--render')) {
  if (!existsSync(outcomesFile)) {
    console.error(`no full run to render: ${outcomesFile} is missing`);
    process.exit(1);
  }
  const saved = JSON.parse(readFileSync(outcomesFile, 'utf8')) as SavedRun;
  writeResults(saved, loadReports(saved.outcomes.map((o) => o.file)));
  process.exit(0);
}
// Smoke passes must stay short in CI; a full bench may legitimately take minutes (NATS scaling, a million messages).
const limitMs = Number(process.env.BENCH_TIMEOUT_MS ?? (smoke ? 120_000 : 20 * 60_000));

const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches '${filters.join(' ')}'`);
  process.exit(1);
}
const fullSuite = filters.length === 0 && !smoke;

rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

let current: { pid: number } | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Forward to the bench's whole group; its own handler stops what it started.
    if (current !== undefined) killGroup(current.pid, 'SIGTERM');
    setTimeout(() => process.exit(130), 12_000).unref();
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function runBench(file: string): Promise<{ code: number; ms: number; timedOut: boolean }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, file)], {
      stdio: 'inherit',
      detached: true,
      env: { ...process.env, BENCH_RESULTS_DIR: resultsDir },
    });
    const pid = child.pid ?? 0;
    current = { pid };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\n${file}: over ${limitMs / 1000} s, stopping it`);
      killGroup(pid, 'SIGTERM');
      setTimeout(() => killGroup(pid, 'SIGKILL'), 15_000).unref();
    }, limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      // Whatever the bench left in its group (a broker it did not stop) goes with it.
      killGroup(pid, 'SIGKILL');
      resolve({ code: code ?? (signal === null ? 1 : 128), ms: performance.now() - started, timedOut });
    });
  });
}

const outcomes: { file: string; code: number; ms: number; timedOut: boolean }[] = [];
for (const file of files) {
  console.log(`\n## ${file} (Node ${process.version}${smoke ? ', smoke' : ''})`);
  outcomes.push({ file, ...(await runBench(file)) });
}

const reports = loadReports(files);

console.log('\n## Summary\n');
console.log('| bench | exit | seconds | targets met |\n|---|---:|---:|---:|');
for (const o of outcomes) {
  const report = reports.find((r) => `${r.bench}.bench.ts` === o.file);
  const targets = report?.sections.filter((s) => s.kind === 'target') ?? [];
  const met = targets.filter((t) => t.kind === 'target' && t.met).length;
  console.log(
    `| ${o.file} | ${o.timedOut ? 'timed out' : o.code} | ${(o.ms / 1000).toFixed(1)} | ${met}/${targets.length} |`,
  );
}
for (const r of reports) {
  for (const s of r.sections) {
    if (s.kind === 'target' && !s.met) console.log(`missed: ${r.bench}: ${s.description} (${s.detail})`);
  }
}

const failed = outcomes.filter((o) => o.code !== 0);
if (fullSuite) {
  const run: SavedRun = { outcomes, machine: machineLines() };
  writeFileSync(outcomesFile, `${JSON.stringify(run, null, 2)}\n`);
  writeResults(run, reports);
} else {
  console.log(`\nresults in ${resultsDir} (bench/RESULTS.md is regenerated only by a full, non-smoke run)`);
}
process.exit(failed.length === 0 ? 0 : 1);

function loadReports(benchFiles: readonly string[]): BenchReport[] {
  return benchFiles.flatMap((file) => {
    const path = join(resultsDir, `${file.replace(/\.bench\.ts$/, '')}.json`);
    return existsSync(path) ? [JSON.parse(readFileSync(path, 'utf8')) as BenchReport] : [];
  });
}

/** What a full run keeps besides the per-bench JSON: exit codes and times, and the machine as it was. */
interface SavedRun {
  readonly outcomes: readonly Outcome[];
  readonly machine: readonly string[];
}

function writeResults(run: SavedRun, reports: readonly BenchReport[]): void {
  const path = join(here, 'RESULTS.md');
  writeFileSync(path, renderResults(reports, run.outcomes, readNotes(), run.machine));
  console.log(`\nwrote ${path}`);
}

function readNotes(): string | undefined {
  const path = join(here, 'ANALYSIS.md');
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
