/*! This page bundles uPlot, MIT Licensed, Copyright (c) 2025 Leon Sorokin, https://github.com/leeoniya/uPlot */
import uPlot from 'uplot';
import { formatTime } from './format';

/** One line of a chart. */
export interface Line {
  label: string;
  color: string;
  /** Line width in CSS pixels (default 1.5): lines that often coincide are told apart by it. */
  width?: number;
  /** Dash pattern (default solid). */
  dash?: number[];
}

/** One point in time: seconds since the epoch, and a value per line. */
export interface Point {
  t: number;
  values: number[];
}

/** Short numbers on an axis: 950, 1.2k, 3.4M. */
function compact(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return `${+n.toFixed(1)}`;
}

/** Time ticks as clock times, `14:05`: ticks are whole minutes apart (MINUTE_STEPS). */
function clockTicks(ticks: number[]): string[] {
  return ticks.map((t) => formatTime(t * 1000).slice(0, 5));
}

/** Steps between time ticks (s): a minute or more, as the width allows. */
const MINUTE_STEPS = [60, 120, 300, 600];

const HEIGHT = 170;

/**
 * A moving chart of per-second rates over the last `windowSeconds` (uPlot, drawn on a canvas
 * that follows its box's width). The figure's `data-samples` and `data-peak` attributes say
 * what it shows, for tests and for anyone reading the page's markup.
 */
export class RateChart {
  private xs: number[] = [];
  private ys: number[][];
  private readonly plot: uPlot;

  constructor(
    private readonly figure: HTMLElement,
    lines: readonly Line[],
    private readonly windowSeconds = 300,
  ) {
    this.ys = lines.map(() => []);
    const axis: uPlot.Axis = {
      stroke: '#5b6472',
      grid: { stroke: '#e6e9ef' },
      ticks: { show: false },
    };
    this.plot = new uPlot(
      {
        width: Math.max(figure.clientWidth, 200),
        height: HEIGHT,
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: {
            time: true,
            // Before the first sample there is no max: the window ends now.
            range: (_u, _min, max) => {
              const end = Number.isFinite(max) && max > 0 ? max : Date.now() / 1000;
              return [end - this.windowSeconds, end];
            },
          },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        },
        axes: [
          { ...axis, space: 50, incrs: MINUTE_STEPS, values: (_u, ticks) => clockTicks(ticks) },
          { ...axis, size: 48, values: (_u, ticks) => ticks.map(compact) },
        ],
        series: [
          {},
          ...lines.map((l) => ({
            label: l.label,
            stroke: l.color,
            width: l.width ?? 1.5,
            ...(l.dash ? { dash: l.dash } : {}),
            points: { show: false },
          })),
        ],
      },
      [[], ...lines.map(() => [])],
      figure,
    );
    new ResizeObserver(() => {
      const width = Math.max(this.figure.clientWidth, 200);
      if (width !== this.plot.width) this.plot.setSize({ width, height: HEIGHT });
    }).observe(figure);
  }

  /** Shows these points only (a new broker, or the first hello). */
  reset(points: readonly Point[]): void {
    this.xs = points.map((p) => p.t);
    this.ys = this.ys.map((_, i) => points.map((p) => p.values[i] ?? 0));
    this.draw();
  }

  /** Adds the newest point; points older than the window go. */
  push(point: Point): void {
    this.xs.push(point.t);
    this.ys.forEach((line, i) => line.push(point.values[i] ?? 0));
    const cut = this.xs.findIndex((t) => t > point.t - this.windowSeconds);
    if (cut > 0) {
      this.xs.splice(0, cut);
      for (const line of this.ys) line.splice(0, cut);
    }
    this.draw();
  }

  private draw(): void {
    this.plot.setData([this.xs, ...this.ys]);
    let peak = 0;
    for (const line of this.ys) for (const v of line) if (v > peak) peak = v;
    this.figure.dataset['samples'] = String(this.xs.length);
    this.figure.dataset['peak'] = String(Math.round(peak * 10) / 10);
  }
}
