/**
 * The training charts' canvas (web/ui/line-chart.ts) in real Chromium, on
 * its own: web/ui/line-chart.ts bundled by esbuild into a blank page, every
 * fillText recorded with the box it covers (its measured extent through the
 * context's transform, so the rotated axis title counts too). No text may
 * leave the canvas or overlap another, and every text must be legible on
 * white (WCAG AA, 4.5:1): checked for the empty state on a phone-wide chart,
 * a loss that explodes to 5e+31, and a legend too wide to sit beside the
 * title (with the x axis ending on a labelled tick). A screenshot of each
 * goes to the artifacts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, launchChromium, ROOT, SKIP } from './helpers.js';

let browser: Browser;
let page: Page;

/** Records each fillText of each canvas since its last full clear: the text, its colour and its box in CSS pixels. */
const TEXT_RECORDER = `
  window.__texts = new Map();
  const proto = CanvasRenderingContext2D.prototype;
  const clearRect = proto.clearRect;
  proto.clearRect = function (x, y, w, h) {
    if (x === 0 && y === 0) window.__texts.set(this.canvas, []);
    return clearRect.call(this, x, y, w, h);
  };
  const fillText = proto.fillText;
  proto.fillText = function (text, x, y, maxWidth) {
    const m = this.measureText(text);
    const t = this.getTransform();
    const ratio = window.devicePixelRatio || 1;
    const corners = [[-m.actualBoundingBoxLeft, -m.actualBoundingBoxAscent], [m.actualBoundingBoxRight, -m.actualBoundingBoxAscent],
      [m.actualBoundingBoxRight, m.actualBoundingBoxDescent], [-m.actualBoundingBoxLeft, m.actualBoundingBoxDescent]]
      .map(([dx, dy]) => [(t.a * (x + dx) + t.c * (y + dy) + t.e) / ratio, (t.b * (x + dx) + t.d * (y + dy) + t.f) / ratio]);
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    const list = window.__texts.get(this.canvas) ?? [];
    list.push({ text, color: String(this.fillStyle), left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) });
    window.__texts.set(this.canvas, list);
    return fillText.call(this, text, x, y, maxWidth);
  };
`;

