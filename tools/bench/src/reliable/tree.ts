// A server as the kernel sees it: the processes under the one the benchmark started (RabbitMQ
// is a shell script whose child runs the Erlang VM, with helpers of its own), their CPU time
// and peak memory, and the bytes its data directory takes on disk.
import { readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, memory, processTree } from '../proc';

/** Every process of the trees under `roots` (a server may be several processes the benchmark started). */
function trees(roots: number | readonly number[]): number[] {
  return (typeof roots === 'number' ? [roots] : roots).flatMap((root) => processTree(root));
}

/** CPU seconds of each process of the tree (a process gone meanwhile is left out). */
export function treeCpu(roots: number | readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of trees(roots)) {
    try {
      out.set(pid, cpuSeconds(pid));
    } catch {
      // exited between the listing and the read
    }
  }
  return out;
}

/** CPU seconds the tree used between two readings (processes started meanwhile count whole). */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** The sum of the tree's processes' peak resident sets (VmHWM), bytes. */
export function treePeakRss(roots: number | readonly number[]): number {
  let total = 0;
  for (const pid of trees(roots)) {
    try {
      const { peakRss } = memory(pid);
      if (Number.isFinite(peakRss)) total += peakRss;
    } catch {
      // exited between the listing and the read
    }
  }
  return total;
}

/** Bytes the files under `dir` take on disk (allocated blocks, as `du` counts them). */
export function diskBytes(dir: string): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0; // not created yet, or removed meanwhile
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      total += st.isDirectory() ? diskBytes(path) : st.blocks * 512;
    } catch {
      // removed meanwhile (a store deleting a segment)
    }
  }
  return total;
}
