// Durable-queue producer process: publishes with confirms through one system's link, at most
// `confirmWindow` unconfirmed messages in flight. Sends a probe every few ms until told to go,
// then probes for the warm-up and measured messages numbered 1..n for the window, as fast as
// the window and the link allow; then waits (bounded) for the outstanding confirms.
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { childConfig } from '../messages';
import { PROBE_SEQ, nowNs, writeHeader } from '../payload';
import { openPublisher } from './links';
import { withNatsPassword } from './nats-store';
import type { ConfirmSink, PublishLink } from './links';
import { NATS_PASSWORD_ENV, tell } from './messages';
import type { MeasuredWindow, ReliableProducerConfig, ToReliableProducer } from './messages';
import { Signal } from './signal';

/** Messages published per turn of the event loop at most (one PUBLISH batch for zmq-mq). */
const BATCH = 256;
const PROBE_INTERVAL_MS = 5;
/** How long the producer waits for the outstanding confirms after its window. */
const CONFIRM_WAIT_MS = 30_000;
/** A probe every PROBE_INTERVAL_MS before `go`, for at most this long. */
const MAX_IDLE_MS = 120_000;

class Counts {
  inflight = 0;
  /** Every confirm, probes included. */
  confirmedTotal = 0;
  confirmed = 0;
  nacked = 0;
  errors = 0;
  /** Confirms inside the measured window. */
  windowConfirmed = 0;
  window: MeasuredWindow = { startNs: Infinity, endNs: Infinity };
  readonly room = new Signal();

  constructor(private readonly confirmWindow: number) {}

  settle(token: number, ok: boolean): void {
    this.inflight--;
    if (ok) {
      this.confirmedTotal++;
      const t = nowNs();
      if (t >= this.window.startNs && t < this.window.endNs) this.windowConfirmed++;
    }
    if (token !== PROBE_SEQ) {
      if (ok) this.confirmed++;
      else this.nacked++;
    }
    if (this.inflight < this.confirmWindow) this.room.wake();
  }

  error(err: unknown): void {
    if (this.errors++ < 5) console.error('bench reliable producer:', err);
  }
}

async function main(): Promise<void> {
  const given = childConfig<ReliableProducerConfig>();
  const config = {
    ...given,
    target: withNatsPassword(given.target, process.env[NATS_PASSWORD_ENV]),
  };
  const counts = new Counts(config.confirmWindow);
  const sink: ConfirmSink = {
    confirmed: (token, ok) => counts.settle(token, ok),
    error: (err) => counts.error(err),
  };
  const link: PublishLink = await openPublisher(config.target, sink);
  let go: Extract<ToReliableProducer, { type: 'go' }> | null = null;
  let exit = false;
  process.on('message', (m: ToReliableProducer) => {
    if (m.type === 'go') go = m;
    else if (m.type === 'progress')
      tell({ type: 'progress', confirmedTotal: counts.confirmedTotal });
    else exit = true;
  });
  process.on('disconnect', () => process.exit(0));

  const size = config.payloadBytes;
  let seq = 0;
  /** Publishes one message stamped now: a probe before the window, else the next number. */
  const publishOne = (): void => {
    const t = nowNs();
    const s = t < counts.window.startNs ? PROBE_SEQ : seq + 1;
    const payload = Buffer.alloc(size, 0x2e);
    writeHeader(payload, 0, config.id, s, t);
    link.publish(payload, s);
    counts.inflight++;
    if (s !== PROBE_SEQ) seq = s;
  };

  tell({ type: 'connected' });
  const idleUntil = Date.now() + MAX_IDLE_MS;
  while (!go && !exit && Date.now() < idleUntil) {
    if (counts.inflight < config.confirmWindow) {
      publishOne();
      link.flush();
    }
    await sleep(PROBE_INTERVAL_MS);
  }
  if (go) {
    const { startNs, endNs } = go as MeasuredWindow;
    counts.window = { startNs, endNs };
    // A system that stops confirming holds the loop no longer than the window.
    const windowOver = sleep(Math.max(0, (endNs - nowNs()) / 1e6));
    while (!exit && nowNs() < endNs) {
      const room = Math.min(BATCH, config.confirmWindow - counts.inflight);
      if (room <= 0) {
        await Promise.race([counts.room.wait(), windowOver]);
        continue;
      }
      if (!link.writable()) {
        await Promise.race([link.drained(), windowOver]);
        continue;
      }
      for (let i = 0; i < room && link.writable(); i++) publishOne();
      link.flush();
      await yieldToLoop();
    }
    const waitUntil = Date.now() + CONFIRM_WAIT_MS;
    while (counts.inflight > 0 && !exit && Date.now() < waitUntil)
      await Promise.race([counts.room.wait(), sleep(100)]);
    tell({
      type: 'done',
      sent: seq,
      confirmed: counts.confirmed,
      nacked: counts.nacked,
      unconfirmed: seq - counts.confirmed - counts.nacked,
      windowConfirmed: counts.windowConfirmed,
      errors: counts.errors,
    });
  }
  for (let i = 0; i < 600 && !exit; i++) await sleep(100);
  await link.close().catch(() => undefined);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error('bench reliable producer:', err);
  process.exit(1);
});
