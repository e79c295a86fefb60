// The figures of one durable-queue run, from what its producers and its consumer reported and
// what /proc said about the server. Pure: no processes.
import { Histogram } from '../histogram';
import type { LatencyUs } from '../scenario';
import { pathCount } from '../sequence';
import type { DriverId, ReliableConsumerReport, ReliableProducerDone, SystemId } from './messages';

/** One peak of the data directory's size on disk. */
export interface DiskSample {
  bytes: number;
  /** Messages the system had confirmed by then (warm-up probes included). */
  stored: number;
}

/**
 * What the server figures of a run cover: on NATS servers the benchmark did not start
 * (`--store nats://…`) their processes and files are not its to read.
 */
export interface Coverage {
  /**
   * Whose CPU and peak RSS are measured: every process of the system (`server`), our broker's
   * only (`broker`: its NATS servers are elsewhere), or none.
   */
  processes: 'server' | 'broker' | 'none';
  /** Whether the store's size on disk is measured. */
  disk: boolean;
  /** What is not measured and why, or null when everything is. */
  reason: string | null;
}

/** Everything measured: a server the benchmark started, with its data directory. */
export const FULL_COVERAGE: Coverage = { processes: 'server', disk: true, reason: null };

export interface ServerReadings {
  coverage: Coverage;
  /** Stream replicas as JetStream has them (JetStream systems), else null. */
  replicas: number | null;
  /** CPU seconds of the server's processes from the end of the warm-up to the end of the drain. */
  cpuSeconds: number;
  /** Messages the consumer acked in that time (probes included). */
  ackedInCpuWindow: number;
  peakRssBytes: number;
  /** The data directory right after the queue was set up, before any message. */
  diskBaselineBytes: number;
  /** The largest sample during the run. */
  diskPeak: DiskSample;
  /** CPU seconds the load processes used in the same time (were they the limit?). */
  harness: { producers: number; consumer: number };
}

/** Which run: the system, how it was driven, and the load. */
export interface CellIdentity {
  system: SystemId;
  driver: DriverId;
  label: string;
  payloadBytes: number;
  producers: number;
  windowMs: number;
  confirmWindow: number;
  prefetch: number;
}

export interface ReliableCellResult extends CellIdentity {
  /** Measured messages published, confirmed, refused, and neither when the producers stopped. */
  sent: number;
  confirmed: number;
  nacked: number;
  unconfirmed: number;
  /** Distinct measured messages acked by the consumer. */
  delivered: number;
  /** Published, not refused, and never delivered (sequence gaps): must be 0. */
  lost: number;
  /** Every message not refused was acked before the drain ended (else `lost` may be a backlog). */
  drainedFully: boolean;
  duplicates: number;
  redelivered: number;
  /**
   * Messages acked per second inside the measured window (warm-up probes acked then count: a
   * backlog worked off is work): the end-to-end rate, whichever side is slower.
   */
  ackedPerSec: number;
  /** Confirms per second inside the measured window. */
  confirmedPerSec: number;
  /** Publish-to-ack latency, µs. */
  latencyUs: LatencyUs;
  coverage: Coverage;
  /** Stream replicas as JetStream has them (JetStream systems), else null. */
  replicas: number | null;
  /** CPU seconds of the processes `coverage` names (0 when none). */
  serverCpuSeconds: number;
  /** That CPU per message acked while it was counted, µs; null when not measured. */
  cpuUsPerMsg: number | null;
  /** Peak RSS of the processes `coverage` names, MB; null when not measured. */
  peakRssMb: number | null;
  /** Null when not measured. */
  disk: (DiskSample & { baselineBytes: number; bytesPerMessage: number | null }) | null;
  /** Errors the producers' and consumer's client libraries reported. */
  errors: number;
  harnessCpuSeconds: { producers: number; consumer: number };
}

/** Disk bytes above the empty store's per message it had confirmed at that peak. */
export function bytesPerMessage(peak: DiskSample, baselineBytes: number): number | null {
  return peak.stored > 0 ? Math.max(0, peak.bytes - baselineBytes) / peak.stored : null;
}

export function cellResult(
  cell: CellIdentity,
  done: ReliableProducerDone[],
  report: ReliableConsumerReport,
  drainedFully: boolean,
  server: ServerReadings,
): ReliableCellResult {
  // A message the system refused was never stored: not a gap if it never arrives.
  const expected = Object.fromEntries(done.map((d, id) => [String(id), d.sent - d.nacked]));
  const count = pathCount(expected, report.distinct, report.duplicates, report.reordered);
  const hist = Histogram.fromSparse(report.latency);
  const us = (q: number): number => hist.quantile(q) / 1000;
  const windowSeconds = cell.windowMs / 1000;
  const confirmed = done.reduce((n, d) => n + d.confirmed, 0);
  const processes = server.coverage.processes !== 'none';
  return {
    ...cell,
    sent: done.reduce((n, d) => n + d.sent, 0),
    confirmed,
    nacked: done.reduce((n, d) => n + d.nacked, 0),
    unconfirmed: done.reduce((n, d) => n + d.unconfirmed, 0),
    delivered: count.delivered,
    lost: count.lost,
    drainedFully,
    duplicates: count.duplicates,
    redelivered: report.redelivered,
    ackedPerSec: report.windowAcked / windowSeconds,
    confirmedPerSec: done.reduce((n, d) => n + d.windowConfirmed, 0) / windowSeconds,
    latencyUs: { p50: us(0.5), p99: us(0.99), p999: us(0.999), max: hist.max / 1000 },
    coverage: server.coverage,
    replicas: server.replicas,
    serverCpuSeconds: server.cpuSeconds,
    cpuUsPerMsg:
      processes && server.ackedInCpuWindow > 0
        ? (server.cpuSeconds * 1e6) / server.ackedInCpuWindow
        : null,
    peakRssMb: processes ? server.peakRssBytes / 1e6 : null,
    disk: server.coverage.disk
      ? {
          ...server.diskPeak,
          baselineBytes: server.diskBaselineBytes,
          bytesPerMessage: bytesPerMessage(server.diskPeak, server.diskBaselineBytes),
        }
      : null,
    errors: done.reduce((n, d) => n + d.errors, 0) + report.errors,
    harnessCpuSeconds: server.harness,
  };
}
