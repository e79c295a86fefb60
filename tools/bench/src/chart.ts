// The chart: hand-written SVG, grouped bars per broker. Panel 1: delivered msg/s at
// saturation on the fan-out path for each payload/producer combination. Panel 2: from the
// rate search, the highest rate under 0.1% loss and the p99 latency at half of it.
import type { RateSearchResult } from './report';
import type { ScenarioResult } from './scenario';

export interface Series {
  id: string;
  label: string;
}

export interface BarGroup {
  label: string;
  values: Record<string, number | null>;
}

const COLORS = ['#2563eb', '#93c5fd', '#6b7280', '#f59e0b', '#10b981', '#d1d5db', '#a855f7'];
const WIDTH = 900;
const PANEL_HEIGHT = 260;
const MARGIN = { left: 80, right: 20, top: 40, bottom: 40 };

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function compact(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return `${+n.toFixed(1)}`;
}

/** A nice axis maximum: 1, 2 or 5 times a power of ten, at or above `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * power >= max) return m * power;
  return 10 * power;
}

/** One bar panel at vertical offset `y`: groups along x, one bar per series in each group. */
export function barPanel(
  title: string,
  unit: string,
  series: Series[],
  groups: BarGroup[],
  y: number,
): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const top = y + MARGIN.top;
  const values = groups
    .flatMap((g) => Object.values(g.values))
    .filter((v): v is number => v !== null && Number.isFinite(v));
  const max = niceMax(Math.max(0, ...values));
  const out: string[] = [
    `<text x="${MARGIN.left}" y="${y + 22}" class="title">${esc(title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const gy = top + plotH - (plotH * i) / 4;
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${gy}" y2="${gy}" class="grid"/>`,
    );
    out.push(
      `<text x="${MARGIN.left - 6}" y="${gy + 4}" class="axis" text-anchor="end">${compact(v)}</text>`,
    );
  }
  out.push(
    `<text x="14" y="${top + plotH / 2}" class="axis" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">${esc(unit)}</text>`,
  );
  const groupW = plotW / Math.max(1, groups.length);
  const barW = Math.min(28, (groupW * 0.8) / Math.max(1, series.length));
  groups.forEach((g, gi) => {
    const x0 = MARGIN.left + gi * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = g.values[s.id];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const h = (plotH * v) / max;
      const x = x0 + si * barW;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${s.label}, ${g.label}: ${compact(v)} ${unit}`)}</title></rect>`,
      );
    });
    out.push(
      `<text x="${(MARGIN.left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" class="axis" text-anchor="middle">${esc(g.label)}</text>`,
    );
  });
  return out.join('\n');
}

function legend(series: Series[], y: number): string {
  return series
    .map((s, i) => {
      const x = MARGIN.left + (i % 3) * 260;
      const ly = y + Math.floor(i / 3) * 18;
      return `<rect x="${x}" y="${ly - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 18}" y="${ly}" class="axis">${esc(s.label)}</text>`;
    })
    .join('\n');
}

function seriesOf(items: Array<{ broker: string; label: string }>): Series[] {
  const seen = new Map<string, string>();
  for (const r of items) if (!seen.has(r.broker)) seen.set(r.broker, r.label);
  return [...seen].map(([id, label]) => ({ id, label }));
}

function groupsOf<T extends { broker: string; payloadBytes: number; producers: number }>(
  items: T[],
  value: (item: T) => number | null,
  label: (item: T) => string,
): BarGroup[] {
  const groups = new Map<string, BarGroup>();
  for (const r of items) {
    const key = label(r);
    const g = groups.get(key) ?? { label: key, values: {} };
    g.values[r.broker] = value(r);
    groups.set(key, g);
  }
  return [...groups.values()];
}

const scenarioLabel = (r: { payloadBytes: number; producers: number }): string =>
  `${r.payloadBytes >= 1024 ? `${r.payloadBytes / 1024} KiB` : `${r.payloadBytes} B`} × ${r.producers}p`;

/** A rate-search group: its scenario, and the scheduler when it is not the default one. */
const rateLabel = (r: RateSearchResult): string =>
  `${scenarioLabel(r)}${r.scheduling === 'fifo' ? ', SCHED_FIFO' : ''}`;

/** The whole chart as an SVG document. */
export function renderChart(
  saturation: ScenarioResult[],
  rates: RateSearchResult[],
  caption: string,
): string {
  const series = seriesOf([...saturation, ...rates]);
  const panels: string[] = [];
  let y = 0;
  if (saturation.length > 0) {
    panels.push(
      barPanel(
        'Delivered msg/s at saturation, fan-out path (payload × producers)',
        'msg/s',
        series,
        groupsOf(saturation, (r) => r.sub.msgsPerSec, scenarioLabel),
        y,
      ),
    );
    y += PANEL_HEIGHT;
  }
  if (rates.length > 0) {
    panels.push(
      barPanel(
        'Highest rate with < 0.1% loss on both paths',
        'msg/s',
        series,
        groupsOf(rates, (r) => r.maxRatePerSec, rateLabel),
        y,
      ),
    );
    y += PANEL_HEIGHT;
    panels.push(
      barPanel(
        'p99 latency at half that rate, fan-out path',
        'µs',
        series,
        groupsOf(rates, (r) => r.atHalf?.sub.latencyUs.p99 ?? null, rateLabel),
        y,
      ),
    );
    y += PANEL_HEIGHT;
    panels.push(
      barPanel(
        'p99 latency at half that rate, work path',
        'µs',
        series,
        groupsOf(rates, (r) => r.atHalf?.pull?.latencyUs.p99 ?? null, rateLabel),
        y,
      ),
    );
    y += PANEL_HEIGHT;
  }
  const legendY = y + 16;
  const height = legendY + Math.ceil(series.length / 3) * 18 + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    '<style>.title{font-size:14px;font-weight:bold;fill:#111}.axis{font-size:11px;fill:#333}.grid{stroke:#e5e7eb}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...panels,
    legend(series, legendY),
    `<text x="${MARGIN.left}" y="${height - 8}" class="axis">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
