/**
 * Dropout is random, so instead of a torch fixture: the statistics and the
 * scaling torch's inverted dropout promises (fraction dropped ≈ p, survivors
 * × 1/(1−p), eval is the identity) and a backward that reuses the forward's mask.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dropout } from '../../src/nn/layers/dropout.js';
import { dropout } from '../../src/ops/dropout.js';
import * as F from '../../src/ops/index.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { readJsonFixture } from '../helpers/fixtures.js';

const N = 200_000;

test('survivors are scaled exactly as torch scales them, for p = 0.001 … 0.999 (fixture: tools/gen_layer_fixtures.py)', () => {
  const { cases } = readJsonFixture<{ cases: { p: number; kept: number }[] }>('parity', 'layers', 'dropout_scale.json');
  assert.equal(cases.length, 999);
  const ones = Tensor.ones([64]);
  for (const { p, kept } of cases) {
    const y = dropout(ones, p, true, new Generator(7));
    const survivor = y.data.find((v) => v !== 0) ?? dropout(Tensor.ones([1 << 16]), p, true, new Generator(7)).data.find((v) => v !== 0);
    assert.equal(survivor, kept, `p = ${p}`);
  }
});

for (const p of [0.1, 0.5, 0.8]) {
  test(`dropout p=${p}: about p of the elements are zeroed, survivors are scaled by 1/(1−p)`, () => {
    const x = Tensor.rand([N], 1, 2, new Generator(1)); // strictly positive, so a zero means dropped
    const y = dropout(x, p, true, new Generator(2));
    let dropped = 0;
    const keep = Math.fround(1 / Math.fround(1 - p));
    for (let i = 0; i < N; i++) {
      if (y.data[i] === 0) dropped++;
      else assert.ok(Math.abs(y.data[i] - x.data[i] * keep) <= 1e-6 * y.data[i], `element ${i}: ${y.data[i]} is not ${x.data[i]} × ${keep}`);
    }
    const sigma = Math.sqrt((p * (1 - p)) / N);
    assert.ok(Math.abs(dropped / N - p) < 5 * sigma, `dropped fraction ${dropped / N}, expected ${p} ± ${5 * sigma}`);
    // Inverted dropout keeps the expectation: mean(y) ≈ mean(x).
    const meanX = F.mean(x).item(),
      meanY = F.mean(y).item();
    assert.ok(Math.abs(meanY / meanX - 1) < 0.01 * Math.sqrt(p / (1 - p)) + 0.002, `mean ${meanY} vs ${meanX}`);
  });
}

test('dropout backward uses the forward mask: gradient = g × 1/(1−p) where kept, 0 where dropped', () => {
  const p = 0.3;
  const x = Tensor.rand([5000], 1, 2, new Generator(3));
  x.requiresGrad = true;
  const y = dropout(x, p, true, new Generator(4));
  const g = Tensor.rand([5000], -1, 1, new Generator(5));
  y.backward(g);
  const keep = Math.fround(1 / Math.fround(1 - p));
  for (let i = 0; i < 5000; i++) {
    const expected = y.data[i] === 0 ? 0 : g.data[i] * keep;
    assert.ok(Math.abs(x.grad!.data[i] - expected) <= 1e-6 * Math.abs(expected), `element ${i}: gradient ${x.grad!.data[i]}, expected ${expected}`);
  }
});

test('dropout masks differ between calls and repeat with the same seed', () => {
  const x = Tensor.ones([1000]);
  const a = dropout(x, 0.5, true, new Generator(7));
  const b = dropout(x, 0.5, true, new Generator(7));
  const gen = new Generator(7);
  const c1 = dropout(x, 0.5, true, gen);
  const c2 = dropout(x, 0.5, true, gen);
  assert.deepEqual(a.data, b.data);
  assert.deepEqual(a.data, c1.data);
  assert.notDeepEqual(c1.data, c2.data);
});

test('dropout in eval mode, or with p = 0, is the identity; p = 1 zeroes everything', () => {
  const x = Tensor.rand([100], -1, 1, new Generator(8));
  assert.deepEqual(dropout(x, 0.5, false).data, x.data);
  assert.deepEqual(dropout(x, 0, true).data, x.data);
  assert.ok(dropout(x, 1, true).data.every((v) => v === 0));
  const layer = new Dropout(0.5, new Generator(9));
  layer.eval();
  assert.deepEqual(layer.call(x).data, x.data);
  layer.train();
  assert.ok(
    layer.call(x).data.some((v, i) => v !== x.data[i]),
    'train mode drops',
  );
  assert.throws(() => dropout(x, 1.5), /probability/);
});
