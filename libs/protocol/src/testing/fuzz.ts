/**
 * Fuzzing settings shared by every `*.fuzz.spec.ts`: one seed for a whole run, runs per
 * property, and a line saying both, so that any failure can be replayed.
 *
 * In the test suite the seed is fixed (FUZZ_DEFAULT_SEED) and each property takes its default
 * runs. `npm run fuzz -- --runs N [--seed S]` sets ZMQMQ_FUZZ_RUNS (runs per property) and
 * ZMQMQ_FUZZ_SEED (a fresh one unless given); the same variables replay a run.
 */
export const FUZZ_DEFAULT_SEED = 20_261_206;

/** Generated messages so far in this test file, per property name. */
const generated = new Map<string, number>();

/** fast-check parameters for property `name`: its seed and runs. Logs both. */
export function fuzzParameters(
  name: string,
  defaultRuns: number,
): { seed: number; numRuns: number } {
  const seed = Number(process.env['ZMQMQ_FUZZ_SEED'] ?? FUZZ_DEFAULT_SEED);
  const runs = process.env['ZMQMQ_FUZZ_RUNS'];
  const numRuns = runs === undefined ? defaultRuns : Number(runs);
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(numRuns) || numRuns < 1) {
    throw new Error(`bad ZMQMQ_FUZZ_SEED or ZMQMQ_FUZZ_RUNS: ${seed}, ${runs}`);
  }
  console.log(`fuzz ${name}: ${numRuns} runs, seed ${seed} (ZMQMQ_FUZZ_SEED replays it)`);
  return { seed, numRuns };
}

/** Counts `n` generated messages under `name` (see `fuzzReport`). */
export function countGenerated(name: string, n = 1): void {
  generated.set(name, (generated.get(name) ?? 0) + n);
}

/** One line: the messages each property generated in this file, and their total. */
export function fuzzReport(): string {
  const total = [...generated.values()].reduce((a, b) => a + b, 0);
  const parts = [...generated].map(([name, n]) => `${name} ${n}`);
  return `fuzz: ${total} generated messages (${parts.join(', ')})`;
}
