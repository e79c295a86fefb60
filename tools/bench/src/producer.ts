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
const TICK_MS = 1;
const PROBE_INTERVAL_MS = 5;

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
    const { durationMs, ratePerSec, count, backpressure } = go as ProducerGo;
    const limit = count ?? Number.MAX_SAFE_INTEGER;
    const startNs = nowNs();
    const endNs = startNs + durationMs * 1e6;
    let seq = 0;
    if (ratePerSec === null && backpressure) {
      // As fast as the broker takes it: a full pipe makes send() fail with EAGAIN (noDrop)
      // and the producer waits instead of burning a core on messages its own PUB would drop.
      pub.noDrop = true;
      while (seq < limit && nowNs() < endNs && !exit) {
        const n = Math.min(BATCH, limit - seq);
        let full = false;
        for (let i = 0; i < n && !full; i++) {
          try {
            await pub.send(stampFrame(template, config.id, seq + 1, nowNs()));
            seq++;
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
          seq++;
          pub.send(stampFrame(template, config.id, seq, nowNs())).catch(onError);
        }
        await yieldToLoop();
      }
    } else {
      const bucket = new TokenBucket(ratePerSec, Math.max(1, ratePerSec / 200), startNs / 1e6);
      for (let t = nowNs(); seq < limit && t < endNs && !exit; t = nowNs()) {
        const n = Math.min(bucket.take(t / 1e6), limit - seq);
        for (let i = 0; i < n; i++) {
          seq++;
          pub.send(stampFrame(template, config.id, seq, nowNs())).catch(onError);
        }
        await sleep(TICK_MS);
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
