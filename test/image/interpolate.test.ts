/**
 * interpolateBilinear against torch 1.13's F.interpolate(mode='bilinear',
 * align_corners=False) on random tensors (tools/gen_image_fixtures.py).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpolateBilinear } from '../../src/image/interpolate.js';
import { base64Floats, readJson } from './helpers.js';

interface InterpolateCase {
  shape: number[];
  size: [number, number];
  input: string;
  expected: string;
}

const fixture = readJson<{ cases: InterpolateCase[] }>('interpolate_cases.json');

test('interpolateBilinear matches F.interpolate(bilinear, align_corners=False) within 1e-6', () => {
  const shapes = fixture.cases.map((c) => `${c.shape.join('x')}->${c.size.join('x')}`);
  assert.ok(shapes.includes('1x1x28x28->64x64') && shapes.includes('1x1x7x5->13x9'), shapes.join(', '));
  for (const c of fixture.cases) {
    const what = `${c.shape.join('x')} -> ${c.size.join('x')}`;
    const out = interpolateBilinear(base64Floats(c.input), c.shape, c.size);
    assert.deepEqual(out.shape, [...c.shape.slice(0, -2), ...c.size], what);
    const expected = base64Floats(c.expected);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - expected[i]));
    assert.ok(worst <= 1e-6, `${what}: max |diff| ${worst}`);
  }
});

test('interpolateBilinear keeps constant images constant and rejects bad shapes', () => {
  const out = interpolateBilinear(new Float32Array(12).fill(0.25), [3, 4], [7, 9]);
  assert.deepEqual(out.shape, [7, 9]);
  assert.ok(out.data.every((v) => Math.abs(v - 0.25) < 1e-7));
  const multi = interpolateBilinear(new Float32Array(24).fill(-2), [2, 3, 4], [5, 5]);
  assert.deepEqual(multi.shape, [2, 5, 5]);
  assert.ok(multi.data.every((v) => Math.abs(v + 2) < 1e-6));
  assert.throws(() => interpolateBilinear(new Float32Array(5), [2, 3], [4, 4]), /interpolateBilinear: 5 values do not fill shape \[2, 3\]/);
  assert.throws(() => interpolateBilinear(new Float32Array(6), [2, 3], [0, 4]), /size must be \[height, width\] positive integers/);
  assert.throws(() => interpolateBilinear(new Float32Array(6), [6], [2, 2]), /expected a shape \[H, W\], \[C, H, W\] or \[N, C, H, W\]/);
});
