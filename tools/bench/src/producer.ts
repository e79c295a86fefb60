// Producer process: a PUB connected to the broker's ingress. Sends warm-up probes until told
// to go, then measured messages numbered 1..n, as fast as it can or paced by a token bucket.
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { Publisher } from 'zeromq';
import { childConfig, tellParent } from './messages';
import type { ProducerConfig, ProducerGo, ToProducer } from './messages';
import { PROBE_SEQ, frameTemplate, nowNs, stampFrame } from './payload';
import { TokenBucket } from './token-bucket';

const BATCH = 256;
/** The producer's send queue (messages, and about 4 MiB at most) before it waits or drops. */
const SEND_HWM = 10_000;
const SEND_QUEUE_BYTES = 4 * 1024 * 1024;
const BACKOFF_MS = 1;
/** Rate mode: the pause between two batches (µs). */
const PACE_US = 1000;
const PROBE_INTERVAL_MS = 5;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for about `us` microseconds without spinning (a futex wait). */
function pause(us: number): void {
  Atomics.wait(sleeper, 0, 0, us / 1000);
}

async function main(): Promise<void> {
  const config = childConfig<ProducerConfig>();
  const template = frameTemplate(config.payloadBytes);
  const sendHighWaterMark = Math.max(
    100,
    Math.min(SEND_HWM, Math.floor(SEND_QUEUE_BYTES / template.length)),
  );
  const pub = new Publisher({ linger: 0, sendTimeout: 0, sendHighWaterMark });
  let errors = 0;
  const onError = (): void => {
    errors++;
  };
  let go: ProducerGo | null = null;
  let exit = false;
  process.on('message', (m: ToProducer) => {
    if (m.type === 'go') go = m;
    else exit = true;
  });
  process.on('disconnect', () => process.exit(0));

  pub.connect(config.endpoint);
  tellParent({ type: 'connected' });

  while (!go && !exit) {
    pub.send(stampFrame(template, config.id, PROBE_SEQ, nowNs())).catch(onError);
    await sleep(PROBE_INTERVAL_MS);
  }
  if (go) {
    const { durationMs, ratePerSec, count, backpressure, warmupMs } = go as ProducerGo;
    const limit = count ?? Number.MAX_SAFE_INTEGER;
    // Probes (not counted) until startNs, then measured messages numbered 1..n until endNs.
    const startNs = nowNs() + warmupMs * 1e6;
    const endNs = startNs + durationMs * 1e6;
    let seq = 0;
    /** The sequence number for a message stamped at `t`: a probe during the warm-up. */
    const seqAt = (t: number): number => (t < startNs ? PROBE_SEQ : seq + 1);
    const counted = (s: number): void => {
      if (s !== PROBE_SEQ) seq = s;
    };
    if (ratePerSec === null && backpressure) {
      // As fast as the broker takes it: a full pipe makes send() fail with EAGAIN (noDrop)
      // and the producer waits instead of burning a core on messages its own PUB would drop.
      pub.noDrop = true;
      while (seq < limit && nowNs() < endNs && !exit) {
        const n = Math.min(BATCH, limit - seq);
        let full = false;
        for (let i = 0; i < n && !full; i++) {
          const t = nowNs();
          const s = seqAt(t);
          try {
            await pub.send(stampFrame(template, config.id, s, t));
            counted(s);
          } catch (err) {
            if ((err as { code?: string }).code !== 'EAGAIN') errors++;
            full = true;
          }
        }
        if (full) await sleep(BACKOFF_MS);
        else await yieldToLoop();
      }
    } else if (ratePerSec === null) {
      while (seq < limit && nowNs() < endNs && !exit) {
        const n = Math.min(BATCH, limit - seq);
        for (let i = 0; i < n; i++) {
          const t = nowNs();
          const s = seqAt(t);
          pub.send(stampFrame(template, config.id, s, t)).catch(onError);
          counted(s);
        }
        await yieldToLoop();
      }
    } else {
      // Batches 1 ms apart: a blocking futex wait of PACE_US (no CPU burnt, and exact where a
      // 1 ms timer fires after 1.1-2 ms), one turn of the event loop (IPC), then what the bucket
      // allows, each message stamped right before its send. Shorter pauses (250 µs) measured
      // the same p99 but cost every process more wake-ups: our broker fell to 79k msg/s at 110k.
      const bucket = new TokenBucket(ratePerSec, Math.max(1, ratePerSec / 200), nowNs() / 1e6);
      for (let t = nowNs(); seq < limit && t < endNs && !exit; t = nowNs()) {
        const n = Math.min(bucket.take(t / 1e6), limit - seq);
        for (let i = 0; i < n; i++) {
          const at = nowNs();
          const s = seqAt(at);
          pub.send(stampFrame(template, config.id, s, at)).catch(onError);
          counted(s);
        }
        pause(PACE_US);
        await yieldToLoop();
      }
    }
    tellParent({ type: 'done', sent: seq, errors, startNs, endNs: nowNs() });
  }
  for (let i = 0; i < 600 && !exit; i++) await sleep(100);
  pub.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error('bench producer:', err);
  process.exit(1);
});
