// `npm run bench -- --reliable`: every system through every driver, for each payload and
// producer count, one saturation run each, on a fresh server; with `--store nats://…` the
// JetStream systems run on those servers instead, each run on streams of fresh names.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessGroup } from '../processes';
import type { ReliableCellResult } from './figures';
import { LOCAL_JETSTREAM, externalJetStream } from './jetstream-systems';
import { LOCAL_NAMES } from './messages';
import type { DriverId, QueueNames, SystemId } from './messages';
import { freshNames, probeCluster, runToken } from './nats-store';
import type { ExternalNats, NatsCluster } from './nats-store';
import { ZMQ_MQ_UNAVAILABLE } from './our-broker';
import { runCell } from './scenario';
import { reliableSystems } from './systems';

export interface ReliableOptions {
  systems: SystemId[];
  payloads: number[];
  producers: number[];
  windowMs: number;
  /** Unconfirmed publishes per producer at most. */
  confirmWindow: number;
  /** Unacked deliveries the consumer holds at most. */
  prefetch: number;
  /** NATS servers the JetStream systems run on instead of a nats-server of each run's own. */
  store: ExternalNats | null;
}

export interface CellFailure {
  driver: DriverId;
  payloadBytes: number;
  producers: number;
  error: string;
}

export interface ReliableRun {
  windowMs: number;
  confirmWindow: number;
  prefetch: number;
  cells: ReliableCellResult[];
  failures: CellFailure[];
  /** Systems that did not run, and why. */
  skipped: Partial<Record<SystemId, string>>;
  /** What each system's confirm promises. */
  durability: Partial<Record<SystemId, string>>;
  /** The NATS servers of `--store`, as they answered, or null (a nats-server of each run's own). */
  nats: NatsCluster | null;
  /** What the runs made on the NATS servers and could not remove. */
  left: string[];
}

function describe(c: ReliableCellResult): string {
  const lat = c.latencyUs;
  return `acked ${Math.round(c.ackedPerSec)} msg/s, confirmed ${Math.round(c.confirmedPerSec)} msg/s, p50/p99 ${lat.p50.toFixed(0)}/${lat.p99.toFixed(0)} µs, server ${c.cpuUsPerMsg?.toFixed(1) ?? '—'} µs/msg${c.coverage.processes === 'broker' ? ' (broker only)' : ''}, RSS ${c.peakRssMb?.toFixed(0) ?? '—'} MB, disk ${c.disk?.bytesPerMessage?.toFixed(0) ?? '—'} B/msg${c.replicas === null ? '' : `, ${c.replicas} replica(s)`}, lost ${c.lost}${c.drainedFully ? '' : ' (the drain gave up: a backlog, or loss)'}, dup ${c.duplicates}, producers ${c.harnessCpuSeconds.producers.toFixed(2)} s CPU, consumer ${c.harnessCpuSeconds.consumer.toFixed(2)} s${c.errors ? `, CLIENT ERRORS ${c.errors}` : ''}`;
}

export async function runReliable(
  group: ProcessGroup,
  options: ReliableOptions,
  log: (line: string) => void,
): Promise<ReliableRun> {
  const run: ReliableRun = {
    windowMs: options.windowMs,
    confirmWindow: options.confirmWindow,
    prefetch: options.prefetch,
    cells: [],
    failures: [],
    skipped: {},
    durability: {},
    nats: null,
    left: [],
  };
  let place = LOCAL_JETSTREAM;
  let names = (): QueueNames => LOCAL_NAMES;
  if (options.store) {
    const cluster = await probeCluster(options.store);
    run.nats = cluster;
    place = externalJetStream(options.store, cluster, run.left, log);
    const token = runToken();
    let n = 0;
    names = () => freshNames(token, ++n);
    log(
      `NATS servers ${cluster.servers.join(',')}: ${cluster.serverCount} server(s), nats-server ${cluster.version}; every stream of this run with ${cluster.replicas} replica(s), named after zmqmq-bench-${token}-N and removed after its run`,
    );
  }
  const systemOf = reliableSystems(place);
  const systems = options.systems.filter((id) => {
    const why = systemOf[id].available(log);
    if (why) {
      run.skipped[id] = why;
      log(`${id}: ${why}; skipped`);
    } else run.durability[id] = systemOf[id].durability;
    return why === null;
  });
  const tmpRoot = mkdtempSync(join(tmpdir(), 'zmq-mq-bench-reliable-'));
  // Also on Ctrl-C (the bench exits from its signal handler, its processes killed first).
  const removeTmp = (): void => {
    try {
      rmSync(tmpRoot, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      log(`could not remove ${tmpRoot}: ${(err as Error).message}`);
    }
  };
  process.once('exit', removeTmp);
  try {
    for (const payloadBytes of options.payloads) {
      for (const producers of options.producers) {
        for (const id of systems) {
          const system = systemOf[id];
          for (const driver of system.drivers) {
            if (run.skipped[id]) continue;
            log(
              `reliable ${driver}: ${payloadBytes} B, ${producers} producer(s), ${options.windowMs} ms`,
            );
            try {
              const cell = await runCell(group, {
                system,
                driver,
                payloadBytes,
                producers,
                windowMs: options.windowMs,
                confirmWindow: options.confirmWindow,
                prefetch: options.prefetch,
                names: names(),
                tmpRoot,
              });
              log(`  ${describe(cell)}`);
              run.cells.push(cell);
            } catch (err) {
              const error = (err as Error).message;
              log(`  ${id}: ${error}`);
              // Our broker without the reliable port: said once, and no further tries.
              if (id.startsWith('zmq-mq') && error.startsWith(ZMQ_MQ_UNAVAILABLE)) {
                run.skipped[id] = error;
                delete run.durability[id];
              } else run.failures.push({ driver, payloadBytes, producers, error });
            }
          }
        }
      }
    }
  } finally {
    process.removeListener('exit', removeTmp);
    removeTmp();
  }
  return run;
}
