// The memory test: no worker connected, a flood of N 100-byte messages into our broker; its
// resident memory must stay under the configured queue bytes + 100 MB, and the queue must
// drain fully once a worker connects.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerKind } from './brokers';
import type { ConsumerConfig, FromConsumer, FromProducer, Meter, ProducerConfig } from './messages';
import { benchScript } from './paths';
import { memory } from './proc';
import { consumerHwm } from './scenario';
import type { Child, ProcessGroup } from './processes';

export interface MemorySpec {
  broker: BrokerKind;
  messages: number;
  ratePerSec: number;
  queueMaxBytes: number;
  payloadBytes: number;
  /** The load processes' socket implementation (default: the lean ZMTP one). */
  meter?: Meter;
}

export interface MemoryResult {
  broker: string;
  label: string;
  messages: number;
  payloadBytes: number;
  ratePerSec: number;
  queueMaxBytes: number;
  /** queueMaxBytes + 100 MB. */
  budgetMb: number;
  peakRssMb: number;
  rssBeforeMb: number;
  /** The broker's own /stats after the flood and after the drain (null without a monitor). */
  statsAfterFlood: unknown;
  statsAfterDrain: unknown;
  /** Measured messages the producer sent. */
  sent: number;
  /** Distinct measured messages the worker received. */
  delivered: number;
  /** Messages (probes included) the broker held when the worker connected (its queue depth), if known. */
  queuedBeforeWorker: number | null;
  drainSeconds: number;
  withinBudget: boolean;
  drainedFully: boolean;
}

const MB = 1e6;
const DRAIN_MAX_MS = 120_000;
const DRAIN_STABLE_MS = 1000;

async function stats(monitor: string | undefined): Promise<unknown> {
  if (!monitor) return null;
  const res = await fetch(`${monitor}/stats`, { signal: AbortSignal.timeout(5000) });
  return res.json();
}

function queueDepth(s: unknown): number | null {
  const depth = (s as { queue?: { depth?: unknown } } | null)?.queue?.depth;
  return typeof depth === 'number' ? depth : null;
}

export async function runMemoryTest(group: ProcessGroup, spec: MemorySpec): Promise<MemoryResult> {
  const broker = await spec.broker.start(group, {
    monitor: true,
    extraArgs: [
      '--queue-max-bytes',
      String(spec.queueMaxBytes),
      '--queue-max-messages',
      String(spec.messages * 2),
    ],
  });
  const started: Child[] = [];
  try {
    const pid = (broker.child as Child).pid;
    const rssBefore = memory(pid).rss;
    const config: ProducerConfig = {
      id: 0,
      endpoint: broker.endpoints.ingress,
      payloadBytes: spec.payloadBytes,
      meter: spec.meter ?? 'zmtp',
    };
    const producer = group.fork('producer-0', benchScript('producer'), [JSON.stringify(config)]);
    started.push(producer);
    await producer.waitForMessage('connected', 15_000);
    await sleep(500);
    producer.send({
      type: 'go',
      durationMs: Math.ceil((spec.messages / spec.ratePerSec) * 1000) + 60_000,
      ratePerSec: spec.ratePerSec,
      warmupMs: 0,
      count: spec.messages,
      backpressure: false,
    });
    const floodMs = (spec.messages / spec.ratePerSec) * 1000;
    const done = await producer.waitForMessage<Extract<FromProducer, { type: 'done' }>>(
      'done',
      floodMs + 70_000,
    );
    await sleep(1000); // what is in flight reaches the broker
    const statsAfterFlood = await stats(broker.endpoints.monitor);

    const workerConfig: ConsumerConfig = {
      kind: 'pull',
      endpoint: broker.endpoints.push as string,
      bind: false,
      producers: 1,
      receiveHwm: consumerHwm(spec.payloadBytes),
      meter: spec.meter ?? 'zmtp',
    };
    const worker = group.fork('consumer-pull', benchScript('consumer'), [
      JSON.stringify(workerConfig),
    ]);
    started.push(worker);
    const drainStart = Date.now();
    await worker.waitForMessage('connected', 15_000);
    let last = -1;
    let probes = 0;
    let lastChange = Date.now();
    while (Date.now() - drainStart < DRAIN_MAX_MS && Date.now() - lastChange < DRAIN_STABLE_MS) {
      const p = await worker.ask<Extract<FromConsumer, { type: 'progress' }>>(
        { type: 'progress' },
        5000,
      );
      if (p.received + p.probes !== last + probes) {
        last = p.received;
        probes = p.probes;
        lastChange = Date.now();
      }
      await sleep(100);
    }
    const drainSeconds = (lastChange - drainStart) / 1000;
    const statsAfterDrain = await stats(broker.endpoints.monitor);
    const peakRss = memory(pid).peakRss;
    const queued = queueDepth(statsAfterFlood);
    const left = queueDepth(statsAfterDrain);
    const budgetMb = (spec.queueMaxBytes + 100 * MB) / MB;
    return {
      broker: spec.broker.id,
      label: spec.broker.label,
      messages: spec.messages,
      payloadBytes: spec.payloadBytes,
      ratePerSec: spec.ratePerSec,
      queueMaxBytes: spec.queueMaxBytes,
      budgetMb,
      peakRssMb: peakRss / MB,
      rssBeforeMb: rssBefore / MB,
      statsAfterFlood,
      statsAfterDrain,
      sent: done.sent,
      delivered: last,
      queuedBeforeWorker: queued,
      drainSeconds,
      withinBudget: peakRss / MB <= budgetMb,
      // Without a queue counter, "fully" means every message sent reached the worker.
      drainedFully:
        queued !== null && left !== null
          ? left === 0 && last + probes >= queued
          : last >= done.sent,
    };
  } finally {
    await Promise.all(started.map((c) => c.stop('SIGTERM', 2000)));
    await broker.stop();
  }
}
