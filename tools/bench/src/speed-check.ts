// A check of the machine itself, recorded beside every run: the same two fixed loops, one on
// registers only, one reading and writing an 8 MiB array at random. On this machine the first
// takes the same time every run while the second has varied 8-fold within seconds (no page
// faults, nothing else running): memory-bound work, and a broker is that, runs at the speed
// the host lets it have at the time. Figures from runs minutes apart are read with this beside them.

export interface SpeedCheck {
  /** Milliseconds per run of the register-only loop (100M steps), each run. */
  aluMs: number[];
  /** Milliseconds per run of the random-access loop over 8 MiB (20M steps), each run. */
  memoryMs: number[];
}

const ALU_STEPS = 100_000_000;
const MEMORY_STEPS = 20_000_000;
const MEMORY_WORDS = 2 * 1024 * 1024; // 8 MiB of Int32

function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

/** xorshift32: the loops' work, and a result the JIT cannot drop. */
function aluLoop(): { ms: number; sum: number } {
  const t0 = process.hrtime.bigint();
  let x = 1;
  let sum = 0;
  for (let i = 0; i < ALU_STEPS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    sum = (sum + x) | 0;
  }
  return { ms: elapsedMs(t0), sum };
}

function memoryLoop(words: Int32Array): { ms: number; sum: number } {
  const mask = words.length - 1;
  const t0 = process.hrtime.bigint();
  let x = 1;
  let sum = 0;
  for (let i = 0; i < MEMORY_STEPS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const at = (x >>> 0) & mask;
    words[at] = ((words[at] as number) + i) | 0;
    sum = (sum + (words[(at * 7) & mask] as number)) | 0;
  }
  return { ms: elapsedMs(t0), sum };
}

/** Runs each loop `runs` times after two untimed rounds (about 0.2 s and 0.1-0.9 s a run here). */
export function speedCheck(runs = 5): SpeedCheck & { checksum: number } {
  const words = new Int32Array(MEMORY_WORDS);
  words.fill(1); // touched once before timing: no page faults inside the loop
  const out: SpeedCheck & { checksum: number } = { aluMs: [], memoryMs: [], checksum: 0 };
  // Two untimed rounds first: the first runs otherwise time the JIT (the register loop took
  // 420 ms in each of its first two calls, 170 ms after).
  for (let i = 0; i < 2; i++) out.checksum = (aluLoop().sum + memoryLoop(words).sum) | 0;
  for (let i = 0; i < runs; i++) {
    const alu = aluLoop();
    const memory = memoryLoop(words);
    out.aluMs.push(alu.ms);
    out.memoryMs.push(memory.ms);
    out.checksum = (out.checksum + alu.sum + memory.sum) | 0;
  }
  return out;
}

/** `median (min-max)` of each loop, for the report. */
export function describeSpeed(check: SpeedCheck): string {
  const fmt = (ms: number[]): string => {
    const sorted = [...ms].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
    return `${median.toFixed(0)} ms (${(sorted[0] ?? NaN).toFixed(0)}-${(sorted[sorted.length - 1] ?? NaN).toFixed(0)})`;
  };
  return `register loop ${fmt(check.aluMs)}, memory loop ${fmt(check.memoryMs)}`;
}
