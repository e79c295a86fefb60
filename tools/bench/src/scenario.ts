// One measured run: a broker, one SUB and one PULL consumer, N producers, a warm-up until
// every consumer has seen every producer, a measured window, a bounded drain, and the figures.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerKind, StartOptions } from './brokers';
import { Histogram } from './histogram';
import type {
  ConsumerConfig,
  ConsumerReport,
  FromConsumer,
  FromProducer,
  Meter,
  ProducerConfig,
} from './messages';
import { benchScript } from './paths';
import { cpuSeconds, memory } from './proc';
import type { Child, ProcessGroup, Scheduling } from './processes';
import { lossRatio, pathCount } from './sequence';
import type { PathCount } from './sequence';

export interface ScenarioSpec {
  broker: BrokerKind;
  payloadBytes: number;
  producers: number;
  /** Total offered messages/s over all producers; null = saturation. */
  ratePerSec: number | null;
  windowMs: number;
  /** Saturation: producers wait on a full ingress (true) or drop at their own PUB (false). */
  backpressure?: boolean;
  startOptions?: StartOptions;
  /** The load processes' socket implementation (default: the lean ZMTP one). */
  meter?: Meter;
  /** How every process of the run (broker, producers, consumers) is scheduled; paced runs only. */
  scheduling?: Scheduling;
}

export interface LatencyUs {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface PathResult extends PathCount {
  loss: number;
  /**
   * From the producers' last send to this path's last delivery, ms: about one batch when the
   * broker keeps up, the backlog's age when it does not.
   */
  lagMs: number;
  /**
   * From the producers' first measured send to this path's first measured delivery, ms: the
   * age of the warm-up's backlog when the window opened (about one batch when the broker keeps
   * up). msg/s is counted from that delivery, not from the first send.
   */
  startLagMs: number;
  /** Delivered messages per second between the path's first and last measured delivery. */
  msgsPerSec: number;
  mbPerSec: number;
  latencyUs: LatencyUs;
}

export interface ScenarioResult {
  broker: string;
  label: string;
  payloadBytes: number;
  producers: number;
  mode: 'saturation' | 'rate';
  offeredPerSec: number | null;
  scheduling: Scheduling;
  windowMs: number;
  sent: number;
  /** Fan-out path (SUB on the publish socket). */
  sub: PathResult;
  /** Work path (PULL on the push socket); null without one. */
  pull: PathResult | null;
  brokerCpuSeconds: number | null;
  /**
   * Broker CPU per message it moved on the fan-out path in the same time, µs: measured
   * messages plus the warm-up's backlog it still worked off after the warm-up ended.
   */
  cpuUsPerMsg: number | null;
  /** Warm-up messages the fan-out consumer received while the broker's CPU was being counted. */
  backlogInCpuWindow: number;
  /** Sends the producers' meter refused (counted as sent, so they show as loss too). */
  sendErrors: number;
  peakRssMb: number | null;
  /** CPU seconds the load processes used in the window (to see whether they were the limit). */
  harnessCpuSeconds: { producers: number; consumers: number };
}

const READY_TIMEOUT_MS = 15_000;
/**
 * Before each measured window the producers send uncounted probes the same way (same rate, or
 * saturation) for this long: the first ~150 ms of load otherwise shows JIT and buffer-growth
 * latencies of 10-25 ms that are no broker's steady state.
 */
export const WARMUP_MS = 1000;

/**
 * Consumers' receive queue: deep enough to absorb scheduling hiccups of a consumer on a busy
 * 2-core box (50k messages), but no more than about 16 MiB.
 */
export function consumerHwm(payloadBytes: number): number {
  return Math.max(1000, Math.min(50_000, Math.floor((16 * 1024 * 1024) / payloadBytes)));
}
const DRAIN_STABLE_MS = 400;
const DRAIN_MAX_MS = 10_000;

/** Figures of one path from its consumer's report and what the producers sent. */
export function pathResult(
  report: ConsumerReport,
  sent: Record<string, number>,
  startNs: number,
  endNs: number,
): PathResult {
  const count = pathCount(sent, report.distinct, report.duplicates, report.reordered);
  // In saturation the first measured message waits behind the warm-up's backlog: timed from
  // the first send, a slower broker's rate came out lower still (by 21-38 % at 4 producers).
  const from = report.firstNs > 0 && report.lastNs > report.firstNs ? report.firstNs : startNs;
  const seconds = report.lastNs > from ? (report.lastNs - from) / 1e9 : NaN;
  const hist = Histogram.fromSparse(report.latency);
  const us = (q: number): number => hist.quantile(q) / 1000;
  return {
    ...count,
    loss: lossRatio(count),
    lagMs: report.lastNs > 0 ? (report.lastNs - endNs) / 1e6 : NaN,
    startLagMs: report.firstNs > 0 ? (report.firstNs - startNs) / 1e6 : NaN,
    msgsPerSec: count.delivered > 0 ? count.delivered / seconds : 0,
    mbPerSec: count.delivered > 0 ? report.bytes / seconds / 1e6 : 0,
    latencyUs: { p50: us(0.5), p99: us(0.99), p999: us(0.999), max: hist.max / 1000 },
  };
}

async function waitAll<T extends { type: string }>(
  children: Child[],
  type: T['type'],
  ms: number,
): Promise<T[]> {
  return Promise.all(children.map((c) => c.waitForMessage<T>(type, ms)));
}

/** Waits until no consumer received anything for DRAIN_STABLE_MS (bounded by DRAIN_MAX_MS). */
async function drain(consumers: Child[]): Promise<void> {
  const deadline = Date.now() + DRAIN_MAX_MS;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const progress = await Promise.all(
      consumers.map((c) =>
        c.ask<Extract<FromConsumer, { type: 'progress' }>>({ type: 'progress' }, 5000),
      ),
    );
    const total = progress.reduce((n, p) => n + p.received, 0);
    if (total !== last) {
      last = total;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= DRAIN_STABLE_MS) return;
    await sleep(100);
  }
}

