// Counts what a durable-queue consumer acked: probes mark their producer seen; measured
// messages go to the sequence tracker (loss, duplicates) and the latency histogram
// (publish-to-ack: the ack's time minus the send time in the payload). No sockets.
import { Histogram } from '../histogram';
import { PROBE_SEQ, headerOffset, nowNs } from '../payload';
import { SequenceTracker } from '../sequence';
import type { DeliverySink } from './links';
import type { MeasuredWindow, ReliableConsumerReport } from './messages';

/** Deliveries received and not yet acked, as parallel arrays (no object per message). */
class Pending {
  producer: number[] = [];
  seq: number[] = [];
  sentNs: number[] = [];
  bytes: number[] = [];
  length = 0;

  push(producer: number, seq: number, sentNs: number, bytes: number): void {
    this.producer[this.length] = producer;
    this.seq[this.length] = seq;
    this.sentNs[this.length] = sentNs;
    this.bytes[this.length] = bytes;
    this.length++;
  }
}

/** Counts what was acked: probes mark their producer seen, measured messages are recorded. */
export class AckCounter implements DeliverySink {
  readonly tracker = new SequenceTracker();
  readonly latency = new Histogram();
  private readonly pending = new Pending();
  private readonly seen = new Set<number>();
  ackCount = 0;
  measured = 0;
  probes = 0;
  bytes = 0;
  foreign = 0;
  redelivered = 0;
  errors = 0;
  firstNs = 0;
  lastNs = 0;
  /** Acks inside the measured window (probes included, duplicates not). */
  windowAcked = 0;
  window: MeasuredWindow = { startNs: Infinity, endNs: Infinity };

  constructor(
    private readonly producers: number,
    private readonly onReady: () => void,
  ) {}

  received(buf: Buffer, start: number, end: number, redelivered: boolean): void {
    if (redelivered) this.redelivered++;
    const at = headerOffset(buf, start, end);
    if (at < 0) {
      this.foreign++;
      return;
    }
    this.pending.push(
      buf.readUInt32LE(at + 1),
      buf.readUInt32LE(at + 5),
      buf.readDoubleLE(at + 9),
      end - start,
    );
  }

  ackedAt(now: number): void {
    const p = this.pending;
    const inWindow = now >= this.window.startNs && now < this.window.endNs;
    for (let i = 0; i < p.length; i++) {
      this.ackCount++;
      const producer = p.producer[i] as number;
      const seq = p.seq[i] as number;
      if (seq === PROBE_SEQ) {
        this.probes++;
        if (inWindow) this.windowAcked++;
        if (this.seen.size < this.producers) {
          this.seen.add(producer);
          if (this.seen.size === this.producers) this.onReady();
        }
        continue;
      }
      if (!this.tracker.record(producer, seq)) continue;
      if (inWindow) this.windowAcked++;
      this.latency.record(now - (p.sentNs[i] as number));
      this.measured++;
      this.bytes += p.bytes[i] as number;
      if (this.firstNs === 0) this.firstNs = now;
      this.lastNs = now;
    }
    p.length = 0;
  }

  acked(): void {
    this.ackedAt(nowNs());
  }

  error(err: unknown): void {
    if (this.errors++ < 5) console.error('bench reliable consumer:', err);
  }

  report(): ReliableConsumerReport {
    const { duplicates, reordered } = this.tracker.counts();
    return {
      distinct: this.tracker.distinctByProducer(),
      duplicates,
      reordered,
      bytes: this.bytes,
      firstNs: this.firstNs,
      lastNs: this.lastNs,
      latency: this.latency.toSparse(),
      foreign: this.foreign,
      probes: this.probes,
      acked: this.ackCount,
      redelivered: this.redelivered,
      errors: this.errors,
      windowAcked: this.windowAcked,
    };
  }
}
