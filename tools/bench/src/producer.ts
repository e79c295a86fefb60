// Producer process: a PUB connected to the broker's ingress. Sends warm-up probes until told
// to go, then measured messages numbered 1..n, as fast as it can or paced by a token bucket.
// The PUB is the lean ZMTP writer (zmtp.ts: one write per batch) or, with `--meter zeromq`,
// a zeromq.js Publisher.
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { Publisher } from 'zeromq';
import { childConfig, tellParent } from './messages';
import type { CurveClientKeys, ProducerConfig, ProducerGo, ToProducer } from './messages';
import { PROBE_SEQ, frameTemplate, nowNs, stampHeader } from './payload';
import { TokenBucket } from './token-bucket';
import { writeZmtpFrameHeader, zmtpFrameHeaderBytes } from '@zmq-mq/protocol';
import { ZmtpPublisher } from './zmtp';

const BATCH = 256;
/** The producer's send queue (messages, and about 4 MiB at most) before it waits or drops. */
const SEND_HWM = 10_000;
const SEND_QUEUE_BYTES = 4 * 1024 * 1024;
const BACKOFF_MS = 1;
/** Rate mode: the pause between two batches (µs). */
const PACE_US = 1000;
const PROBE_INTERVAL_MS = 5;
/** Written batches kept for reuse (FramePool). */
const POOL_KEEP = 4;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for about `us` microseconds without spinning (a futex wait). */
function pause(us: number): void {
  Atomics.wait(sleeper, 0, 0, us / 1000);
}

/** Numbers and stamps messages: probes (uncounted) before `startNs`, then 1, 2, 3… */
class Stamper {
  /** The last measured message sent. */
  seq = 0;
  startNs = Number.MAX_SAFE_INTEGER;

  constructor(
    private readonly template: Buffer,
    private readonly producer: number,
  ) {}

  /** The next message, stamped now; its sequence number counts once `commit`ted. */
  next(): { frame: Buffer; seq: number } {
    const frame = Buffer.from(this.template);
    return { frame, seq: this.headerInto(frame, 0, nowNs()) };
  }

  /**
   * Stamps the next message, sent at `t`, into a frame at `offset` of `buf` that holds the
   * template already; returns its (uncommitted) seq.
   */
  // It runs the same operations before and after startNs (the choice is a select between
  // values already computed): an operation first reached when the window opens makes V8
  // deoptimise and recompile this path right then, under full load.
  headerInto(buf: Buffer, offset: number, t: number): number {
    const next = this.seq + 1;
    const seq = t < this.startNs ? PROBE_SEQ : next;
    stampHeader(buf, offset, this.producer, seq, t);
    return seq;
  }

  commit(seq: number): void {
    this.seq = seq === PROBE_SEQ ? this.seq : seq;
  }
}

/**
 * Batches of ZMTP frames, reused once the kernel has taken them: each holds every frame's
 * header and the template in place, so a message costs its stamp rather than a copy of its
 * whole payload into fresh memory. At 64 KiB that copy and the page faults of fresh batches
 * (16 MiB each) made the producer, not the broker, the limit of every run.
 */
class FramePool {
  private readonly free: Buffer[] = [];
  /** Where a frame's payload starts, from the frame's start. */
  readonly headerBytes: number;
  readonly frameBytes: number;

  constructor(private readonly template: Buffer) {
    this.headerBytes = zmtpFrameHeaderBytes(template.length);
    this.frameBytes = this.headerBytes + template.length;
  }

  /** A batch with room for `n` frames at least (frame i at i × frameBytes). */
  take(n: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= n * this.frameBytes);
    if (i >= 0) return this.free.splice(i, 1)[0] as Buffer;
    const count = Math.max(n, BATCH);
    const buf = Buffer.allocUnsafe(count * this.frameBytes);
    for (let k = 0, at = 0; k < count; k++, at += this.frameBytes) {
      this.template.copy(buf, writeZmtpFrameHeader(buf, at, this.template.length));
    }
    return buf;
  }

  /** `buf` was written (or dropped): it may be taken again. */
  release(buf: Buffer): void {
    if (this.free.length < POOL_KEEP) this.free.push(buf);
  }
}

/** The producer's socket, whichever implementation writes it. */
interface Link {
  connect(endpoint: string): void;
  /** Sends up to `n` messages, waiting while the broker's ingress is full (no drop). */
  sendWaiting(stamper: Stamper, n: number): Promise<void>;
  /** Sends `n` messages; those the link cannot hold are dropped, as a PUB drops at its HWM. */
  sendOrDrop(stamper: Stamper, n: number): void;
  close(): void;
}

function zeromqLink(template: Buffer, onError: () => void, curve?: CurveClientKeys): Link {
  const sendHighWaterMark = Math.max(
    100,
    Math.min(SEND_HWM, Math.floor(SEND_QUEUE_BYTES / template.length)),
  );
  const pub = new Publisher({ ...curve, linger: 0, sendTimeout: 0, sendHighWaterMark });
  return {
    connect: (endpoint) => pub.connect(endpoint),
    async sendWaiting(stamper, n) {
      // A full pipe makes send() fail with EAGAIN (noDrop) and the producer waits instead of
      // burning a core on messages its own PUB would drop.
      pub.noDrop = true;
      for (let i = 0; i < n; i++) {
        const { frame, seq } = stamper.next();
        try {
          await pub.send(frame);
          stamper.commit(seq);
        } catch (err) {
          if ((err as { code?: string }).code !== 'EAGAIN') onError();
          await sleep(BACKOFF_MS);
          return;
        }
      }
    },
    sendOrDrop(stamper, n) {
      for (let i = 0; i < n; i++) {
        const { frame, seq } = stamper.next();
        pub.send(frame).catch(onError);
        stamper.commit(seq);
      }
    },
    close: () => pub.close(),
  };
}