interface DrawnText {
  text: string;
  color: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

interface DrawnChart {
  width: number;
  height: number;
  texts: DrawnText[];
  dataset: Record<string, string>;
}

before(async () => {
  if (SKIP) return;
  const bundle = await build({
    absWorkingDir: ROOT,
    entryPoints: ['web/ui/line-chart.ts'],
    bundle: true,
    format: 'iife',
    globalName: 'LineChartModule',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.setContent('<!doctype html><body style="margin:0;background:#fff;font-family:system-ui"></body>');
  await page.addScriptTag({ content: TEXT_RECORDER });
  await page.addScriptTag({ content: bundle.outputFiles[0].text });
});

after(async () => {
  await browser?.close();
});

/** A chart of the training panel's kind, `width` × 230 CSS pixels, drawn with these series; what it drew. */
async function drawChart(name: string, width: number, options: object, series: object[]): Promise<DrawnChart> {
  const drawn = (await page.evaluate(
    `(async () => {
      const canvas = document.createElement('canvas');
      canvas.style.cssText = 'display:block;width:${width}px;height:230px;margin:8px';
      document.body.replaceChildren(canvas);
      const chart = new LineChartModule.LineChart(canvas, ${JSON.stringify(options)});
      chart.setSeries(${JSON.stringify(series)});
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return { width: canvas.clientWidth, height: canvas.clientHeight, texts: window.__texts.get(canvas) ?? [], dataset: { ...canvas.dataset } };
    })()`,
  )) as DrawnChart;
  await page.locator('canvas').screenshot({ path: join(artifactsDir(), `chart-${name}.png`) });
  return drawn;
}

const LOSS_OPTIONS = {
  title: 'Training loss',
  xLabel: 'step',
  yLabel: 'cross-entropy loss',
  reference: { y: Math.log(10), label: 'chance: ln 10 ≈ 2.30' },
  empty: 'Press Start: the loss of every step is drawn here',
  clipAboveMultiple: 4,
};

/** WCAG's relative luminance of an sRGB colour '#rrggbb', and the contrast of two. */
function luminance(hex: string): number {
  const channel = (i: number): number => {
    const c = Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

function contrastOnWhite(hex: string): number {
  return 1.05 / (luminance(hex) + 0.05);
}

/** Every text inside the canvas, no two overlapping, each legible on white. */
function assertTextLaidOut(chart: DrawnChart, what: string): void {
  assert.ok(chart.texts.length > 0, `${what}: texts were drawn`);
  for (const t of chart.texts) {
    assert.ok(
      t.left >= -0.5 && t.right <= chart.width + 0.5 && t.top >= -0.5 && t.bottom <= chart.height + 0.5,
      `${what}: "${t.text}" leaves the canvas (${JSON.stringify(t)}, canvas ${chart.width}×${chart.height})`,
    );
    assert.match(t.color, /^#[0-9a-f]{6}$/, `${what}: "${t.text}" in ${t.color}`);
    assert.ok(
      contrastOnWhite(t.color) >= 4.5,
      `${what}: "${t.text}" in ${t.color} has contrast ${contrastOnWhite(t.color).toFixed(2)}:1 on white (AA asks 4.5:1)`,
    );
  }
  for (const [i, a] of chart.texts.entries()) {
    for (const b of chart.texts.slice(i + 1)) {
      const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
      assert.ok(!overlap, `${what}: "${a.text}" and "${b.text}" overlap (${JSON.stringify(a)} / ${JSON.stringify(b)})`);
    }
  }
}

test('the empty state on a phone-wide chart wraps inside the plot and overlaps no tick label', { skip: SKIP, timeout: 60_000 }, async () => {
  // 296 px: the chart's width on a 390 px wide phone.
  const chart = await drawChart('empty-phone', 296, LOSS_OPTIONS, [
    { name: 'each step', color: '#c7cbf6', points: [] },
    { name: 'smoothed', color: '#4f46e5', points: [] },
  ]);
  const lines = chart.texts.filter((t) => LOSS_OPTIONS.empty.includes(t.text) && t.text.includes(' '));
  assert.ok(lines.length >= 2, `the empty-state text is wrapped onto several lines: ${JSON.stringify(chart.texts.map((t) => t.text))}`);
  assert.equal(lines.map((t) => t.text).join(' '), LOSS_OPTIONS.empty, 'all of it is drawn');
  assertTextLaidOut(chart, 'empty, 296 px');
  // And beside the tick labels, within the plot: right of the widest one.
  const tickRight = Math.max(...chart.texts.filter((t) => /^\d/.test(t.text) && t.right < chart.width / 3).map((t) => t.right));
  for (const line of lines) assert.ok(line.left > tickRight, `"${line.text}" starts left of the plot`);
});

test('a loss exploding to 5e+31: the axis stays near the early loss, the clipped steps are marked and said', { skip: SKIP, timeout: 60_000 }, async () => {
  const losses = [2.31, 2.3, 2.3, 2.29, 7.7, 8.9e3, 5e31, 6.8e31];
  const raw = losses.map((loss, i) => [i + 1, loss]);
  let smoothed = losses[0];
  const smooth = losses.map((loss, i) => {
    smoothed += 0.1 * (loss - smoothed);
    return [i + 1, smoothed];
  });
  for (const width of [560, 296]) {
    const chart = await drawChart(`exploding-loss-${width}`, width, LOSS_OPTIONS, [
      { name: 'each step', color: '#c7cbf6', points: raw, width: 1 },
      { name: 'smoothed', color: '#4f46e5', points: smooth, width: 2 },
    ]);
    assertTextLaidOut(chart, `exploding loss, ${width} px`);
    const yMax = Number(chart.dataset.yMax);
    // 4 × the median of the first values (≈ 2.3): the first steps' curve fills the chart rather than a hair of it.
    assert.ok(yMax > 7 && yMax < 10, `the y axis stops near 4 × the early loss (got ${yMax})`);
    assert.ok(Number(chart.dataset.clipped) >= 4, `the steps above it are drawn on the top edge (${chart.dataset.clipped})`);
    const noteColor = chart.texts.find((t) => t.text.startsWith('▲'))?.color;
    const note = chart.texts
      .filter((t) => t.color === noteColor)
      .map((t) => t.text)
      .join(' ');
    assert.match(note, /^▲ off the chart: values up to 6\.8e\+31 \(the axis stops at 9\.23\)$/);
    assert.ok(!chart.texts.some((t) => /^[\d.]+e\+\d+$/.test(t.text)), 'no tick label like 5e+31');
  }
});

test('a legend too wide for the title row moves below it', { skip: SKIP, timeout: 60_000 }, async () => {
  const chart = await drawChart(
    'accuracy-legend-phone',
    296,
    { title: 'Accuracy', xLabel: 'step', yLabel: 'top-1 accuracy (%)', yMin: 0, yMax: 100, reference: { y: 10, label: 'chance: 10%' }, empty: '' },
    [
      {
        name: 'training batches (smoothed)',
        color: '#8b5cf6',
        points: Array.from({ length: 40 }, (_, i) => [i + 1, 10 + i]),
        width: 2,
      },
      { name: 'test images', color: '#0f9f6e', points: [[40, 52]], dots: true },
    ],
  );
  assertTextLaidOut(chart, 'accuracy, 296 px');
  const title = chart.texts.find((t) => t.text === 'Accuracy')!;
  const legend = chart.texts.find((t) => t.text === 'training batches (smoothed)')!;
  assert.ok(legend.top > title.bottom, 'the legend sits below the title');
  // The x axis ends on a labelled tick: 40 steps once left a lone "0" under it.
  const yZero = chart.texts.find((t) => t.text === '0')!;
  const xLabels = chart.texts.filter((t) => /^\d+$/.test(t.text) && t.top > yZero.bottom).map((t) => Number(t.text));
  assert.ok(xLabels.length >= 2 && Math.max(...xLabels) >= 40, `x tick labels: ${xLabels.join(', ')}`);
});
