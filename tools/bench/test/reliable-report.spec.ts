import { writeHeader } from '../src/payload';
import { AckCounter } from '../src/reliable/ack-counter';
import { FULL_COVERAGE, bytesPerMessage, cellResult } from '../src/reliable/figures';
import type { CellIdentity, ReliableCellResult, ServerReadings } from '../src/reliable/figures';
import type { DriverId, ReliableProducerDone, SystemId } from '../src/reliable/messages';
import { jetstreamBest, reliableTables } from '../src/reliable/report';
import type { ReliableRun } from '../src/reliable/run';

const MS = 1e6;

/** A delivered payload: the benchmark header, padded to 100 bytes. */
function payload(producer: number, seq: number, sentNs: number): Buffer {
  const buf = Buffer.alloc(100, 0x2e);
  writeHeader(buf, 0, producer, seq, sentNs);
  return buf;
}

function deliver(counter: AckCounter, producer: number, seq: number, sentNs: number): void {
  const p = payload(producer, seq, sentNs);
  counter.received(p, 0, p.length, false);
}

function done(sent: number, nacked = 0): ReliableProducerDone {
  return {
    type: 'done',
    sent,
    confirmed: sent - nacked,
    nacked,
    unconfirmed: 0,
    windowConfirmed: sent - nacked,
    errors: 0,
  };
}

const server: ServerReadings = {
  coverage: FULL_COVERAGE,
  replicas: null,
  cpuSeconds: 0.5,
  ackedInCpuWindow: 10_000,
  peakRssBytes: 80e6,
  diskBaselineBytes: 4096,
  diskPeak: { bytes: 4096 + 150_000, stored: 1500 },
  harness: { producers: 1, consumer: 0.5 },
};

function identity(system: SystemId, driver: DriverId, label: string): CellIdentity {
  return {
    system,
    driver,
    label,
    payloadBytes: 100,
    producers: 1,
    windowMs: 2000,
    confirmWindow: 1000,
    prefetch: 1000,
  };
}

describe('AckCounter', () => {
  it('is ready once every producer has a probe acked, and times measured messages at their ack', () => {
    let ready = 0;
    const counter = new AckCounter(2, () => ready++);
    counter.window = { startNs: 10 * MS, endNs: 60 * MS };
    deliver(counter, 0, 0, 0);
    counter.ackedAt(1 * MS);
    expect(ready).toBe(0);
    deliver(counter, 1, 0, 0);
    deliver(counter, 0, 0, 0);
    counter.ackedAt(2 * MS);
    expect(ready).toBe(1);
    // 99 messages acked 1 ms after their send, one 50 ms after, and one acked twice.
    for (let seq = 1; seq <= 99; seq++) deliver(counter, 0, seq, 10 * MS);
    counter.ackedAt(11 * MS);
    deliver(counter, 1, 1, 10 * MS);
    deliver(counter, 0, 7, 10 * MS);
    counter.ackedAt(60 * MS);
    const foreign = Buffer.from('not ours');
    counter.received(foreign, 0, foreign.length, true);
    counter.ackedAt(61 * MS);
    const report = counter.report();
    expect(report.distinct).toEqual({ '0': 99, '1': 1 });
    expect(report.duplicates).toBe(1);
    expect([report.probes, report.acked, report.foreign, report.redelivered]).toEqual([
      3, 104, 1, 1,
    ]);
    expect([report.firstNs, report.lastNs]).toEqual([11 * MS, 60 * MS]);
    // Inside [10 ms, 60 ms): the 99 acked at 11 ms; not the probes before, nor the acks at 60 ms.
    expect(report.windowAcked).toBe(99);
    const r = cellResult(
      identity('rabbitmq', 'rabbitmq', 'r'),
      [done(99), done(1)],
      report,
      true,
      server,
    );
    expect(r.latencyUs.p50).toBeCloseTo(1000, -1);
    expect(r.latencyUs.p99).toBeCloseTo(1000, -1);
    expect(r.latencyUs.max).toBeCloseTo(50_000, -3);
    expect(r.lost).toBe(0);
  });
});

