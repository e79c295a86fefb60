// One durable-queue run: a server, one consumer process, N producer processes; probes until
// the consumer has acked a message of every producer, a warm-up, a measured window at
// saturation (each producer at most `confirmWindow` unconfirmed publishes, the consumer at most
// `prefetch` unacked deliveries), a bounded drain, and the figures. Every process it starts is
// stopped, and the server's data directory removed, before it returns or throws.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchScript } from '../paths';
import { nowNs } from '../payload';
import { cpuSeconds } from '../proc';
import type { Child, ProcessGroup } from '../processes';
import { WARMUP_MS } from '../scenario';
import { cellResult } from './figures';
import type { CellIdentity, DiskSample, ReliableCellResult } from './figures';
import type {
  DriverId,
  FromReliableConsumer,
  FromReliableProducer,
  QueueNames,
  ReliableConsumerConfig,
  ReliableProducerConfig,
  ReliableProducerDone,
} from './messages';
import type { ReliableSystem, RunningSystem } from './systems';
import { DRIVER_LABELS } from './systems';
import { cpuBetween, diskBytes, treeCpu, treePeakRss } from './tree';

export interface CellSpec {
  system: ReliableSystem;
  driver: DriverId;
  payloadBytes: number;
  producers: number;
  windowMs: number;
  confirmWindow: number;
  prefetch: number;
  /** The queue (stream) of this run, and its messages' subject. */
  names: QueueNames;
  /** Where the server's temporary directory is made. */
  tmpRoot: string;
}

const READY_TIMEOUT_MS = 30_000;
const IPC_TIMEOUT_MS = 10_000;
/**
 * The drain ends when every message not refused is acked, or nothing moved for this long. A
 * consumer slower than the producers leaves a backlog behind the window: it drains at the
 * consumer's pace, bounded by DRAIN_MAX_MS.
 */
const DRAIN_STALL_MS = 5000;
const DRAIN_MAX_MS = 120_000;
const DISK_SAMPLE_MS = 500;

type ProducerProgress = Extract<FromReliableProducer, { type: 'progress' }>;
type ConsumerProgress = Extract<FromReliableConsumer, { type: 'progress' }>;

/** Samples the data directory's size and the confirms so far until stopped; keeps the peak. */
class DiskSampler {
  peak: DiskSample = { bytes: 0, stored: 0 };
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly dir: string,
    private readonly producers: Child[],
  ) {
    this.loop = this.run();
  }

  async sample(): Promise<void> {
    const progress = await Promise.all(
      this.producers.map((p) => p.ask<ProducerProgress>({ type: 'progress' }, IPC_TIMEOUT_MS)),
    );
    const stored = progress.reduce((n, p) => n + p.confirmedTotal, 0);
    const bytes = diskBytes(this.dir);
    // The latest of equal peaks: a store that stays the same size holds more messages by then.
    if (bytes >= this.peak.bytes) this.peak = { bytes, stored };
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped) {
        await this.sample();
        await sleep(DISK_SAMPLE_MS);
      }
    } catch {
      // a producer gone: the run fails elsewhere, with its reason
    }
  }

  /** Stops sampling after one last sample; resolves with the peak. */
  async stop(): Promise<DiskSample> {
    if (!this.stopped) {
      this.stopped = true;
      await this.loop;
      await this.sample();
    }
    return this.peak;
  }
}

async function consumerProgress(consumer: Child): Promise<ConsumerProgress> {
  return consumer.ask<ConsumerProgress>({ type: 'progress' }, IPC_TIMEOUT_MS);
}

/**
 * Waits until the consumer acked `expected` measured messages (true), or stalls or runs out of
 * time (false).
 */
async function drain(consumer: Child, expected: number): Promise<boolean> {
  const deadline = Date.now() + DRAIN_MAX_MS;
  let last = -1;
  let movedAt = Date.now();
  while (Date.now() < deadline) {
    const { measured } = await consumerProgress(consumer);
    if (measured >= expected) return true;
    if (measured !== last) {
      last = measured;
      movedAt = Date.now();
    } else if (Date.now() - movedAt >= DRAIN_STALL_MS) return false;
    await sleep(100);
  }
  return false;
}

function waitAll<T extends { type: string }>(
  children: Child[],
  type: T['type'],
  ms: number,
): Promise<T[]> {
  return Promise.all(children.map((c) => c.waitForMessage<T>(type, ms)));
}

