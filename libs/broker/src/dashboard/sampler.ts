import { DROP_REASONS, type BrokerStats, type DropReason } from '../stats';
import type { WorkQueue } from '../work-queue';
import type { FlowHistory, FlowSample } from './shapes';

/** One sample a second. */
export const SAMPLE_INTERVAL_MS = 1000;
/** Five minutes of samples. */
export const HISTORY_SAMPLES = 300;

/** The counters sampled as rates; BrokerStats and FlowSample name them alike. */
const FLOW_COUNTERS = [
  'received',
  'published',
  'pushed',
  'receivedBytes',
  'publishedBytes',
  'pushedBytes',
] as const;
type FlowCounter = (typeof FLOW_COUNTERS)[number];

interface Totals extends Record<FlowCounter, number> {
  t: number;
  dropped: Record<DropReason, number>;
  cpu: NodeJS.CpuUsage;
}

/**
 * Turns the broker's counters into per-second samples, kept for five minutes. It reads plain
 * numbers once a second and never touches a message: the forwarding paths do nothing for it.
 */
export class FlowSampler {
  private readonly samples: FlowSample[] = [];
  private last: Totals;

  constructor(
    private readonly counters: BrokerStats,
    private readonly queue: WorkQueue,
    private readonly capacity = HISTORY_SAMPLES,
  ) {
    this.last = this.totals(Date.now());
  }

  /** Takes a sample of the interval since the previous one; returns it. */
  sample(now = Date.now()): FlowSample {
    const at = this.totals(now);
    const last = this.last;
    const intervalMs = Math.max(now - last.t, 1);
    const seconds = intervalMs / 1000;
    const rate = (a: number, b: number): number => Math.max(0, a - b) / seconds;
    const dropped = {} as Record<DropReason, number>;
    for (const reason of DROP_REASONS) {
      dropped[reason] = rate(at.dropped[reason], last.dropped[reason]);
    }
    const cpuMicros = at.cpu.user + at.cpu.system - (last.cpu.user + last.cpu.system);
    const memory = process.memoryUsage();
    const rates = {} as Record<FlowCounter, number>;
    for (const key of FLOW_COUNTERS) rates[key] = rate(at[key], last[key]);
    const sample: FlowSample = {
      t: now,
      intervalMs,
      ...rates,
      dropped,
      queue: {
        depth: this.queue.length,
        bytes: this.queue.bytes,
        oldestAgeMs: this.queue.oldestAgeMs(now),
      },
      process: {
        cpuPercent: Math.max(0, cpuMicros) / 10 / seconds / 1000,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
      },
    };
    this.last = at;
    if (this.samples.length === this.capacity) this.samples.shift();
    this.samples.push(sample);
    return sample;
  }

  /** The samples kept, oldest first. */
  history(): FlowHistory {
    return { intervalMs: SAMPLE_INTERVAL_MS, capacity: this.capacity, samples: [...this.samples] };
  }

  private totals(t: number): Totals {
    const s = this.counters;
    const totals = { t, dropped: { ...s.dropped }, cpu: process.cpuUsage() } as Totals;
    for (const key of FLOW_COUNTERS) totals[key] = s[key];
    return totals;
  }
}