describe('cellResult', () => {
  const counter = new AckCounter(2, () => undefined);
  counter.window = { startNs: 1000 * MS, endNs: 3000 * MS };
  // Producer 0 sent 1000, 10 refused, 5 of the rest never acked; producer 1 sent 500, all acked.
  for (let seq = 1; seq <= 985; seq++) deliver(counter, 0, seq, 1000 * MS);
  counter.ackedAt(1500 * MS);
  for (let seq = 1; seq <= 500; seq++) deliver(counter, 1, seq, 1000 * MS);
  deliver(counter, 1, 1, 1000 * MS);
  counter.ackedAt(2500 * MS);
  const r = cellResult(
    identity('zmq-mq', 'zmq-mq', 'z'),
    [done(1000, 10), done(500)],
    counter.report(),
    true,
    server,
  );

  it('counts gaps among the messages not refused as loss, and a second ack as a duplicate', () => {
    expect([r.sent, r.confirmed, r.nacked, r.delivered, r.lost, r.duplicates]).toEqual([
      1500, 1490, 10, 1485, 5, 1,
    ]);
  });

  it('rates acks and confirms inside the measured window over its length', () => {
    expect(r.windowMs).toBe(2000);
    expect(r.ackedPerSec).toBeCloseTo(1485 / 2);
    expect(r.confirmedPerSec).toBeCloseTo(1490 / 2);
  });

  it('divides server CPU by the messages acked while it was counted, disk growth by those stored', () => {
    expect(r.cpuUsPerMsg).toBeCloseTo(50);
    expect(r.peakRssMb).toBeCloseTo(80);
    expect(r.disk?.bytesPerMessage).toBeCloseTo(100);
    expect(bytesPerMessage({ bytes: 100, stored: 0 }, 0)).toBeNull();
    expect(bytesPerMessage({ bytes: 100, stored: 10 }, 4096)).toBe(0);
  });
});

function cell(
  system: SystemId,
  driver: DriverId,
  label: string,
  ackedPerSec: number,
  lost = 0,
): ReliableCellResult {
  return {
    ...identity(system, driver, label),
    sent: 1000,
    confirmed: 1000,
    nacked: 0,
    unconfirmed: 0,
    delivered: 1000 - lost,
    lost,
    drainedFully: true,
    duplicates: 0,
    redelivered: 0,
    ackedPerSec,
    confirmedPerSec: ackedPerSec * 1.1,
    latencyUs: { p50: 1500, p99: 12_000, p999: 20_000, max: 30_000 },
    coverage: FULL_COVERAGE,
    replicas: null,
    serverCpuSeconds: 1,
    cpuUsPerMsg: 12.5,
    peakRssMb: 60,
    disk: { bytes: 1e6, stored: 1000, baselineBytes: 0, bytesPerMessage: 1000 },
    errors: 0,
    harnessCpuSeconds: { producers: 1, consumer: 1 },
  };
}

describe('reliableTables', () => {
  const cells = [
    cell('zmq-mq', 'zmq-mq', 'ours', 120_000),
    cell('jetstream', 'jetstream-publish', 'js documented', 20_000),
    cell('jetstream', 'jetstream-core', 'js fastest', 60_000),
    { ...cell('rabbitmq', 'rabbitmq', 'rabbit', 30_000, 3), drainedFully: false },
  ];
  const run: ReliableRun = {
    windowMs: 2000,
    confirmWindow: 1000,
    prefetch: 1000,
    cells,
    failures: [{ driver: 'rabbitmq', payloadBytes: 1024, producers: 4, error: 'boom\nstack' }],
    skipped: { jetstream: 'nats-server is not installed' },
    durability: { rabbitmq: 'fdatasync first' },
    nats: null,
    left: [],
  };
  const md = reliableTables(run);
  const row = (label: string): string => md.split('\n').find((l) => l.startsWith(`| ${label}`))!;

  it('takes JetStream’s best path by acked msg/s', () => {
    expect(jetstreamBest(cells)?.label).toBe('js fastest');
    expect(jetstreamBest([cells[0]!])).toBeNull();
  });

  it('gives each system its ratio to JetStream’s best and to RabbitMQ', () => {
    expect(md).toContain('#### 100 B payload, 1 producer');
    expect(row('ours')).toContain(
      '| 120,000 | 132,000 | 1,500 / 12,000 | 12.5 | 60 | 1,000 | 0 | 0 | 2.00x | 4.00x |',
    );
    expect(row('js fastest')).toMatch(
      /^\| js fastest — JetStream's best \|.*\| 1\.00x \| 2\.00x \|$/,
    );
    expect(row('js documented')).toContain('| 0.33x | 0.67x |');
  });

  it('marks loss, and lists durability, skipped systems and failed runs', () => {
    expect(row('rabbit')).toContain('| **3** (unacked when the drain gave up) |');
    expect(md).toContain('- rabbitmq: fdatasync first.');
    expect(md).toContain('Skipped jetstream: nats-server is not installed.');
    expect(md).toContain('Failed rabbitmq, 1024 B payload, 4 producers: boom.');
  });
});

