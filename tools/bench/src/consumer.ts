// Consumer process: a SUB (everything) or a PULL on one of the broker's outputs. Marks each
// producer seen from its probes, then counts measured messages: distinct per producer,
// duplicates, bytes and send-to-receive latency. The socket is the lean ZMTP meter (zmtp.ts)
// or, with `--meter zeromq`, a zeromq.js socket.
import { writeFileSync } from 'node:fs';
import { Pull, Subscriber } from 'zeromq';
import { Histogram } from './histogram';
import { childConfig, tellParent } from './messages';
import type { ConsumerConfig, ToConsumer } from './messages';
import { PROBE_SEQ, headerOffset, nowNs } from './payload';
import { receiveAll } from './receive';
import { SequenceTracker } from './sequence';
import { ZmtpConsumer, type FrameSink } from './zmtp';

/** The consumer's socket, whichever implementation reads it. */
interface Meter {
  start(sink: FrameSink): Promise<string>;
  close(): void;
}

function zeromqMeter(config: ConsumerConfig): Meter {
  const options = { ...config.curve, linger: 0, receiveHighWaterMark: config.receiveHwm };
  const socket = config.kind === 'sub' ? new Subscriber(options) : new Pull(options);
  if (socket instanceof Subscriber) socket.subscribe();
  return {
    async start(sink) {
      if (config.bind) await socket.bind(config.endpoint);
      else socket.connect(config.endpoint);
      const onMessage = (frames: Buffer[]): void => {
        sink.chunk();
        frames.forEach((f, i) => sink.frame(f, 0, f.length, i < frames.length - 1));
      };
      receiveAll(socket, onMessage).catch(fail);
      return socket.lastEndpoint ?? config.endpoint;
    },
    close: () => socket.close(),
  };
}

function zmtpMeter(config: ConsumerConfig): Meter {
  if (config.curve !== undefined) {
    throw new Error('CURVE needs the zeromq meter: the lean ZMTP reader speaks no CURVE');
  }
  let consumer: ZmtpConsumer | null = null;
  return {
    async start(sink) {
      consumer = new ZmtpConsumer(config.kind === 'sub' ? 'SUB' : 'PULL', sink, fail);
      if (config.bind) return consumer.bind(config.endpoint);
      consumer.connect(config.endpoint);
      return config.endpoint;
    },
    close: () => consumer?.close(),
  };
}

/**
 * Development aid: with BENCH_LATENCY_TRACE=PATH, each consumer writes `PATH.<kind>` at its report,
 * one line per 10 ms of the monotonic clock: the bucket, its highest latency in ms and its
 * message count. Shows whether a p99 comes from steady cost or from episodes (bounded: one
 * slot per bucket, at most MAX_TRACE_BUCKETS).
 */
const TRACE_PATH = process.env['BENCH_LATENCY_TRACE'];
/** Warm-up sequence numbers wrap here, so the warm-up tracker stays small (128 KiB). */
const WARM_SEQ_SPAN = 1 << 20;
const TRACE_BUCKET_NS = 10_000_000;
const MAX_TRACE_BUCKETS = 100_000;

class LatencyTrace {
  private readonly lines: string[] = [];
  private bucket = 0;
  private max = 0;
  private count = 0;

  record(nowNs: number, latencyNs: number): void {
    const b = Math.floor(nowNs / TRACE_BUCKET_NS);
    if (b !== this.bucket) {
      this.flush();
      this.bucket = b;
    }
    if (latencyNs > this.max) this.max = latencyNs;
    this.count++;
  }

  write(path: string): void {
    this.flush();
    writeFileSync(path, this.lines.join('\n') + '\n');
  }

  private flush(): void {
    if (this.count > 0 && this.lines.length < MAX_TRACE_BUCKETS) {
      this.lines.push(`${this.bucket} ${(this.max / 1e6).toFixed(2)} ${this.count}`);
    }
    this.max = 0;
    this.count = 0;
  }
}

function fail(err: unknown): void {
  console.error('bench consumer:', err);
  process.exit(1);
}

