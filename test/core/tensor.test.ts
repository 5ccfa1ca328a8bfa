import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from '../../src/tensor/tensor.js';
import { Generator } from '../../src/tensor/random.js';

test('from() infers shape from nested arrays and toArray() restores them', () => {
  const t = Tensor.from([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual(t.toArray(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.equal(Tensor.scalar(7).item(), 7);
  // A typed array or other flat list is 1-D, as torch.tensor(numpy array); nested arrays with a shape take their values.
  assert.deepEqual(Tensor.from(Float32Array.of(1, 2, 3)).shape, [3]);
  assert.deepEqual([...Tensor.from(Int32Array.of(4, 5)).data], [4, 5]);
  assert.deepEqual(Tensor.from(Float32Array.of(1, 2, 3, 4), [2, 2]).shape, [2, 2]);
  assert.deepEqual(
    [
      ...Tensor.from(
        [
          [1, 2],
          [3, 4],
        ],
        [4],
      ).data,
    ],
    [1, 2, 3, 4],
  );
});

test('reshape and flatten share storage and check element counts', () => {
  const t = Tensor.from([1, 2, 3, 4, 5, 6], [1, 2, 3]);
  const r = t.reshape([3, -1]);
  assert.deepEqual(r.shape, [3, 2]);
  assert.equal(r.data, t.data);
  assert.deepEqual(t.flatten(1).shape, [1, 6]);
  assert.deepEqual(t.flatten().shape, [6]);
  assert.throws(() => t.reshape([4, -1]), /cannot reshape 6 elements into \[4, -1\]/);
  assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), /5 values do not fill shape \[2, 3\]/);
});

test('item() on a multi-element tensor names the shape', () => {
  assert.throws(() => Tensor.zeros([2, 2]).item(), /shape \[2, 2\] has 4 elements, expected 1/);
});

test('seeded random is reproducible and seeds differ', () => {
  const a = Tensor.randn([100], 0, 1, new Generator(42));
  const b = Tensor.randn([100], 0, 1, new Generator(42));
  const c = Tensor.randn([100], 0, 1, new Generator(43));
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
});

test('normal and uniform draws have the requested moments', () => {
  const g = new Generator(1);
  const n = Tensor.randn([200000], 2, 3, g);
  const mean = n.data.reduce((s, v) => s + v, 0) / n.numel;
  const std = Math.sqrt(n.data.reduce((s, v) => s + (v - mean) ** 2, 0) / n.numel);
  assert.ok(Math.abs(mean - 2) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(std - 3) < 0.03, `std ${std}`);
  const u = Tensor.rand([200000], -1, 1, g);
  assert.ok(u.data.every((v) => v >= -1 && v < 1));
  const umean = u.data.reduce((s, v) => s + v, 0) / u.numel;
  assert.ok(Math.abs(umean) < 0.01, `uniform mean ${umean}`);
});

test('generator state round-trips, including a cached normal', () => {
  const g = new Generator(5);
  g.normal(); // leaves the second Box–Muller value cached
  const state = g.getState();
  const expected = [g.normal(), g.uniform(), g.normal()];
  const h = new Generator(99);
  h.setState(state);
  assert.deepEqual([h.normal(), h.uniform(), h.normal()], expected);
});

test('permutation is a permutation', () => {
  const p = new Generator(3).permutation(1000);
  assert.deepEqual(
    [...p].sort((x, y) => x - y),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.notDeepEqual(
    [...p],
    Array.from({ length: 1000 }, (_, i) => i),
  );
});

test('Generator.int reaches every integer below n, beyond 24 bits of a uniform draw too', () => {
  const g = new Generator(11);
  // From a 24-bit uniform, int(2^25) could only be even and int(2^33) only a multiple of 512.
  const big = Array.from({ length: 200 }, () => g.int(2 ** 25));
  assert.ok(big.some((v) => v % 2 === 1));
  assert.ok(big.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 25));
  const huge = Array.from({ length: 200 }, () => g.int(2 ** 33));
  assert.ok(huge.some((v) => v % 512 !== 0) && huge.some((v) => v >= 2 ** 32));
  assert.ok(huge.every((v) => v < 2 ** 33));
  // Small n: each value equally often (chi-square over 60,000 draws of int(6), 5 degrees of freedom, p ≈ 0.001).
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[g.int(6)]++;
  const chi2 = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
  assert.ok(chi2 < 20.5, `chi-square ${chi2} for ${counts.join(', ')}`);
  assert.throws(() => g.int(0), /n must be a positive integer, got 0/);
  assert.throws(() => g.int(2.5), /n must be a positive integer, got 2.5/);
});
