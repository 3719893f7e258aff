/**
 * The shared reporter of the benchmark suite: every bench prints its tables, notes and targets through it, in
 * Markdown on stdout, and it writes them as JSON (`<results dir>/<bench>.json`) when the process exits, so
 * bench/run.ts can regenerate bench/RESULTS.md from a full run.
 *
 * The results directory is `BENCH_RESULTS_DIR`, else `.bench-tmp/results` (git-ignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable } from './markdown.js';

/** A Markdown table: a title, optional anchor names, column headers and rows of already formatted cells. */
export interface TableSection {
  readonly kind: 'table';
  readonly title: string;
  /** The reference case(s) the ratios in the table are taken against. */
  readonly anchors: readonly string[];
  readonly columns: readonly string[];
  /** Right-aligned columns (numbers), by index. */
  readonly numeric: readonly number[];
  readonly rows: readonly (readonly string[])[];
}

/** A line of prose: a skipped peer with its reason, a derived figure, a caveat. */
export interface NoteSection {
  readonly kind: 'note';
  readonly text: string;
}

/** A target of the benchmark issue: met or missed, with the measured figure. */
export interface TargetSection {
  readonly kind: 'target';
  readonly description: string;
  readonly met: boolean;
  readonly detail: string;
}

export type Section = TableSection | NoteSection | TargetSection;

/** What one bench file wrote: the JSON file's content. */
export interface BenchReport {
  readonly bench: string;
  readonly title: string;
  readonly node: string;
  readonly smoke: boolean;
  readonly startedAt: string;
  finishedAt?: string;
  /** `false` when the process exited with a non-zero code or an uncaught error. */
  ok?: boolean;
  readonly sections: Section[];
}

const here = dirname(fileURLToPath(import.meta.url));

/** Where the JSON results go. */
export const resultsDir = process.env.BENCH_RESULTS_DIR ?? join(here, '..', '.bench-tmp', 'results');

const benchName = basename(process.argv[1] ?? 'bench').replace(/\.bench\.[cm]?[tj]s$/, '');

const report: BenchReport = {
  bench: benchName,
  title: benchName,
  node: process.version,
  smoke: process.env.BENCH_SMOKE === '1',
  startedAt: new Date().toISOString(),
  sections: [],
};

let written = false;

function write(ok: boolean): void {
  if (written) return;
  written = true;
  report.finishedAt = new Date().toISOString();
  report.ok = ok;
  try {
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, `${benchName}.json`), `${JSON.stringify(report, null, 2)}\n`);
  } catch (error) {
    console.error(`could not write the results of ${benchName}: ${String(error)}`);
  }
}

process.on('exit', (code) => write(code === 0));

/** Sets the heading of this bench file in RESULTS.md (default: the file name). */
export function title(text: string): void {
  (report as { title: string }).title = text;
}

/** Prints and records a table. */
export function table(
  section: Omit<TableSection, 'kind' | 'numeric'> & { numeric?: readonly number[] },
): void {
  const numeric = section.numeric ?? section.columns.map((_, i) => i).slice(1);
  const full: TableSection = { kind: 'table', ...section, numeric };
  report.sections.push(full);
  console.log(`\n${renderTable(full)}`);
}

/** Prints and records a note. */
export function note(text: string): void {
  report.sections.push({ kind: 'note', text });
  console.log(text);
}

/** Prints and records whether a target is met. */
export function target(description: string, met: boolean, detail: string): void {
  report.sections.push({ kind: 'target', description, met, detail });
  console.log(`target: ${description}: ${met ? 'MET' : 'MISSED'} (${detail})`);
}

// Cleanup hooks: brokers and servers a bench started are stopped even when it is interrupted.
const cleanups: (() => unknown)[] = [];

/** Registers something to stop when the bench ends, fails or is interrupted (SIGINT, SIGTERM). */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** Runs the registered cleanups once, newest first. */
export async function cleanup(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (error) {
      console.error(`cleanup failed: ${String(error)}`);
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${benchName}: ${signal}, stopping what the bench started`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void cleanup().finally(() => process.exit(1));
  });
}

/**
 * Runs a bench's main function: cleanups always run, an error sets a failing exit code and is printed.
 *
 * @example
 * ```ts
 * await main(async () => { onCleanup(() => server.stop()); await scenario('...', cases); });
 * ```
 */
export async function main(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}
