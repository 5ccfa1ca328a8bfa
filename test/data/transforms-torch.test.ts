/**
 * The data pipeline's resize / crop / normalize against torch 1.13 and
 * torchvision 0.14 (fixture from tools/make_data_fixtures.py).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { floatImageFromBytes, createFloatImage, type FloatImage } from '../../src/data/image.js';
import { resizeBilinear } from '../../src/data/resize.js';
import { CenterCrop, resizedSize } from '../../src/data/transforms/geometry.js';
import { Normalize } from '../../src/data/transforms/color.js';
import { fashionMnistTransform } from '../../src/data/transforms/presets.js';
import { Generator } from '../../src/tensor/random.js';

interface Case {
  name: string;
  inputShape: number[];
  input: string;
  outputShape: number[];
  output: string;
  [k: string]: unknown;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/data/transforms.json', import.meta.url), 'utf8'));

function floats(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function input(c: Case): FloatImage {
  const [ch, h, w] = c.inputShape;
  return createFloatImage(w, h, ch, floats(c.input));
}

/** Largest |a − b| after checking the shape. */
function maxDiff(actual: FloatImage, c: Case): number {
  assert.deepEqual([actual.channels, actual.height, actual.width], c.outputShape, `${c.name}: shape`);
  const expected = floats(c.output);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual.data[i] - expected[i]));
  return worst;
}

test('bilinear resize matches F.interpolate (align_corners=False, with and without antialias)', () => {
  for (const c of fixture.resize as Case[]) {
    const [h, w] = c.size as number[];
    const out = resizeBilinear(input(c), h, w, { antialias: c.antialias as boolean });
    // Without antialias: bit-exact. With it: float32 rounding only (values in [0, 1], so ≤ 2 ulps of 1).
    const tolerance = c.antialias ? 2.5e-7 : 0;
    assert.ok(maxDiff(out, c) <= tolerance, `${c.name}: max difference ${maxDiff(out, c)}`);
  }
});

test('the Fashion-MNIST transform equals ToTensor → Resize(64) → Normalize(0.2860, 0.3530)', () => {
  const { pixels, outputShape, output } = fixture.fashionMnistFirstImage;
  const image = floatImageFromBytes(new Uint8Array(Buffer.from(pixels, 'base64')), 28, 28, 1);
  const out = fashionMnistTransform({ size: 64 }).apply(image, new Generator(0));
  const c = { name: 'fashion', outputShape, output } as Case;
  assert.equal(maxDiff(out, c), 0);
});

test('CenterCrop places the window like torchvision (round half to even, zero padding)', () => {
  for (const c of fixture.centerCrop as Case[]) {
    const out = new CenterCrop(c.size as [number, number]).apply(input(c));
    assert.equal(maxDiff(out, c), 0, c.name);
  }
});

test('Resize(int) picks the output size like torchvision', () => {
  for (const c of fixture.resizeOutputSize as { height: number; width: number; size: number; output: number[] }[]) {
    assert.deepEqual(resizedSize(c.height, c.width, c.size), c.output, `${c.height}×${c.width} → ${c.size}`);
  }
});

test('Normalize is exact against torchvision', () => {
  const c = fixture.normalize as Case;
  const out = new Normalize(c.mean as number[], c.std as number[]).apply(input(c));
  assert.equal(maxDiff(out, c), 0);
});
