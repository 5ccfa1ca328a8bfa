/**
 * The native resampling kernel against src/image/resample.ts's JavaScript
 * passes: the same bytes for every pass combination, channel count and
 * window, and out-of-range taps refused before any read.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setBackend } from '../../src/backend/registry.js';
import { JsBackend } from '../../src/backend/js/index.js';
import { resizeBilinearWindow } from '../../src/image/resample.js';
import { nativeBackend } from '../../src/node/native/load.js';
import { noiseImage } from '../image/helpers.js';
import { addon, skipWithoutAddon } from './native-helpers.js';

test("native resampleBilinear gives the JavaScript passes' bytes, window by window", { skip: skipWithoutAddon }, () => {
  const native = nativeBackend({ warn: false });
  assert.ok(native);
  const js = new JsBackend();
  try {
    let cases = 0;
    for (let t = 0; t < 120; t++) {
      const [w, h, c] = [1 + ((t * 37) % 320), 1 + ((t * 53) % 210), 1 + (t % 4)];
      const [outW, outH] = [1 + ((t * 29) % 270), 1 + ((t * 31) % 250)];
      const left = Math.floor(outW / 5);
      const top = Math.floor(outH / 7);
      const window = { left, top, width: outW - left, height: outH - top };
      const image = noiseImage(w, h, c, t);
      setBackend(js);
      const expected = resizeBilinearWindow(image, outW, outH, window);
      setBackend(native);
      const actual = resizeBilinearWindow(image, outW, outH, window);
      assert.deepEqual(actual.data, expected.data, `${w}x${h}x${c} -> ${outW}x${outH}, window at (${left}, ${top})`);
      cases++;
    }
    assert.equal(cases, 120);
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
