/**
 * A small line chart on a canvas: axes with round-number ticks and labels,
 * a light grid, any number of series (lines or points), a legend. Sharp on
 * high-density screens; redrawn on resize. Cheap enough to redraw after
 * every training step.
 */

export interface Series {
  name: string;
  color: string;
  /** Points (x, y); drawn as a line, or as dots when `dots` is set. */
  points: [number, number][];
  dots?: boolean;
  width?: number;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Fixed y range (e.g. 0..100 for percentages); otherwise from the data. */
  yMin?: number;
  yMax?: number;
  yFormat?: (v: number) => string;
  /** A dashed horizontal line with a label (e.g. chance level). */
  reference?: { y: number; label: string };
  /** Shown in the middle while there is no data. */
  empty: string;
}

/** 1, 2 or 5 times a power of ten: about `count` steps over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

function ticks(lo: number, hi: number, count: number): number[] {
  const step = niceStep(hi - lo, count);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export class LineChart {
  private series: Series[] = [];

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly options: ChartOptions,
  ) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  setSeries(series: Series[]): void {
    this.series = series;
    this.draw();
  }

  draw(): void {
    const { canvas, options } = this;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext('2d');
    if (g === null) return;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    g.textBaseline = 'middle';

    const left = 52;
    const right = 12;
    const top = 34;
    const bottom = 40;
    const plotW = width - left - right;
    const plotH = height - top - bottom;

    g.fillStyle = '#141824';
    g.font = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    g.textAlign = 'left';
    g.fillText(options.title, 8, 14);
    g.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

    const all = this.series.flatMap((s) => s.points);
    // A little room on the right, so the newest point (a test-accuracy dot) is not cut in half.
    let xMax = Math.max(10, ...all.map((p) => p[0])) * 1.03;
    const xMin = 0;
    let yMin = options.yMin ?? Math.min(...all.map((p) => p[1]));
    let yMax = options.yMax ?? Math.max(...all.map((p) => p[1]));
    if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) {
      yMin = options.yMin ?? 0;
      yMax = options.yMax ?? 1;
    }
    if (options.yMin === undefined) yMin = Math.min(yMin, 0);
    if (yMax - yMin < 1e-9) yMax = yMin + 1;
    if (options.yMax === undefined) yMax += (yMax - yMin) * 0.06;
    const xTicks = ticks(xMin, xMax, Math.max(2, Math.floor(plotW / 80)));
    xMax = Math.max(xMax, xTicks[xTicks.length - 1] ?? xMax);
    const yTicks = ticks(yMin, yMax, Math.max(2, Math.floor(plotH / 40)));
    const x = (v: number): number => left + ((v - xMin) / (xMax - xMin)) * plotW;
    const y = (v: number): number => top + plotH - ((v - yMin) / (yMax - yMin)) * plotH;
    const fmt = options.yFormat ?? ((v: number) => String(v));

    // Grid and ticks.
    g.strokeStyle = '#edf0f5';
    g.lineWidth = 1;
    g.fillStyle = '#5f6675';
    g.textAlign = 'right';
    for (const v of yTicks) {
      const py = Math.round(y(v)) + 0.5;
      g.beginPath();
      g.moveTo(left, py);
      g.lineTo(left + plotW, py);
      g.stroke();
      g.fillText(fmt(v), left - 8, py);
    }
    g.textAlign = 'center';
    for (const v of xTicks) {
      const px = Math.round(x(v)) + 0.5;
      g.beginPath();
      g.moveTo(px, top);
      g.lineTo(px, top + plotH);
      g.stroke();
      g.fillText(String(v), px, top + plotH + 14);
    }
    // Axes.
    g.strokeStyle = '#aeb4c4';
    g.beginPath();
    g.moveTo(left + 0.5, top);
    g.lineTo(left + 0.5, top + plotH + 0.5);
    g.lineTo(left + plotW, top + plotH + 0.5);
    g.stroke();
    // Axis labels.
    g.fillStyle = '#5f6675';
    g.fillText(options.xLabel, left + plotW / 2, height - 10);
    g.save();
    g.translate(13, top + plotH / 2);
    g.rotate(-Math.PI / 2);
    g.fillText(options.yLabel, 0, 0);
    g.restore();

    if (options.reference !== undefined && options.reference.y >= yMin && options.reference.y <= yMax) {
      const py = Math.round(y(options.reference.y)) + 0.5;
      g.save();
      g.strokeStyle = '#c2c7d6';
      g.setLineDash([4, 4]);
      g.beginPath();
      g.moveTo(left, py);
      g.lineTo(left + plotW, py);
      g.stroke();
      g.restore();
      g.fillStyle = '#8a90a2';
      g.textAlign = 'right';
      g.fillText(options.reference.label, left + plotW - 4, py - 8);
      g.textAlign = 'center';
    }

    if (all.length === 0) {
      g.fillStyle = '#8a90a2';
      g.fillText(options.empty, left + plotW / 2, top + plotH / 2);
      return;
    }

    // Series, clipped to the plot.
    g.save();
    g.beginPath();
    g.rect(left, top - 6, plotW + 6, plotH + 12);
    g.clip();
    for (const s of this.series) {
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      if (s.dots) {
        for (const [px, py] of s.points) {
          g.beginPath();
          g.arc(x(px), y(py), 4, 0, 2 * Math.PI);
          g.fill();
        }
        continue;
      }
      g.lineWidth = s.width ?? 1.5;
      g.lineJoin = 'round';
      g.beginPath();
      for (const [i, [px, py]] of s.points.entries()) {
        if (i === 0) g.moveTo(x(px), y(py));
        else g.lineTo(x(px), y(py));
      }
      g.stroke();
    }
    g.restore();

    // Legend, top right.
    g.textAlign = 'left';
    let lx = width - right;
    for (const s of [...this.series].reverse()) {
      if (s.points.length === 0) continue;
      const w = g.measureText(s.name).width;
      lx -= w;
      g.fillStyle = '#5f6675';
      g.fillText(s.name, lx, 14);
      lx -= 16;
      g.fillStyle = s.color;
      g.fillRect(lx, 12, 11, s.dots ? 5 : 3);
      lx -= 14;
    }
  }
}