/** Runs one cell; every process it starts is stopped before it returns or throws. */
export async function runCell(group: ProcessGroup, spec: CellSpec): Promise<ReliableCellResult> {
  const dir = mkdtempSync(join(spec.tmpRoot, `${spec.driver}-`));
  const started: Child[] = [];
  let server: RunningSystem | null = null;
  let disk: DiskSampler | null = null;
  try {
    server = await spec.system.start(group, {
      driver: spec.driver,
      dir,
      prefetch: spec.prefetch,
      names: spec.names,
    });
    const { target, dataDir } = server;
    const env = server.clientEnv ? { ...process.env, ...server.clientEnv } : undefined;
    const diskBaselineBytes = dataDir === null ? 0 : diskBytes(dataDir);
    const consumerConfig: ReliableConsumerConfig = {
      target,
      producers: spec.producers,
      prefetch: spec.prefetch,
    };
    const consumer = group.fork(
      'reliable-consumer',
      benchScript('reliable-consumer'),
      [JSON.stringify(consumerConfig)],
      undefined,
      env,
    );
    started.push(consumer);
    await consumer.waitForMessage('connected', READY_TIMEOUT_MS);
    const producers = Array.from({ length: spec.producers }, (_, id) => {
      const config: ReliableProducerConfig = {
        id,
        target,
        payloadBytes: spec.payloadBytes,
        confirmWindow: spec.confirmWindow,
      };
      return group.fork(
        `reliable-producer-${id}`,
        benchScript('reliable-producer'),
        [JSON.stringify(config)],
        undefined,
        env,
      );
    });
    started.push(...producers);
    await waitAll(producers, 'connected', READY_TIMEOUT_MS);
    await consumer.waitForMessage('ready', READY_TIMEOUT_MS);

    disk = dataDir === null ? null : new DiskSampler(dataDir, producers);
    const cpuOf = (children: Child[]): number =>
      children.reduce((t, c) => t + cpuSeconds(c.pid), 0);
    const startNs = nowNs() + WARMUP_MS * 1e6;
    const window = { startNs, endNs: startNs + spec.windowMs * 1e6 };
    consumer.send({ type: 'window', ...window });
    for (const p of producers) p.send({ type: 'go', ...window });
    // Server CPU is counted from the end of the warm-up, per message acked from then on.
    await sleep(Math.max(0, (startNs - nowNs()) / 1e6));
    const cpuBefore = treeCpu(server.pids);
    const harnessBefore = { producers: cpuOf(producers), consumer: cpuOf([consumer]) };
    const ackedBefore = (await consumerProgress(consumer)).acked;
    const done = await waitAll<ReliableProducerDone>(producers, 'done', spec.windowMs + 60_000);
    const drainedFully = await drain(
      consumer,
      done.reduce((n, d) => n + d.sent - d.nacked, 0),
    );
    const cpu = cpuBetween(cpuBefore, treeCpu(server.pids));
    const harness = {
      producers: cpuOf(producers) - harnessBefore.producers,
      consumer: cpuOf([consumer]) - harnessBefore.consumer,
    };
    const ackedAfter = (await consumerProgress(consumer)).acked;
    const peakRssBytes = treePeakRss(server.pids);
    const diskPeak = (await disk?.stop()) ?? { bytes: 0, stored: 0 };
    const { report } = await consumer.ask<Extract<FromReliableConsumer, { type: 'report' }>>(
      { type: 'report' },
      IPC_TIMEOUT_MS,
    );
    const identity: CellIdentity = {
      system: spec.system.id,
      driver: spec.driver,
      label: DRIVER_LABELS[spec.driver],
      payloadBytes: spec.payloadBytes,
      producers: spec.producers,
      windowMs: spec.windowMs,
      confirmWindow: spec.confirmWindow,
      prefetch: spec.prefetch,
    };
    return cellResult(identity, done, report, drainedFully, {
      coverage: server.coverage,
      replicas: server.replicas,
      cpuSeconds: cpu,
      ackedInCpuWindow: ackedAfter - ackedBefore,
      peakRssBytes,
      diskBaselineBytes,
      diskPeak,
      harness,
    });
  } finally {
    await disk?.stop().catch(() => undefined);
    for (const c of started) c.send({ type: 'exit' });
    await Promise.all(started.map((c) => c.stop('SIGTERM', 5000)));
    if (server) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
