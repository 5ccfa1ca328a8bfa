/**
 * A small line chart on a canvas: axes with round-number ticks and labels,
 * a light grid, any number of series (lines or points), a legend. Sharp on
 * high-density screens; redrawn on resize. Cheap enough to redraw after
 * every training step. The layout follows the text: the left margin fits
 * the widest tick label, the legend moves below the title when they do not
 * fit side by side, and the empty-state text wraps to the plot.
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
  /** Shown in the middle while there is no data, wrapped to the plot's width. */
  empty: string;
  /**
   * Keeps the curve readable when the values explode (a diverging loss): the y range stops at this multiple of the
   * median of the first values (the early loss), and points above it (or not finite) are drawn on the top edge with
   * a ▲ marker, a line above the plot saying how high they went. Without it one step's loss of 5e+31 squashed
   * every other step onto the x axis, and its tick labels ran into the axis title.
   */
  clipAboveMultiple?: number;
}

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const TITLE_FONT = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
/** Text and marks: the page's muted colour (#5f6675, 5.8:1 on white; WCAG AA asks 4.5:1). */
const MUTED = '#5f6675';
/** Points clipped off the top: a warning colour (#c2410c, 5.2:1 on white). */
const CLIPPED = '#c2410c';
/** How many of the first values the clipping level is taken from. */
const EARLY_VALUES = 10;
/** Rows of text above the plot (title, legend, the clipped note): their spacing. */
const ROW_HEIGHT = 18;
/** The rotated y-axis title's band at the left edge, then the gaps around the tick labels. */
const Y_TITLE_BAND = 20;
const LABEL_GAP = 6;
const TICK_GAP = 8;

/** 1, 2 or 5 times a power of ten: about `count` steps over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

function ticks(lo: number, hi: number, count: number): number[] {
  return ticksEvery(lo, hi, niceStep(hi - lo, count));
}

function ticksEvery(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `text` broken at spaces into lines no wider than `maxWidth` (a word wider than that gets a line of its own). */
function wrapText(g: CanvasRenderingContext2D, text: string, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (line !== '' && g.measureText(candidate).width > maxWidth) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

interface YRange {
  yMin: number;
  yMax: number;
  /** The clipping level: values above it are drawn on the top edge (Infinity: none). */
  cap: number;
  /** How many values are drawn on the top edge: above the clipping level, or not finite. */
  clipped: number;
  /** The largest of those (NaN when one is NaN). */
  largestClipped: number;
}

/** The clipping level of `clipAboveMultiple`: that multiple of the median of the first finite values (by x). */
function clippingLevel(points: [number, number][], multiple: number): number {
  const early = points
    .filter((p) => Number.isFinite(p[1]))
    .sort((a, b) => a[0] - b[0])
    .slice(0, EARLY_VALUES)
    .map((p) => p[1]);
  const level = early.length > 0 ? multiple * median(early) : Number.NaN;
  return level > 0 ? level : Number.POSITIVE_INFINITY;
}

function yRange(points: [number, number][], options: ChartOptions): YRange {
  const values = points.map((p) => p[1]);
  const level =
    options.clipAboveMultiple !== undefined && options.yMax === undefined ? clippingLevel(points, options.clipAboveMultiple) : Number.POSITIVE_INFINITY;
  const shown = values.filter((v) => Number.isFinite(v) && v <= level);
  const off = values.filter((v) => !(Number.isFinite(v) && v <= level));
  const cap = values.some((v) => v > level) ? level : Number.POSITIVE_INFINITY;
  let yMin = options.yMin ?? Math.min(...shown);
  let yMax = options.yMax ?? (Number.isFinite(cap) ? cap : Math.max(...shown));
  if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) {
    yMin = options.yMin ?? 0;
    yMax = options.yMax ?? 1;
  }
  if (options.yMin === undefined) yMin = Math.min(yMin, 0);
  if (yMax - yMin < 1e-9) yMax = yMin + 1;
  // Headroom above the data; none when the top is the clipping level, so clipped points sit on the top edge.
  if (options.yMax === undefined && !Number.isFinite(cap)) yMax += (yMax - yMin) * 0.06;
  const largestClipped = off.some((v) => Number.isNaN(v)) ? Number.NaN : Math.max(Number.NEGATIVE_INFINITY, ...off);
  return { yMin, yMax, cap, clipped: off.length, largestClipped };
}

