/**
 * The largest block glibc's malloc adopts as its new mmap threshold when it is freed
 * (`DEFAULT_MMAP_THRESHOLD_MAX` on 64-bit systems is 32 MiB; the block's header and page rounding
 * must fit under it).
 */
export const MALLOC_THRESHOLD_HINT_BYTES = 31 * 1024 * 1024;

let hinted = false;

/**
 * Lets glibc's malloc keep the memory of the work path's tap instead of mapping and unmapping it
 * for every read region: call once, early, in a process that runs a broker in the default mode.
 *
 * Why: the tap reads into 1 MiB regions (`TAP_REGION_BYTES`), freed in bulk when the garbage
 * collector finds their last view gone. glibc maps a block that large on its own (the mmap
 * threshold starts at 128 KiB) and, once a freed mapped block has raised the threshold to 1 MiB,
 * still gives the heap's top back to the kernel whenever more than twice that is free: at 64 KiB
 * messages every region was fresh memory again: 3 page faults and a share of an unmap a message. glibc raises both thresholds to the size of a freed mapped block (the threshold to
 * it, the trim threshold to twice it) unless they were set (`GLIBC_TUNABLES`, `mallopt`); so a
 * 31 MiB block, allocated here untouched and dropped, sets them to 31 and 62 MiB once the
 * collector frees it, the same effect as `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=...`,
 * which a process cannot set for itself after it started. Measured, the default mode at 64 KiB
 * × 1 producer: 3.0 → 0.1 page faults and 311 → 222 µs of CPU a message (ADR 0022).
 *
 * Elsewhere it costs 31 MiB of address space until the next collection and nothing else: with
 * musl, or with thresholds set through `GLIBC_TUNABLES`, the freed block changes nothing. Returns
 * false when it already ran in this process.
 */
export function hintMallocThresholds(): boolean {
  if (hinted) return false;
  hinted = true;
  // Never written: the kernel maps its pages only if touched, and the collector frees it.
  Buffer.allocUnsafeSlow(MALLOC_THRESHOLD_HINT_BYTES);
  return true;
}
