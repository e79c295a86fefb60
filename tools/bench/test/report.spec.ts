import { curveTables, medianRun, rateTables, ratio, saturationTables } from '../src/report';
import type { RateSearchResult } from '../src/report';
import { pathResult } from '../src/scenario';
import type { PathResult, ScenarioResult } from '../src/scenario';

function path(msgsPerSec: number, lost = 0): PathResult {
  return {
    delivered: 1000 - lost,
    lost,
    duplicates: 0,
    reordered: 0,
    loss: lost / 1000,
    lagMs: 1,
    startLagMs: 1,
    msgsPerSec,
    mbPerSec: msgsPerSec / 10_000,
    latencyUs: { p50: 100, p99: 900, p999: 1500, max: 2000 },
  };
}

function result(broker: string, msgsPerSec: number, cpu: number): ScenarioResult {
  return {
    broker,
    label: broker === 'plain' ? 'plain zeromq.js forwarder' : `broker ${broker}`,
    payloadBytes: 100,
    producers: 1,
    mode: 'saturation',
    offeredPerSec: null,
    scheduling: 'default',
    windowMs: 1000,
    sent: 1000,
    sub: path(msgsPerSec),
    pull: path(msgsPerSec / 2, 10),
    brokerCpuSeconds: 1,
    cpuUsPerMsg: cpu,
    backlogInCpuWindow: 0,
    sendErrors: 0,
    peakRssMb: 50,
    harnessCpuSeconds: { producers: 0, consumers: 0 },
  };
}

describe('pathResult', () => {
  it('times delivery from the first measured delivery, not the first send', () => {
    // Sent from t=1 s to t=2.9 s; the first measured message waited 1 s behind the warm-up's
    // backlog, the last arrived at t=3 s: 1000 messages in 1 s of delivery.
    const report = {
      distinct: { '0': 1000 },
      duplicates: 0,
      reordered: 0,
      bytes: 100_000,
      firstNs: 2e9,
      lastNs: 3e9,
      latency: [],
      foreign: 0,
      probes: 0,
    };
    const r = pathResult(report, { '0': 1000 }, 1e9, 2.9e9);
    expect(r.msgsPerSec).toBeCloseTo(1000);
    expect(r.startLagMs).toBeCloseTo(1000);
    expect(r.lagMs).toBeCloseTo(100);
    expect(r.loss).toBe(0);
  });
});

describe('report', () => {
  it('formats ratios and leaves missing ones blank', () => {
    expect(ratio(130, 100)).toBe('1.30x');
    expect(ratio(null, 100)).toBe('—');
    expect(ratio(5, 0)).toBe('—');
  });

  it('shows each broker with its ratio to the plain forwarder', () => {
    const md = saturationTables([result('plain', 100_000, 6), result('ours', 150_000, 3)]);
    expect(md).toContain('### Saturation, 100 B payload, 1 producer');
    const ours = md.split('\n').find((l) => l.startsWith('| broker ours'))!;
    expect(ours).toContain('150,000');
    expect(ours).toContain('| 1.50x | 1.50x | 0.50x |');
    expect(ours).toContain('1.0%');
    expect(ours).toContain('100 / 900 / 1,500');
  });

  it('reports the median of the runs at half rate, by each run’s worse p99, and lists them all', () => {
    const withP99 = (sub: number, pull: number): ScenarioResult => {
      const r = result('ours', 50_000, 3);
      return {
        ...r,
        scheduling: 'fifo',
        sub: { ...r.sub, latencyUs: { ...r.sub.latencyUs, p99: sub } },
        pull: r.pull && { ...r.pull, latencyUs: { ...r.pull.latencyUs, p99: pull } },
      };
    };
    const runs = [withP99(900, 9000), withP99(1200, 1500), withP99(800, 1000)];
    expect(medianRun(runs)).toBe(runs[1]);
    expect(medianRun([])).toBeNull();
    const search: RateSearchResult = {
      broker: 'ours',
      label: 'broker ours',
      payloadBytes: 100,
      producers: 1,
      scheduling: 'fifo',
      maxRatePerSec: 100_000,
      trials: [{ rate: 100_000, pass: true, subLoss: 0, pullLoss: 0 }],
      halfRuns: runs,
      atHalf: medianRun(runs),
    };
    const md = rateTables([search]);
    expect(md).toContain('1 producer, every process under SCHED_FIFO');
    expect(md).toContain('3 runs per broker');
    const row = md.split('\n').find((l) => l.startsWith('| broker ours'))!;
    expect(row).toContain('| 100 / 1,200 / 1,500 |');
    expect(row).toContain('900 / 9,000 · 1,200 / 1,500 · 800 / 1,000');
  });
});

describe("CURVE's cost table", () => {
  const at = (broker: string, payloadBytes: number, msgsPerSec: number, cpu: number) => ({
    ...result(broker, msgsPerSec, cpu),
    payloadBytes,
  });

  it('puts each payload on one row: rates, their ratio, and the CPU CURVE adds per message', () => {
    const md = curveTables([
      at('ours', 100, 100_000, 3),
      at('ours-curve', 100, 50_000, 7.5),
      at('ours', 16384, 20_000, 10),
      at('ours-curve', 16384, 5_000, 40),
    ]);
    const rows = md.split('\n').filter((l) => l.startsWith('| 1'));
    expect(rows).toEqual([
      '| 100 B payload, 1 producer | 100,000 | 50,000 | 0.50x | 50,000 | 25,000 | 0.50x | 3.00 | 7.50 | +4.50 |',
      '| 16384 B payload, 1 producer | 20,000 | 5,000 | 0.25x | 10,000 | 2,500 | 0.25x | 10.00 | 40.00 | +30.00 |',
    ]);
    expect(curveTables([at('ours', 100, 1, 1)])).toBe('');
  });
});
