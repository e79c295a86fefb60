// The report: markdown tables of every figure for each broker, with our ratio to the plain
// zeromq.js forwarder measured in the same run.
import type { Scheduling } from './processes';
import type { ScenarioResult } from './scenario';

export interface RateSearchResult {
  broker: string;
  label: string;
  payloadBytes: number;
  producers: number;
  /** How every process of the search's runs was scheduled. */
  scheduling: Scheduling;
  /** Highest total rate with loss < 0.1% on both paths, confirmed; null if none passed. */
  maxRatePerSec: number | null;
  trials: Array<{ rate: number; pass: boolean; subLoss: number; pullLoss: number | null }>;
  /** Every run at half the highest rate (`--half-runs`). */
  halfRuns: ScenarioResult[];
  /** The median of those runs by its worse p99 (`medianRun`): latency and CPU at half. */
  atHalf: ScenarioResult | null;
}

/** A run's worse p99 of its two paths, µs. */
function worseP99(r: ScenarioResult): number {
  return Math.max(r.sub.latencyUs.p99, r.pull?.latencyUs.p99 ?? 0);
}

/**
 * The run whose worse p99 is the median (the upper one for an even count). One run's p99 is not
 * a measurement on a 2-core box shared by every process: the same run gave 1.5 ms and 10 ms.
 */
export function medianRun(runs: ScenarioResult[]): ScenarioResult | null {
  const sorted = [...runs].sort((a, b) => worseP99(a) - worseP99(b));
  return sorted[Math.floor(sorted.length / 2)] ?? null;
}

export const BASELINE = 'plain';

/** A number for a table: grouped thousands, `digits` decimals, — when missing. */
export function num(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

function pct(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`;
}

/** `a / b` as `1.23x`, or — when either is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined): string {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '—';
  return `${(a / b).toFixed(2)}x`;
}

/** A markdown table. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function lat(r: ScenarioResult['sub'] | null): string {
  if (!r) return '—';
  return `${num(r.latencyUs.p50)} / ${num(r.latencyUs.p99)} / ${num(r.latencyUs.p999)}`;
}

interface Grouped {
  payloadBytes: number;
  producers: number;
  scheduling: Scheduling;
}

function groupKey(r: Grouped): string {
  const fifo = r.scheduling === 'fifo' ? ', every process under SCHED_FIFO' : '';
  return `${r.payloadBytes} B payload, ${r.producers} producer${r.producers === 1 ? '' : 's'}${fifo}`;
}

function groups<T extends Grouped>(items: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = groupKey(item);
    out.set(key, [...(out.get(key) ?? []), item]);
  }
  return out;
}

/** Saturation tables, one per payload/producer combination. */
export function saturationTables(results: ScenarioResult[]): string {
  const parts: string[] = [];
  for (const [key, rows] of groups(results)) {
    const base = rows.find((r) => r.broker === BASELINE);
    const rate = rows[0]?.offeredPerSec;
    parts.push(`### ${rate ? `Fixed rate ${num(rate)} msg/s` : 'Saturation'}, ${key}\n`);
    parts.push(
      table(
        [
          'broker',
          'fan-out msg/s',
          'MB/s',
          'loss',
          'work msg/s',
          'MB/s',
          'loss',
          'dup',
          'fan-out p50/p99/p999 µs',
          'work p50/p99/p999 µs',
          'CPU µs/msg',
          'peak RSS MB',
          'fan-out vs plain',
          'work vs plain',
          'CPU vs plain',
        ],
        rows.map((r) => [
          r.label,
          num(r.sub.msgsPerSec),
          num(r.sub.mbPerSec, 1),
          pct(r.sub.loss),
          num(r.pull?.msgsPerSec),
          num(r.pull?.mbPerSec, 1),
          pct(r.pull?.loss),
          num(r.sub.duplicates + (r.pull?.duplicates ?? 0)),
          lat(r.sub),
          lat(r.pull),
          num(r.cpuUsPerMsg, 2),
          num(r.peakRssMb),
          ratio(r.sub.msgsPerSec, base?.sub.msgsPerSec),
          ratio(r.pull?.msgsPerSec, base?.pull?.msgsPerSec),
          ratio(r.cpuUsPerMsg, base?.cpuUsPerMsg),
        ]),
      ),
    );
    parts.push('');
  }
  return parts.join('\n');
}