describe('cellResult on NATS servers the run did not start', () => {
  const counter = new AckCounter(1, () => undefined);
  counter.window = { startNs: 0, endNs: 2000 * MS };
  for (let seq = 1; seq <= 100; seq++) deliver(counter, 0, seq, 0);
  counter.ackedAt(1 * MS);
  const reason = 'the servers are elsewhere';
  const result = (
    system: SystemId,
    driver: DriverId,
    processes: 'broker' | 'none',
  ): ReliableCellResult =>
    cellResult(identity(system, driver, system), [done(100)], counter.report(), true, {
      ...server,
      coverage: { processes, disk: false, reason },
      replicas: 3,
    });

  it('keeps the broker’s own CPU and RSS, and measures no disk', () => {
    const r = result('zmq-mq-jetstream', 'zmq-mq-jetstream', 'broker');
    expect([r.cpuUsPerMsg, r.peakRssMb, r.disk, r.replicas]).toEqual([50, 80, null, 3]);
  });

  it('invents nothing for JetStream used directly', () => {
    const r = result('jetstream', 'jetstream-core', 'none');
    expect([r.cpuUsPerMsg, r.peakRssMb, r.disk]).toEqual([null, null, null]);
  });
});

describe('reliableTables with --store', () => {
  const reason = 'the NATS servers of --store are not this run’s';
  const external = (c: ReliableCellResult, processes: 'broker' | 'none'): ReliableCellResult => ({
    ...c,
    coverage: { processes, disk: false, reason },
    replicas: 3,
    peakRssMb: processes === 'none' ? null : c.peakRssMb,
    cpuUsPerMsg: processes === 'none' ? null : c.cpuUsPerMsg,
    disk: null,
  });
  const cells = [
    cell('zmq-mq', 'zmq-mq', 'ours on lmdb', 60_000),
    external(cell('zmq-mq-jetstream', 'zmq-mq-jetstream', 'ours on js', 15_000), 'broker'),
    external(cell('jetstream', 'jetstream-publish', 'js documented', 10_000), 'none'),
    external(cell('jetstream', 'jetstream-core', 'js fastest', 30_000), 'none'),
  ];
  const md = reliableTables({
    windowMs: 2000,
    confirmWindow: 1000,
    prefetch: 1000,
    cells,
    failures: [],
    skipped: {},
    durability: {},
    nats: {
      servers: ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223'],
      serverCount: 3,
      replicas: 3,
      version: '2.9.10',
    },
    left: ['stream zmqmq-bench-x-2 (timeout)'],
  });
  const row = (label: string): string => md.split('\n').find((l) => l.startsWith(`| ${label}`))!;

  it('says where JetStream ran and with how many replicas, in a column of its own', () => {
    expect(md).toContain(
      '`--store nats://127.0.0.1:4222,nats://127.0.0.1:4223`, 3 servers, nats-server 2.9.10; every stream with 3 replicas',
    );
    expect(md).toContain('| system | replicas | acked msg/s (end to end) |');
    expect(row('ours on lmdb')).toMatch(/^\| ours on lmdb \| — \| 60,000 \|/);
  });

  it('shows what was not measured as such, the broker’s own figures as its only', () => {
    expect(row('ours on js')).toContain(
      '| 3 | 15,000 | 16,500 | 1,500 / 12,000 | 12.5 (broker only) | 60 (broker only) | not measured | 0 | 0 | 0.50x |',
    );
    expect(row('js fastest')).toContain('| not measured | not measured | not measured |');
    expect(md).toContain(`Not measured: ${reason}; "broker only": our broker's own process is.`);
  });

  it('gives the broker’s overhead as a ratio to JetStream used directly, and no RabbitMQ column', () => {
    expect(md).toContain(
      'Our broker on JetStream ÷ JetStream used directly (acked msg/s): 0.50x of its best (1.50x js documented; 0.50x js fastest).',
    );
    expect(md).not.toContain('vs RabbitMQ');
  });

  it('names what it could not remove from the servers', () => {
    expect(md).toContain(
      'Left on the NATS servers (could not be removed): stream zmqmq-bench-x-2 (timeout).',
    );
  });
});
