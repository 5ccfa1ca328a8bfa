/** featureMapGrid's geometry and per-map normalisation; rasterToRgba's layout. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RasterImage } from '../../src/train/filter-grid.js';
import { featureMapGrid, normalizeMap, rasterToRgba } from '../../src/visualize/index.js';

/** C maps of H × W where map c holds c·100 + its pixel index (each a ramp, on a different level). */
function ramps(c: number, h: number, w: number): { shape: [number, number, number]; maps: Float32Array } {
  const maps = new Float32Array(c * h * w);
  for (let i = 0; i < maps.length; i++) maps[i] = Math.floor(i / (h * w)) * 100 + (i % (h * w));
  return { shape: [c, h, w], maps };
}

const at = (r: RasterImage, x: number, y: number): number => r.pixels[y * r.width + x];

test('tiles in ⌈√C⌉ columns with gaps around and between them, each pixel repeated scale×scale', () => {
  const grid = featureMapGrid(ramps(5, 3, 4), { scale: 2, gap: 1, background: 200 });
  // 3 columns × 2 rows of 8×6 tiles, 1-pixel gaps: 3·8 + 4, 2·6 + 3.
  assert.deepEqual([grid.width, grid.height, grid.channels, grid.pixels.length], [28, 15, 1, 28 * 15]);
  for (let x = 0; x < grid.width; x++) assert.equal(at(grid, x, 0), 200, 'top gap');
  for (let y = 0; y < grid.height; y++) {
    for (const x of [0, 9, 18, 27]) assert.equal(at(grid, x, y), 200, `vertical gap at x=${x}`);
  }
  for (let x = 0; x < grid.width; x++) assert.equal(at(grid, x, 7), 200, 'gap between the rows');
  // The sixth cell (row 1, column 2) is empty.
  for (let y = 8; y < 14; y++) for (let x = 19; x < 27; x++) assert.equal(at(grid, x, y), 200);
  // Tile 0 is the ramp 0..11 stretched to 0..255, each value a 2×2 block.
  const tile0 = Array.from({ length: 6 }, (_, y) => Array.from({ length: 8 }, (_, x) => at(grid, 1 + x, 1 + y)));
  const expected = Array.from({ length: 6 }, (_, y) =>
    Array.from({ length: 8 }, (_, x) => Math.round(((Math.floor(y / 2) * 4 + Math.floor(x / 2)) / 11) * 255)),
  );
  assert.deepEqual(tile0, expected);
});

test('each map is stretched on its own: maps at different levels give the same tile', () => {
  const grid = featureMapGrid(ramps(4, 2, 3), { scale: 1, gap: 1 });
  const tile = (c: number): number[] => {
    const x0 = 1 + (c % 2) * 4;
    const y0 = 1 + Math.floor(c / 2) * 3;
    return [0, 1].flatMap((y) => [0, 1, 2].map((x) => at(grid, x0 + x, y0 + y)));
  };
  assert.deepEqual(tile(0), [0, 51, 102, 153, 204, 255]);
  for (const c of [1, 2, 3]) assert.deepEqual(tile(c), tile(0));
});

test('a constant map is black, not a division by zero; NaN and infinities do not reach the pixels', () => {
  const out = new Uint8Array(4);
  normalizeMap(new Float32Array([0, 0, 0, 0]), out);
  assert.deepEqual([...out], [0, 0, 0, 0]);
  normalizeMap(new Float32Array([3.5, 3.5, 3.5, 3.5]), out);
  assert.deepEqual([...out], [0, 0, 0, 0]);
  normalizeMap(new Float32Array([1, Number.NaN, 3, Number.POSITIVE_INFINITY]), out);
  assert.deepEqual([...out], [0, 0, 255, 0], 'the finite values set the range');
  const grid = featureMapGrid({ shape: [2, 2, 2], maps: new Float32Array([Number.NaN, 1, 2, 3, 0, 0, 0, 0]) }, { scale: 1, gap: 0 });
  // Two 2×2 tiles side by side, no gaps: [NaN, 1 / 2, 3] → [0, 0 / 128, 255]; the zero map black.
  assert.deepEqual([grid.width, grid.height], [4, 2]);
  assert.deepEqual([...grid.pixels], [0, 0, 0, 0, 128, 255, 0, 0]);
});

test('maxMaps keeps the first maps; the default scale makes a small map a tile at least 48 pixels wide', () => {
  const limited = featureMapGrid(ramps(10, 2, 2), { maxMaps: 4, scale: 1, gap: 1 });
  assert.deepEqual([limited.width, limited.height], [2 * 2 + 3, 2 * 2 + 3]);
  const conv5 = featureMapGrid({ shape: [1, 13, 13], maps: new Float32Array(169) }, { gap: 0 });
  assert.equal(conv5.width, 13 * 4);
  const conv1 = featureMapGrid({ shape: [1, 55, 55], maps: new Float32Array(55 * 55) }, { gap: 0 });
  assert.equal(conv1.width, 55);
  assert.throws(() => featureMapGrid({ shape: [2, 3, 3], maps: new Float32Array(17) }), /expected 2×3×3 values, got 17/);
  assert.throws(() => featureMapGrid(ramps(2, 2, 2), { maxMaps: 0 }), /nothing to draw/);
});

test('rasterToRgba: gray copied to R, G, B; RGB kept; every pixel opaque', () => {
  const gray = rasterToRgba({ width: 2, height: 1, channels: 1, pixels: Uint8Array.from([7, 250]) });
  assert.ok(gray instanceof Uint8ClampedArray);
  assert.deepEqual([...gray], [7, 7, 7, 255, 250, 250, 250, 255]);
  const rgb = rasterToRgba({ width: 1, height: 2, channels: 3, pixels: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
  assert.deepEqual([...rgb], [1, 2, 3, 255, 4, 5, 6, 255]);
  assert.throws(() => rasterToRgba({ width: 2, height: 2, channels: 3, pixels: new Uint8Array(5) }), /expected 2×2×3 bytes, got 5/);
});
