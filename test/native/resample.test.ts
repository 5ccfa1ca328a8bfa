/**
 * The native resampling kernels against src/image/resample.ts's JavaScript
 * passes: the same bytes for every pass combination, channel count and
 * window; the fused resize + crop + normalize (resampleBilinearToPlanes)
 * gives the js backend's ImageNet transform bit for bit, of RGB and of RGBA
 * (alpha left out); out-of-range taps, weights no bilinear filter gives and
 * tables of the wrong size are refused before any read.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setBackend } from '../../src/backend/registry.js';
import { JsBackend } from '../../src/backend/js/index.js';
import { toRgb } from '../../src/image/convert.js';
import { imagenetEvalTransform } from '../../src/image/imagenet.js';
import { resizeBilinearWindow } from '../../src/image/resample.js';
import { nativeBackend } from '../../src/node/native/load.js';
import { noiseImage } from '../image/helpers.js';
import { addon, forEachSimd, skipWithoutAddon } from './native-helpers.js';

test("native resampleBilinear gives the JavaScript passes' bytes, window by window, with every kernel set", { skip: skipWithoutAddon }, () => {
  const native = nativeBackend({ warn: false });
  assert.ok(native);
  const js = new JsBackend();
  try {
    forEachSimd((level) => {
      let cases = 0;
      for (let t = 0; t < 120; t++) {
        // Channel counts 1 to 4 (3 has its own vector loop), enlarging and shrinking by up to ~12×; the last
        // pixel of the image is read (its vector load would pass the end: the scalar loop takes it).
        const [w, h, c] = [1 + ((t * 37) % 320), 1 + ((t * 53) % 210), 1 + (t % 4)];
        const [outW, outH] = t % 5 === 1 ? [1 + (t % 27), 1 + (t % 19)] : [1 + ((t * 29) % 270), 1 + ((t * 31) % 250)];
        const left = Math.floor(outW / 5);
        const top = Math.floor(outH / 7);
        const window = t % 5 === 1 ? { left: 0, top: 0, width: outW, height: outH } : { left, top, width: outW - left, height: outH - top };
        const image = noiseImage(w, h, c, t);
        setBackend(js);
        const expected = resizeBilinearWindow(image, outW, outH, window);
        setBackend(native);
        const actual = resizeBilinearWindow(image, outW, outH, window);
        assert.deepEqual(actual.data, expected.data, `${level}: ${w}x${h}x${c} -> ${outW}x${outH}, window at (${window.left}, ${window.top})`);
        cases++;
      }
      assert.equal(cases, 120);
    });
  } finally {
    setBackend(js);
  }
});

test('taps that read outside the image are refused by name', { skip: skipWithoutAddon }, () => {
  const src = new Uint8Array(4 * 4 * 3);
  const taps = (first: number) => ({ first: Int32Array.of(first), count: Int32Array.of(2), stride: 2, weights: Int32Array.of(1 << 21, 1 << 21) });
  const ok = taps(0);
  const call = (cols: ReturnType<typeof taps>, rows: ReturnType<typeof taps>) => addon().resampleBilinear(src, 4, 4, 3, cols, rows, new Uint8Array(3));
  assert.doesNotThrow(() => call(ok, ok));
  assert.throws(() => call(taps(3), ok), /resampleBilinear: col tap 0 reads outside the 4 source pixels/);
  assert.throws(() => call(ok, taps(-1)), /resampleBilinear: row tap 0 reads outside the 4 source pixels/);
});

test("the fused native ImageNet transform gives the js backend's floats bit for bit, from RGB and from RGBA", { skip: skipWithoutAddon }, () => {
  const native = nativeBackend({ warn: false });
  assert.ok(native?.resampleBilinearToPlanes, 'the native backend has the fused kernel');
  const js = new JsBackend();
  const cases: [number, number, { resize?: number; crop?: number; mean?: number[]; std?: number[] }][] = [
    [224, 224, {}],
    [640, 480, {}],
    [300, 1411, {}],
    [256, 256, {}], // no resize at all: a plain crop
    [257, 256, {}], // one axis keeps its size
    [1000, 37, { resize: 64, crop: 32 }],
    [227, 227, { resize: 227, crop: 227, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] }],
  ];
  try {
    forEachSimd((level) => {
      for (const [t, [w, h, options]] of cases.entries()) {
        for (const channels of [3, 4]) {
          // RGBA with random alpha: the alpha must change nothing (PIL's convert('RGB') drops it).
          const image = noiseImage(w, h, channels, 100 + t);
          setBackend(js);
          const expected = imagenetEvalTransform(toRgb(image), options);
          setBackend(native);
          const actual = imagenetEvalTransform(image, options);
          assert.deepEqual(actual.shape, expected.shape);
          assert.deepEqual(actual.data, expected.data, `${level}: ${w}x${h}x${channels} ${JSON.stringify(options)}`);
        }
      }
    });
  } finally {
    setBackend(js);
  }
});

test('weights no bilinear filter gives are refused by name (they could overflow the int32 sums)', { skip: skipWithoutAddon }, () => {
  const src = new Uint8Array(4 * 4 * 3);
  const taps = (weights: number[]) => ({ first: Int32Array.of(0), count: Int32Array.of(2), stride: 2, weights: Int32Array.from(weights) });
  const ok = taps([1 << 21, 1 << 21]);
  const native = nativeBackend({ warn: false });
  assert.ok(native);
  const call = (cols: ReturnType<typeof taps>) => native.resampleBilinear(src, 4, 4, 3, cols, ok, new Uint8Array(3));
  assert.doesNotThrow(() => call(ok));
  assert.throws(() => call(taps([-1, 1 << 22])), /resampleBilinear: col tap 0 has a weight outside \[0, 1\]/);
  assert.throws(() => call(taps([(1 << 22) + 1, 0])), /col tap 0 has a weight outside \[0, 1\]/);
  assert.doesNotThrow(() => call(taps([1 << 22, 1 << 22])), 'two full weights (a sum of 2) still fit');
  const planes = () => native.resampleBilinearToPlanes(src, 4, 4, 3, ok, taps([0x7fffffff, 0x7fffffff]), new Float32Array(768), new Float32Array(3));
  assert.throws(planes, /resampleBilinearToPlanes: row tap 0 has a weight outside \[0, 1\]/);
});

test('a table must hold 256 values for each of 1 to channels planes', { skip: skipWithoutAddon }, () => {
  const src = new Uint8Array(4 * 4 * 4);
  const copy = { first: Int32Array.of(0, 1), count: Int32Array.of(1, 1), stride: 1, weights: Int32Array.of(1 << 22, 1 << 22) };
  const call = (channels: number, tableLength: number, outLength: number) =>
    addon().resampleBilinearToPlanes(src.subarray(0, 16 * channels), 4, 4, channels, copy, copy, new Float32Array(tableLength), new Float32Array(outLength));
  assert.doesNotThrow(() => call(4, 3 * 256, 3 * 4), 'three planes of an RGBA image');
  assert.doesNotThrow(() => call(4, 4 * 256, 4 * 4), 'all four');
  assert.throws(() => call(3, 4 * 256, 4 * 4), /resampleBilinearToPlanes: table must hold 256 values per plane, 1 to channels \(3\) planes; got 1024 values/);
  assert.throws(() => call(3, 300, 3 * 4), /table must hold 256 values per plane/);
  assert.throws(() => call(4, 3 * 256, 4 * 4), /resampleBilinearToPlanes: out/);
});