/** A large or tiny value in few characters (the clipped note): 5.0e+31 rather than 50000000000000000000000000000000. */
function compact(v: number, format: (v: number) => string): string {
  if (Number.isNaN(v)) return 'NaN';
  return Math.abs(v) >= 1e4 ? v.toExponential(1) : format(v);
}

interface LegendItem {
  series: Series;
  width: number;
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
    g.textBaseline = 'middle';

    const right = 12;
    const bottom = 40;
    const all = this.series.flatMap((s) => s.points);
    const { yMin, yMax, cap, clipped, largestClipped } = yRange(all, options);
    const fmt = options.yFormat ?? ((v: number) => String(v));
    // For tests and the curious: the top of the y axis, and how many values sit on it.
    canvas.dataset.yMax = String(yMax);
    canvas.dataset.clipped = String(clipped);

    // Rows above the plot: the title with the legend beside it (or below, when they do not fit side by side), then
    // the note about clipped points.
    g.font = TITLE_FONT;
    g.fillStyle = '#141824';
    g.textAlign = 'left';
    g.fillText(options.title, 8, 14);
    const titleRight = 8 + g.measureText(options.title).width;
    g.font = FONT;
    const rowY = this.drawLegend(g, width - right, titleRight + 16, 14);
    let nextRowY = rowY + ROW_HEIGHT;
    if (clipped > 0) {
      // The level is no round number: three significant digits are plenty.
      const stop = Number.isFinite(cap) ? ` (the axis stops at ${fmt(Number(cap.toPrecision(3)))})` : '';
      const note = `▲ off the chart: values up to ${compact(largestClipped, fmt)}${stop}`;
      g.fillStyle = CLIPPED;
      g.textAlign = 'left';
      for (const line of wrapText(g, note, width - right - 8)) {
        g.fillText(line, 8, nextRowY);
        nextRowY += ROW_HEIGHT - 2;
      }
    }
    const top = nextRowY + 2;
    const plotH = height - top - bottom;
    if (plotH < 20) return;

    // The left margin holds the rotated axis title and the widest tick label.
    const yTicks = ticks(yMin, yMax, Math.max(2, Math.floor(plotH / 40)));
    const labelWidth = Math.max(0, ...yTicks.map((v) => g.measureText(fmt(v)).width));
    const left = Math.ceil(Y_TITLE_BAND + LABEL_GAP + labelWidth + TICK_GAP);
    const plotW = width - left - right;
    if (plotW < 20) return;

    // A little room on the right, so the newest point (a test-accuracy dot) is not cut in half.
    // The axis runs at least to the first tick after 0: 41 steps on a narrow chart, ticks 50 apart, once had a lone
    // "0" under it.
    const xMin = 0;
    const dataEnd = Math.max(10, ...all.map((p) => p[0])) * 1.03;
    const xStep = niceStep(dataEnd, Math.max(2, Math.floor(plotW / 80)));
    const xMax = Math.max(dataEnd, xStep);
    const xTicks = ticksEvery(xMin, xMax, xStep);
    const x = (v: number): number => left + ((v - xMin) / (xMax - xMin)) * plotW;
    // Clipped values (and NaN, ±Infinity) sit on the top edge.
    const onTop = (v: number): boolean => !(Number.isFinite(v) && v <= cap);
    const y = (v: number): number => top + plotH - ((Math.min(onTop(v) ? yMax : v, yMax) - yMin) / (yMax - yMin)) * plotH;

