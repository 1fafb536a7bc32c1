/**
 * How hard the fuzz tests push: `npm test` runs them at a size that takes seconds;
 * `npm run fuzz` (scripts/fuzz.mjs) sets FUZZ_SCALE to multiply the runs and sizes, and
 * FUZZ_SEED to replay a failure that fast-check reported.
 */
import type { Parameters } from 'fast-check';

export const FUZZ_SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1) || 1);

/** fast-check parameters for a property worth `runs` cases at scale 1. */
export function fuzzParams(runs: number): Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  return { numRuns: Math.round(runs * FUZZ_SCALE), ...(seed === undefined ? {} : { seed: Number(seed) }) };
}

/** A test timeout that grows with the scale. */
export function fuzzTimeout(ms: number): number {
  return ms * FUZZ_SCALE;
}