/** Runs one scenario; every process it starts is stopped before it returns or throws. */
export async function runScenario(
  group: ProcessGroup,
  spec: ScenarioSpec,
): Promise<ScenarioResult> {
  const scheduling = spec.scheduling ?? 'default';
  if (scheduling === 'fifo' && spec.ratePerSec === null)
    throw new Error(
      'SCHED_FIFO needs a paced run: saturating real-time processes starve the machine',
    );
  const broker = await spec.broker.start(group, { ...spec.startOptions, scheduling });
  const started: Child[] = [];
  // A CURVE broker's load processes are CURVE clients with the keys on its lists.
  const curve = broker.curve === undefined ? {} : { curve: broker.curve };
  try {
    const direct = broker.child === null;
    const consumerSpecs: ConsumerConfig[] = [
      {
        kind: 'sub',
        endpoint: direct ? broker.endpoints.ingress : broker.endpoints.publish,
        bind: direct,
        producers: spec.producers,
        receiveHwm: consumerHwm(spec.payloadBytes),
        meter: spec.meter ?? 'zmtp',
        ...curve,
      },
    ];
    if (broker.endpoints.push) {
      consumerSpecs.push({
        kind: 'pull',
        endpoint: broker.endpoints.push,
        bind: false,
        producers: spec.producers,
        receiveHwm: consumerHwm(spec.payloadBytes),
        meter: spec.meter ?? 'zmtp',
        ...curve,
      });
    }
    const consumers = consumerSpecs.map((c) =>
      group.fork(`consumer-${c.kind}`, benchScript('consumer'), [JSON.stringify(c)], scheduling),
    );
    started.push(...consumers);
    const connected = await waitAll<Extract<FromConsumer, { type: 'connected' }>>(
      consumers,
      'connected',
      READY_TIMEOUT_MS,
    );
    const ingress = direct
      ? (connected[0] as { endpoint: string }).endpoint
      : broker.endpoints.ingress;

    const producers = Array.from({ length: spec.producers }, (_, id) => {
      const config: ProducerConfig = {
        id,
        endpoint: ingress,
        payloadBytes: spec.payloadBytes,
        meter: spec.meter ?? 'zmtp',
        ...curve,
      };
      return group.fork(
        `producer-${id}`,
        benchScript('producer'),
        [JSON.stringify(config)],
        scheduling,
      );
    });
    started.push(...producers);
    await waitAll(producers, 'connected', READY_TIMEOUT_MS);
    await waitAll(consumers, 'ready', READY_TIMEOUT_MS);
    await sleep(200); // probes still in flight arrive before the window opens

    const pid = broker.child?.pid;
    const cpuOf = (children: Child[]): number =>
      children.reduce((t, c) => t + cpuSeconds(c.pid), 0);
    const perProducer = spec.ratePerSec === null ? null : spec.ratePerSec / spec.producers;
    for (const p of producers)
      p.send({
        type: 'go',
        durationMs: spec.windowMs,
        ratePerSec: perProducer,
        warmupMs: WARMUP_MS,
        count: null,
        backpressure: spec.backpressure ?? true,
      });
    // CPU is counted from the end of the warm-up (the producers' clocks start with the message).
    await sleep(WARMUP_MS);
    const cpuBefore = pid ? cpuSeconds(pid) : 0;
    // Read after the CPU: the warm-up messages that arrive during this round trip are not
    // counted as work although their CPU is (errs against the broker, by a few ms of work).
    const probesBefore = (
      await (consumers[0] as Child).ask<Extract<FromConsumer, { type: 'progress' }>>(
        { type: 'progress' },
        10_000,
      )
    ).probes;
    const harnessBefore = { producers: cpuOf(producers), consumers: cpuOf(consumers) };
    const done = await waitAll<Extract<FromProducer, { type: 'done' }>>(
      producers,
      'done',
      spec.windowMs + 15_000,
    );
    await drain(consumers);
    const cpu = pid ? cpuSeconds(pid) - cpuBefore : null;
    const mem = pid ? memory(pid) : null;
    const harnessCpuSeconds = {
      producers: cpuOf(producers) - harnessBefore.producers,
      consumers: cpuOf(consumers) - harnessBefore.consumers,
    };

    const reports = await Promise.all(
      consumers.map((c) =>
        c.ask<Extract<FromConsumer, { type: 'report' }>>({ type: 'report' }, 10_000),
      ),
    );
    const sent = Object.fromEntries(done.map((d, id) => [String(id), d.sent]));
    const startNs = Math.min(...done.map((d) => d.startNs));
    const endNs = Math.max(...done.map((d) => d.endNs));
    const first = (reports[0] as { report: ConsumerReport }).report;
    const sub = pathResult(first, sent, startNs, endNs);
    const backlog = Math.max(0, first.probes - probesBefore);
    const moved = sub.delivered + backlog;
    const pull = reports[1] ? pathResult(reports[1].report, sent, startNs, endNs) : null;
    return {
      broker: spec.broker.id,
      label: spec.broker.label,
      payloadBytes: spec.payloadBytes,
      producers: spec.producers,
      mode: spec.ratePerSec === null ? 'saturation' : 'rate',
      offeredPerSec: spec.ratePerSec,
      scheduling,
      windowMs: spec.windowMs,
      sent: Object.values(sent).reduce((a, b) => a + b, 0),
      sub,
      pull,
      brokerCpuSeconds: cpu,
      cpuUsPerMsg: cpu !== null && moved > 0 ? (cpu * 1e6) / moved : null,
      backlogInCpuWindow: backlog,
      sendErrors: done.reduce((n, d) => n + d.errors, 0),
      peakRssMb: mem ? mem.peakRss / 1e6 : null,
      harnessCpuSeconds,
    };
  } finally {
    for (const c of started) c.send({ type: 'exit' });
    await Promise.all(started.map((c) => c.stop('SIGTERM', 2000)));
    await broker.stop();
  }
}
