/**
 * resizeBilinear against Pillow's Image.resize(BILINEAR) on noise images
 * (the hardest case for rounding), fixture from tools/gen_image_fixtures.py.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crop } from '../../src/image/crop.js';
import { bilinearTaps, resizeBilinear, resizeBilinearWindow } from '../../src/image/resample.js';
import { base64Bytes, compareBytes, noiseImage, readJson } from './helpers.js';

interface ResizeCase {
  width: number;
  height: number;
  channels: number;
  seed: number;
  outWidth: number;
  outHeight: number;
  expected: string;
}

const fixture = readJson<{ cases: ResizeCase[] }>('resize_cases.json');

test('resizeBilinear is bit-identical to PIL Image.resize(BILINEAR)', () => {
  assert.ok(fixture.cases.length >= 10);
  for (const c of fixture.cases) {
    const what = `${c.width}x${c.height}x${c.channels} -> ${c.outWidth}x${c.outHeight}`;
    const out = resizeBilinear(noiseImage(c.width, c.height, c.channels, c.seed), c.outWidth, c.outHeight);
    assert.deepEqual([out.width, out.height, out.channels], [c.outWidth, c.outHeight, c.channels], what);
    const comparison = compareBytes(out.data, base64Bytes(c.expected), what);
    assert.equal(comparison.maxDiff, 0, `${what}: max diff ${comparison.maxDiff}`);
  }
});

test('resizeBilinear to the same size copies the pixels', () => {
  const image = noiseImage(5, 4, 3, 7);
  const out = resizeBilinear(image, 5, 4);
  assert.deepEqual(out.data, image.data);
  assert.notEqual(out.data, image.data);
});

test('bilinear taps widen when shrinking and their weights sum to one in fixed point', () => {
  const up = bilinearTaps(10, 20);
  assert.ok(Math.max(...up.count) <= 3);
  const down = bilinearTaps(100, 10); // shrink by 10: the triangle spans 20 source pixels
  assert.ok(Math.max(...down.count) >= 19);
  for (let o = 0; o < 10; o++) {
    let sum = 0;
    for (let i = 0; i < down.count[o]; i++) sum += down.weights[o * down.stride + i];
    assert.ok(Math.abs(sum - (1 << 22)) <= down.count[o], `output ${o}: weights sum to ${sum}`);
  }
});

test('resizeBilinear rejects bad sizes and malformed images', () => {
  const image = noiseImage(4, 4, 1, 1);
  assert.throws(() => resizeBilinear(image, 0, 3), /resizeBilinear: the target size must be positive integers, got 0x3/);
  assert.throws(() => resizeBilinear(image, 2.5, 3), /positive integers/);
  assert.throws(
    () => resizeBilinear({ width: 4, height: 4, channels: 3, data: new Uint8Array(10) }, 2, 2),
    /resizeBilinear: 10 bytes do not fill 4x4x3 \(48 expected\)/,
  );
});

test('resizeBilinearWindow gives the bytes of resizing then cropping, for windows anywhere and every pass combination', () => {
  const sizes: [number, number, number, number][] = [
    [37, 29, 64, 50], // both axes enlarged
    [300, 200, 77, 51], // both shrunk
    [40, 90, 40, 45], // rows only
    [90, 40, 45, 40], // columns only
    [33, 33, 33, 33], // unchanged
  ];
  for (const [w, h, outW, outH] of sizes) {
    const image = noiseImage(w, h, 3, w * 7 + h);
    const full = resizeBilinear(image, outW, outH);
    for (const [left, top, ww, wh] of [
      [0, 0, outW, outH],
      [1, 2, outW - 3, outH - 5],
      [outW - 1, outH - 1, 1, 1],
      [Math.floor(outW / 3), 0, Math.ceil(outW / 2), outH],
    ]) {
      const window = resizeBilinearWindow(image, outW, outH, { left, top, width: ww, height: wh });
      const expected = crop(full, top, left, wh, ww);
      assert.deepEqual([window.width, window.height], [ww, wh]);
      assert.deepEqual(window.data, expected.data, `${w}x${h} -> ${outW}x${outH}, window ${ww}x${wh} at (${left}, ${top})`);
    }
  }
  assert.throws(() => resizeBilinearWindow(noiseImage(4, 4, 3, 1), 8, 8, { left: 4, top: 0, width: 5, height: 8 }), /not inside the 8x8 result/);
});
