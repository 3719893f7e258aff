/**
 * The long fuzz run: every decoder target and the consumer pipeline (plain and secure) with many more cases than
 * CI runs. Prints, per target, the cases run and how they ended (accepted, or the code of the typed rejection).
 *
 *   node --import tsx scripts/fuzz.ts                 # about 120 000 cases
 *   FUZZ_SCALE=10 node --import tsx scripts/fuzz.ts   # ten times more
 *   FUZZ_SEED=1234 node --import tsx scripts/fuzz.ts  # replay a reported failure
 *
 * Exits 1 on the first finding, printing fast-check's counterexample and seed.
 */
import fc from 'fast-check';
import { fuzzPipeline } from '../test/fuzz/pipeline.js';
import { decoderTargets } from '../test/fuzz/targets.js';

const scale = Math.max(0.01, Number(process.env.FUZZ_SCALE ?? '1') || 1);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const PER_TARGET = Math.round(12_000 * scale);
const PIPELINE_BATCHES = Math.max(1, Math.round(400 * scale));

async function main(): Promise<void> {
  const started = performance.now();
  let total = 0;
  for (const target of decoderTargets()) {
    const outcomes = new Map<string, number>();
    const t0 = performance.now();
    fc.assert(
      fc.property(target.input, (input) => {
        const outcome = target.check(input);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { numRuns: PER_TARGET, ...(seed === undefined ? {} : { seed }) },
    );
    total += PER_TARGET;
    const summary = [...outcomes]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(
      `${target.name}: ${PER_TARGET} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s (${summary})`,
    );
  }
  for (const secure of [false, true]) {
    const t0 = performance.now();
    const sent = await fuzzPipeline({ runs: PIPELINE_BATCHES, batch: 60, secure, seed });
    total += sent;
    console.log(
      `consumer pipeline${secure ? ' (secure)' : ''}: ${sent} raw messages in ${PIPELINE_BATCHES} batches, ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  console.log(`fuzz: ${total} cases, no findings, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