/** Rate-search table: highest rate under 0.1% loss on both paths, and latency at half of it. */
export function rateTables(results: RateSearchResult[]): string {
  const parts: string[] = [];
  for (const [key, rows] of groups(results)) {
    const base = rows.find((r) => r.broker === BASELINE);
    const runs = Math.max(0, ...rows.map((r) => r.halfRuns.length));
    parts.push(`### Highest rate with loss < 0.1% on both paths, ${key}\n`);
    if (runs > 1)
      parts.push(
        `At half that rate: ${runs} runs per broker; the figures are those of the median run by its worse p99.\n`,
      );
    parts.push(
      table(
        [
          'broker',
          'max msg/s',
          'trials',
          'vs plain',
          'at half: fan-out p50/p99/p999 µs',
          'at half: work p50/p99/p999 µs',
          'at half: CPU µs/msg',
          'CPU vs plain',
          'at half: p99 of each run, fan-out / work µs',
        ],
        rows.map((r) => [
          r.label,
          num(r.maxRatePerSec),
          r.trials.map((t) => `${num(t.rate)}${t.pass ? '✓' : '✗'}`).join(' '),
          ratio(r.maxRatePerSec, base?.maxRatePerSec),
          lat(r.atHalf?.sub ?? null),
          lat(r.atHalf?.pull ?? null),
          num(r.atHalf?.cpuUsPerMsg, 2),
          ratio(r.atHalf?.cpuUsPerMsg, base?.atHalf?.cpuUsPerMsg),
          r.halfRuns
            .map((h) => `${num(h.sub.latencyUs.p99)} / ${num(h.pull?.latencyUs.p99)}`)
            .join(' · ') || '—',
        ]),
      ),
    );
    parts.push('');
  }
  return parts.join('\n');
}

/**
 * CURVE's cost, when a run had our broker with and without it (`--curve`): per payload and
 * producer count, each path's saturation rate and the broker's CPU per message, side by side.
 */
export function curveTables(results: ScenarioResult[]): string {
  const rows: string[][] = [];
  for (const [key, group] of groups(results)) {
    const plain = group.find((r) => r.broker === 'ours');
    const curve = group.find((r) => r.broker === 'ours-curve');
    if (plain === undefined || curve === undefined) continue;
    rows.push([
      key,
      num(plain.sub.msgsPerSec),
      num(curve.sub.msgsPerSec),
      ratio(curve.sub.msgsPerSec, plain.sub.msgsPerSec),
      num(plain.pull?.msgsPerSec),
      num(curve.pull?.msgsPerSec),
      ratio(curve.pull?.msgsPerSec, plain.pull?.msgsPerSec),
      num(plain.cpuUsPerMsg, 2),
      num(curve.cpuUsPerMsg, 2),
      plain.cpuUsPerMsg === null || curve.cpuUsPerMsg === null
        ? '—'
        : `+${num(curve.cpuUsPerMsg - plain.cpuUsPerMsg, 2)}`,
    ]);
  }
  if (rows.length === 0) return '';
  return [
    "### CURVE's cost: our broker without and with CURVE on every port (saturation, same run)\n",
    table(
      [
        'run',
        'fan-out msg/s plain',
        'with CURVE',
        'ratio',
        'work msg/s plain',
        'with CURVE',
        'ratio',
        'CPU µs/msg plain',
        'with CURVE',
        'CURVE adds µs/msg',
      ],
      rows,
    ),
    '',
  ].join('\n');
}
