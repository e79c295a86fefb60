import { execFileSync } from 'node:child_process';
import { hintMallocThresholds, MALLOC_THRESHOLD_HINT_BYTES } from '../src/malloc-thresholds';
import { TAP_REGION_BYTES } from '../src/stream-tap';

const REGIONS = 8;

/**
 * How much the process's `[heap]` mapping (glibc's main arena) grows while REGIONS read regions
 * are allocated and filled, in a fresh Node process that first drops a block of `hintBytes`
 * (none for 0) and collects it. The collector runs on the main thread (`--single-threaded-gc`),
 * so the block is freed by the time `gc()` returns.
 */
function heapGrowth(hintBytes: number): number {
  const script = `
    const { readFileSync } = require('node:fs');
    const heap = () => {
      const m = /^([0-9a-f]+)-([0-9a-f]+) .*\\[heap\\]$/m.exec(readFileSync('/proc/self/maps', 'utf8'));
      return m === null ? 0 : parseInt(m[2], 16) - parseInt(m[1], 16);
    };
    if (${hintBytes} > 0) Buffer.allocUnsafeSlow(${hintBytes});
    globalThis.gc();
    const before = heap();
    const regions = [];
    for (let i = 0; i < ${REGIONS}; i++) regions.push(Buffer.allocUnsafeSlow(${TAP_REGION_BYTES}).fill(i));
    process.stdout.write(String(heap() - before));
  `;
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--single-threaded-gc', '-e', script],
    {
      encoding: 'utf8',
      timeout: 10_000,
    },
  );
  return Number(out);
}

// glibc (Linux) behaviour the broker program relies on; see malloc-thresholds.ts.
describe("glibc's malloc and the tap's read regions", () => {
  it('maps each region on its own in a fresh process: none of them comes from the heap', () => {
    // Node's own small allocations may grow the heap by a few pages meanwhile.
    expect(heapGrowth(0)).toBeLessThan(TAP_REGION_BYTES);
  });

  it('serves regions from the heap once the dropped hint block has been freed', () => {
    expect(heapGrowth(MALLOC_THRESHOLD_HINT_BYTES)).toBeGreaterThanOrEqual(
      REGIONS * TAP_REGION_BYTES,
    );
  });

  it('drops its block once per process', () => {
    expect(hintMallocThresholds()).toBe(true);
    expect(hintMallocThresholds()).toBe(false);
  });
});
