/**
 * The largest block glibc's malloc adopts as its new mmap threshold when it is freed
 * (`DEFAULT_MMAP_THRESHOLD_MAX` on 64-bit systems is 32 MiB; the block's header and page rounding
 * must fit under it).
 */
export const MALLOC_THRESHOLD_HINT_BYTES = 31 * 1024 * 1024;

let hinted = false;

/**
 * Lets glibc's malloc keep the memory of the work path's tap instead of mapping it afresh for
 * read region after read region: call once, early, in a process that runs a broker in the
 * default mode (the broker program does).
 *
 * The tap reads into 1 MiB regions (`TAP_REGION_BYTES`), freed in bulk when the garbage
 * collector finds their last views gone. glibc maps a block that large on its own (its mmap
 * threshold starts at 128 KiB), and once a freed mapped block has raised the threshold to 1 MiB
 * it still gives the heap's top back to the kernel whenever more than twice that is free: at
 * 64 KiB messages nearly every region was fresh memory, 3 page faults a message. Freeing a
 * mapped block of up to 32 MiB makes glibc take its size as the mmap threshold and twice it as
 * the trim threshold, unless they were set (`GLIBC_TUNABLES`, `mallopt`): so this block,
 * allocated untouched and dropped, sets them to 31 and 62 MiB once the collector frees it, as
 * `GLIBC_TUNABLES` would, which a process cannot set for itself once started. Measured at 64 KiB
 * × 1 producer: 3.0 → 0.1 page faults and about 310 → 205 µs of CPU a message (ADR 0024).
 *
 * With thresholds set through `GLIBC_TUNABLES`, or another C library, the block changes nothing;
 * it costs 31 MiB of address space until the next collection. Returns false when it already ran
 * in this process.
 */
export function hintMallocThresholds(): boolean {
  if (hinted) return false;
  hinted = true;
  // Never written: the kernel maps its pages only if touched, and the collector frees it.
  Buffer.allocUnsafeSlow(MALLOC_THRESHOLD_HINT_BYTES);
  return true;
}
