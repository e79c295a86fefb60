/**
 * Delivery counts handed to the kernel before a delivery goes out, so that a broker killed
 * between a lease and the next commit still counts the redelivery.
 *
 * The LMDB journal writes each lease's count with the next group commit and does not wait for
 * it (an fsync inside every credit cycle cost three quarters of a worker's deliveries in the
 * crash test). A lease younger than that commit was lost at a kill -9 and came back as a first
 * attempt. This log closes that gap for a process crash: each `lease()` appends one record per
 * delivery with one `write(2)` (no fsync) before it returns; the kernel keeps the bytes when the
 * process dies. A power cut can still lose the last commit's counts (then such a message is
 * redelivered one attempt lower, as before).
 *
 * Two files take turns. When the one written to passes ROTATE_BYTES, writes move to the other
 * (once that one is empty) and the full one is emptied as soon as the journal says every write
 * issued before the switch is durable: by then each count it holds is in LMDB. At open, the
 * counts of both files are merged into the chunks' state records (the higher count wins, a
 * settled message stays settled), made durable, and both files emptied.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** One record: qid (u32), delivery count (u32), seq (f64), little-endian. */
export const LEASE_RECORD_BYTES = 16;
/** A file past this many bytes hands over to the other (65,536 deliveries). */
export const ROTATE_BYTES = 1024 * 1024;
/** The two files, in the data directory. */
export const LEASE_LOG_FILES = ['leases-a.log', 'leases-b.log'] as const;

/** A lease as the log recorded it. */
export interface LoggedLease {
  qid: number;
  seq: number;
  attempts: number;
}

export class LeaseLog {
  private fds: number[] = [];
  private current = 0;
  private written = 0;
  /** Whether the file not written to is empty (its counts durable elsewhere). */
  private otherEmpty = true;
  private buf = Buffer.allocUnsafe(LEASE_RECORD_BYTES * 256);

  constructor(private readonly dir: string) {}

  /** Every lease both files hold (what a crashed process logged); torn tails ignored. */
  read(): LoggedLease[] {
    const out: LoggedLease[] = [];
    for (const name of LEASE_LOG_FILES) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(this.dir, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const whole = bytes.length - (bytes.length % LEASE_RECORD_BYTES);
      for (let at = 0; at < whole; at += LEASE_RECORD_BYTES) {
        out.push({
          qid: bytes.readUInt32LE(at),
          attempts: bytes.readUInt32LE(at + 4),
          seq: bytes.readDoubleLE(at + 8),
        });
      }
    }
    return out;
  }

  /** Empties both files and opens them for appending (after `read()`'s counts are durable). */
  start(): void {
    this.fds = LEASE_LOG_FILES.map((name) => openSync(join(this.dir, name), 'w'));
    this.current = 0;
    this.written = 0;
    this.otherEmpty = true;
  }

  /** Hands the leases to the kernel: one write for the lot. */
  append(qid: number, leases: ReadonlyArray<{ seq: number; attempt: number }>): void {
    const fd = this.fds[this.current];
    if (fd === undefined) return;
    const size = leases.length * LEASE_RECORD_BYTES;
    if (this.buf.length < size) this.buf = Buffer.allocUnsafe(size);
    let at = 0;
    for (const l of leases) {
      this.buf.writeUInt32LE(qid, at);
      this.buf.writeUInt32LE(l.attempt, at + 4);
      this.buf.writeDoubleLE(l.seq, at + 8);
      at += LEASE_RECORD_BYTES;
    }
    let done = 0;
    while (done < size) done += writeSync(fd, this.buf, done, size - done);
    this.written += size;
  }

  /**
   * Called once the counts logged so far have been issued to the journal: past ROTATE_BYTES,
   * writes move to the other file, and this one is emptied when `durable()` resolves.
   */
  rotateIfFull(durable: () => Promise<void>): void {
    if (this.written < ROTATE_BYTES || !this.otherEmpty || this.fds.length === 0) return;
    const full = this.current;
    this.current = 1 - full;
    this.written = 0;
    this.otherEmpty = false;
    durable().then(
      () => {
        const fd = this.fds[full];
        if (fd === undefined) return;
        ftruncateSync(fd, 0);
        this.otherEmpty = true;
      },
      // The journal has failed: the store stops; the file keeps its counts for the next open.
      () => undefined,
    );
  }

  /** Empties (every count durable) and closes both files. */
  close(emptied: boolean): void {
    for (const fd of this.fds) {
      if (emptied) ftruncateSync(fd, 0);
      closeSync(fd);
    }
    this.fds = [];
  }
}