function zmtpLink(template: Buffer, onError: () => void): Link {
  const pub = new ZmtpPublisher(() => onError());
  const pool = new FramePool(template);
  const { frameBytes, headerBytes } = pool;
  /**
   * `n` stamped messages as one batch of ZMTP frames, written with one system call right after:
   * one clock read stamps them all (the batch is built in well under 0.1 ms).
   */
  const stamped = (stamper: Stamper, n: number): { batch: Buffer; bytes: Buffer } => {
    const batch = pool.take(n);
    const t = nowNs();
    for (let i = 0, at = headerBytes; i < n; i++, at += frameBytes) {
      stamper.commit(stamper.headerInto(batch, at, t));
    }
    return { batch, bytes: batch.subarray(0, n * frameBytes) };
  };
  return {
    connect: (endpoint) => pub.connect(endpoint),
    async sendWaiting(stamper, n) {
      if (!pub.ready) {
        await sleep(BACKOFF_MS);
        return;
      }
      if (n === 0) return;
      const { batch, bytes } = stamped(stamper, n);
      if (!pub.write(bytes, () => pool.release(batch))) await pub.drained();
    },
    sendOrDrop(stamper, n) {
      // Stamped (and numbered) either way: a dropped batch is loss the consumers will count.
      if (n === 0) return;
      const { batch, bytes } = stamped(stamper, n);
      if (pub.ready && pub.queuedBytes < SEND_QUEUE_BYTES)
        pub.write(bytes, () => pool.release(batch));
      else pool.release(batch);
    },
    close: () => pub.close(),
  };
}

async function main(): Promise<void> {
  const config = childConfig<ProducerConfig>();
  const template = frameTemplate(config.payloadBytes);
  let errors = 0;
  const onError = (): void => {
    errors++;
  };
  if (config.curve !== undefined && config.meter !== 'zeromq') {
    throw new Error('CURVE needs the zeromq meter: the lean ZMTP writer speaks no CURVE');
  }
  const link =
    config.meter === 'zeromq'
      ? zeromqLink(template, onError, config.curve)
      : zmtpLink(template, onError);
  const stamper = new Stamper(template, config.id);
  let go: ProducerGo | null = null;
  let exit = false;
  process.on('message', (m: ToProducer) => {
    if (m.type === 'go') go = m;
    else exit = true;
  });
  process.on('disconnect', () => process.exit(0));

  link.connect(config.endpoint);
  tellParent({ type: 'connected' });

  while (!go && !exit) {
    link.sendOrDrop(stamper, 1);
    await sleep(PROBE_INTERVAL_MS);
  }
  if (go) {
    const { durationMs, ratePerSec, count, backpressure, warmupMs } = go as ProducerGo;
    const limit = count ?? Number.MAX_SAFE_INTEGER;
    // Probes (not counted) until startNs, then measured messages numbered 1..n until endNs.
    const startNs = nowNs() + warmupMs * 1e6;
    const endNs = startNs + durationMs * 1e6;
    stamper.startNs = startNs;
    const more = (): boolean => stamper.seq < limit && nowNs() < endNs && !exit;
    if (ratePerSec === null && backpressure) {
      while (more()) {
        await link.sendWaiting(stamper, Math.min(BATCH, limit - stamper.seq));
        await yieldToLoop();
      }
    } else if (ratePerSec === null) {
      while (more()) {
        link.sendOrDrop(stamper, Math.min(BATCH, limit - stamper.seq));
        await yieldToLoop();
      }
    } else {
      // Batches 1 ms apart: a blocking futex wait of PACE_US (no CPU burnt, and exact where a
      // 1 ms timer fires after 1.1-2 ms), one turn of the event loop (IPC), then what the bucket
      // allows, each message stamped right before its send. Shorter pauses (250 µs) measured
      // the same p99 but cost every process more wake-ups: our broker fell to 79k msg/s at 110k.
      // The first half of the warm-up ramps from a tenth of the rate to all of it: a cold start
      // at full rate (JIT, buffers) built a backlog that a loaded box took 300-500 ms to clear.
      const bucket = new TokenBucket(ratePerSec, Math.max(1, ratePerSec / 200), nowNs() / 1e6);
      const goNs = nowNs();
      const rampNs = (warmupMs * 1e6) / 2;
      while (more()) {
        const now = nowNs();
        const share = rampNs > 0 ? Math.min(1, 0.1 + (0.9 * (now - goNs)) / rampNs) : 1;
        const n = Math.ceil(bucket.take(now / 1e6) * share);
        link.sendOrDrop(stamper, Math.min(n, limit - stamper.seq));
        pause(PACE_US);
        await yieldToLoop();
      }
    }
    tellParent({ type: 'done', sent: stamper.seq, errors, startNs, endNs: nowNs() });
  }
  for (let i = 0; i < 600 && !exit; i++) await sleep(100);
  link.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error('bench producer:', err);
  process.exit(1);
});
