import { ratio, saturationTables } from '../src/report';
import type { PathResult, ScenarioResult } from '../src/scenario';

function path(msgsPerSec: number, lost = 0): PathResult {
  return {
    delivered: 1000 - lost,
    lost,
    duplicates: 0,
    reordered: 0,
    loss: lost / 1000,
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
    peakRssMb: 50,
    harnessCpuSeconds: { producers: 0, consumers: 0 },
  };
}

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
});