/**
 * Counts deliveries: distinct messages per producer, duplicates, bytes and latency. The
 * measured messages go to one Sink and the warm-up messages (probes, renumbered) to another of
 * the same class, through the same code: when the window opens, V8 already runs compiled code
 * for it. (With a separate branch for measured messages, the window opened with 50-100 ms of
 * 10-30 ms latencies in both consumers at once, while V8 deoptimised and recompiled that
 * branch under load: at 300k msg/s about 1 % of a 6 s window, most of a p99.)
 */
class Sink {
  readonly tracker = new SequenceTracker();
  readonly latency = new Histogram();
  received = 0;
  bytes = 0;
  firstNs = 0;
  lastNs = 0;

  /** `trace`: the timeline both sinks add to, when one is asked for. */
  constructor(private readonly trace: LatencyTrace | null) {}

  /**
   * Records one delivery (a duplicate only counts in the tracker) of a `bytes`-long frame 0
   * sent at `sentNs` and read from the socket at `now`.
   */
  record(producer: number, seq: number, sentNs: number, bytes: number, now: number): void {
    if (!this.tracker.record(producer, seq)) return;
    const latencyNs = now - sentNs;
    this.latency.record(latencyNs);
    this.trace?.record(now, latencyNs);
    this.received++;
    this.bytes += bytes;
    if (this.firstNs === 0) this.firstNs = now;
    this.lastNs = now;
  }
}

async function main(): Promise<void> {
  const config = childConfig<ConsumerConfig>();
  const meter = config.meter === 'zeromq' ? zeromqMeter(config) : zmtpMeter(config);

  const trace = TRACE_PATH === undefined ? null : new LatencyTrace();
  const measured = new Sink(trace);
  const warm = new Sink(trace);
  let warmSeq = 0;
  const seen = new Set<number>();
  let foreign = 0;
  let ready = false;
  let probes = 0;

  process.on('message', (m: ToConsumer) => {
    if (m.type === 'progress') {
      const { received, lastNs } = measured;
      tellParent({ type: 'progress', received, probes, lastNs });
    } else if (m.type === 'report') {
      if (trace !== null) trace.write(`${TRACE_PATH}.${config.kind}`);
      const { duplicates, reordered } = measured.tracker.counts();
      tellParent({
        type: 'report',
        report: {
          distinct: measured.tracker.distinctByProducer(),
          duplicates,
          reordered,
          bytes: measured.bytes,
          firstNs: measured.firstNs,
          lastNs: measured.lastNs,
          latency: measured.latency.toSparse(),
          foreign,
          probes,
        },
      });
    } else {
      meter.close();
      setTimeout(() => process.exit(0), 50);
    }
  });
  process.on('disconnect', () => process.exit(0));

  // Latency is measured to when the chunk was read: one clock read per chunk, not per message.
  let chunkNs = 0;
  // Inside a multipart message, after its frame 0: its other frames are not looked at.
  let rest = false;
  const sink: FrameSink = {
    chunk() {
      chunkNs = nowNs();
    },
    frame(buf, start, end, more) {
      if (rest) {
        rest = more;
        return;
      }
      rest = more;
      const at = headerOffset(buf, start, end);
      if (at < 0) {
        foreign++;
        return;
      }
      const producer = buf.readUInt32LE(at + 1);
      const seq = buf.readUInt32LE(at + 5);
      const probe = seq === PROBE_SEQ;
      if (probe) {
        probes++;
        if (!ready) {
          seen.add(producer);
          if (seen.size >= config.producers) {
            ready = true;
            tellParent({ type: 'ready' });
          }
        }
        warmSeq = (warmSeq % WARM_SEQ_SPAN) + 1;
      }
      const sentNs = buf.readDoubleLE(at + 9);
      (probe ? warm : measured).record(
        producer,
        probe ? warmSeq : seq,
        sentNs,
        end - start,
        chunkNs,
      );
    },
  };
  const endpoint = await meter.start(sink);
  tellParent({ type: 'connected', endpoint });
}

main().catch(fail);
