/**
 * How much fuzzing to do: `FUZZ_SCALE` multiplies every run count (default 1, the CI budget of a little over
 * 10 000 cases); `FUZZ_SEED` replays a failing run.
 */
export const FUZZ_SCALE = Math.max(0.01, Number(process.env.FUZZ_SCALE ?? '1') || 1);
export const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** `base` runs scaled by {@link FUZZ_SCALE}, at least 1. */
export function runs(base: number): number {
  return Math.max(1, Math.round(base * FUZZ_SCALE));
}