    // Grid and ticks.
    g.strokeStyle = '#edf0f5';
    g.lineWidth = 1;
    g.fillStyle = MUTED;
    g.textAlign = 'right';
    for (const v of yTicks) {
      const py = Math.round(y(v)) + 0.5;
      g.beginPath();
      g.moveTo(left, py);
      g.lineTo(left + plotW, py);
      g.stroke();
      g.fillText(fmt(v), left - TICK_GAP, py);
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
    g.fillStyle = MUTED;
    g.fillText(options.xLabel, left + plotW / 2, height - 10);
    g.save();
    g.translate(Y_TITLE_BAND / 2 + 3, top + plotH / 2);
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
      g.fillStyle = MUTED;
      g.textAlign = 'right';
      g.fillText(options.reference.label, left + plotW - 4, py - 8);
      g.textAlign = 'center';
    }

    if (all.length === 0) {
      this.drawEmpty(g, left, top, plotW, plotH);
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
    // ▲ on the top edge over each clipped point.
    g.fillStyle = CLIPPED;
    for (const [px, py] of all) {
      if (!onTop(py)) continue;
      const cx = x(px);
      g.beginPath();
      g.moveTo(cx, top - 5);
      g.lineTo(cx + 4, top + 2);
      g.lineTo(cx - 4, top + 2);
      g.closePath();
      g.fill();
    }
    g.restore();
  }

  /**
   * The legend, right-aligned at `rightEdge` on the title's row when it fits right of `titleRight`, else on rows of
   * its own below; returns the y of the last row used.
   */
  private drawLegend(g: CanvasRenderingContext2D, rightEdge: number, titleRight: number, titleY: number): number {
    // Each item: swatch (11) + 5 + name, then 14 between items.
    const items: LegendItem[] = this.series.filter((s) => s.points.length > 0).map((series) => ({ series, width: 16 + g.measureText(series.name).width }));
    if (items.length === 0) return titleY;
    const gap = 14;
    const total = items.reduce((sum, item) => sum + item.width, 0) + gap * (items.length - 1);
    const rows: LegendItem[][] = [];
    let rowY = titleY;
    if (rightEdge - total >= titleRight) rows.push(items);
    else {
      // Below the title: as many items per row as fit in the width.
      rowY += ROW_HEIGHT;
      let row: LegendItem[] = [];
      let used = 0;
      for (const item of items) {
        if (row.length > 0 && used + gap + item.width > rightEdge - 8) {
          rows.push(row);
          row = [];
          used = 0;
        }
        used += (row.length > 0 ? gap : 0) + item.width;
        row.push(item);
      }
      rows.push(row);
    }
    g.textAlign = 'left';
    for (const [r, row] of rows.entries()) {
      const py = rowY + r * ROW_HEIGHT;
      let lx = rightEdge;
      for (const { series, width } of [...row].reverse()) {
        lx -= width;
        g.fillStyle = series.color;
        g.fillRect(lx, py - 2, 11, series.dots ? 5 : 3);
        g.fillStyle = MUTED;
        g.fillText(series.name, lx + 16, py);
        lx -= gap;
      }
    }
    return rowY + (rows.length - 1) * ROW_HEIGHT;
  }

  /** The empty-state text, wrapped to the plot's width, on a white band so that the grid does not cross it. */
  private drawEmpty(g: CanvasRenderingContext2D, left: number, top: number, plotW: number, plotH: number): void {
    const lines = wrapText(g, this.options.empty, plotW - 16);
    const lineHeight = 16;
    const widest = Math.max(...lines.map((line) => g.measureText(line).width));
    const cx = left + plotW / 2;
    const firstY = top + plotH / 2 - ((lines.length - 1) * lineHeight) / 2;
    g.fillStyle = '#fff';
    g.fillRect(cx - widest / 2 - 4, firstY - lineHeight / 2 - 2, widest + 8, lines.length * lineHeight + 4);
    g.fillStyle = MUTED;
    g.textAlign = 'center';
    for (const [i, line] of lines.entries()) g.fillText(line, cx, firstY + i * lineHeight);
  }
}
