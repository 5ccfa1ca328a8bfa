/**
 * Legal corners of the ops that AlexNet never reaches, on every backend this
 * machine has (js, wasm, native): what torch 1.13 gives there, and one clear
 * error where torch refuses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBackend } from '../../src/backend/registry.js';
import * as F from '../../src/ops/index.js';
import { recycleBuffer } from '../../src/tensor/buffer-pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { availableBackends } from '../helpers/backends.js';

const { backends } = await availableBackends();

/** Leaves recycled buffers full of 5s in the pool, so that an output cell a kernel forgets to write shows. */
function dirtyThePool(length: number): void {
  for (let i = 0; i < 4; i++) recycleBuffer(Tensor.full([length], 5).data);
}

test('max pooling: a dilated window whose taps all fall in the padding gives −∞ and takes no gradient', () => {
  // kernel 2, stride 1, padding 1, dilation 3 on 2 rows: every window reads rows −1 and 2 (torch: all −∞).
  const [C, H, W] = [4096, 2, 4];
  const values = Array.from({ length: C * H * W }, (_, i) => (i % 7) - 3);
  for (const [name, backend] of backends) {
    withBackend(backend, () => {
      dirtyThePool(C * 3); // the output's length
      const y = F.maxPool2d(Tensor.from(values, [1, C, H, W]), 2, { stride: 1, padding: 1, dilation: 3 });
      assert.deepEqual([...y.shape], [1, C, 1, 3], name);
      assert.ok(
        y.data.every((v) => v === Number.NEGATIVE_INFINITY),
        `${name}: inference ${[...y.data.subarray(0, 6)]}`,
      );
      const x = Tensor.from(values, [1, C, H, W], { requiresGrad: true });
      const z = F.maxPool2d(x, 2, { stride: 1, padding: 1, dilation: 3 });
      assert.ok(
        z.data.every((v) => v === Number.NEGATIVE_INFINITY),
        `${name}: training forward`,
      );
      z.backward(Tensor.ones(z.shape));
      assert.ok(
        x.grad?.data.every((v) => v === 0),
        `${name}: the gradient reached the input (${x.grad?.data.findIndex((v) => v !== 0)})`,
      );
    });
  }
});

test('linear with in_features = 0: every output is the bias, and the bias gradient counts the rows', () => {
  for (const [name, backend] of backends) {
    withBackend(backend, () => {
      const x = Tensor.zeros([2, 3, 0], { requiresGrad: true });
      const weight = Tensor.zeros([4, 0], { requiresGrad: true });
      const bias = Tensor.from([1, -2, 3, -4], [4], { requiresGrad: true });
      const y = F.linear(x, weight, bias);
      assert.deepEqual([...y.shape], [2, 3, 4], name);
      assert.deepEqual([...y.data], [1, -2, 3, -4, 1, -2, 3, -4, 1, -2, 3, -4, 1, -2, 3, -4, 1, -2, 3, -4, 1, -2, 3, -4], name);
      F.sum(y).backward();
      assert.deepEqual([...(bias.grad?.data ?? [])], [6, 6, 6, 6], `${name}: bias gradient`);
      assert.equal(weight.grad?.numel, 0, `${name}: weight gradient`);
      assert.deepEqual([...F.linear(Tensor.zeros([1, 0]), weight.detach(), bias.detach(), { fuseRelu: true }).data], [1, 0, 3, 0], `${name}: fused ReLU`);
    });
  }
});

test('ReLU passes the gradient of a NaN on, as torch (threshold_backward: zero only where the output is ≤ 0)', () => {
  for (const [name, backend] of backends) {
    withBackend(backend, () => {
      const x = Tensor.from([Number.NaN, 1, -1, 0], [4], { requiresGrad: true });
      F.relu(x).backward(Tensor.from([5, 6, 7, 8], [4]));
      assert.deepEqual([...(x.grad?.data ?? [])], [5, 6, 0, 0], name);
    });
  }
});

test('pooling and convolution arguments torch refuses are refused by name on every backend', () => {
  const x = Tensor.zeros([1, 1, 5, 5]);
  for (const [name, backend] of backends) {
    withBackend(backend, () => {
      assert.throws(() => F.maxPool2d(x, 3, { padding: -1 }), /^Error: max_pool2d: padding must be non-negative integers, got \(-1, -1\)$/, name);
      assert.throws(
        () => F.maxPool2d(x, 2.5),
        /^Error: max_pool2d: kernel size, stride and dilation must be positive integers, got kernel \(2\.5, 2\.5\)/,
        name,
      );
      assert.throws(() => F.maxPool2d(x, 2, { dilation: 1.5 }), /must be positive integers/, name);
      assert.throws(
        () => F.conv2d(Tensor.zeros([1, 1, 6, 3]), Tensor.zeros([2, 1, 0, 3])),
        /^Error: conv2d: the kernel size must be at least 1×1, got a weight \[2, 1, 0, 3\]$/,
        name,
      );
      assert.throws(
        () => F.conv2d(x, Tensor.zeros([2, 1, 3, 3]), null, { groups: 0 }),
        /^Error: conv2d: groups=0 must be a positive integer dividing the 2 output channels$/,
        name,
      );
    });
  }
});

test('tensors: a negative size, a gradient of another shape and an axis out of range are one clear error', () => {
  assert.throws(() => Tensor.zeros([-1, 2]), /^Error: Tensor\.zeros: invalid shape \[-1, 2\]/);
  assert.throws(() => Tensor.empty([2, -3]), /^Error: Tensor\.empty: invalid shape/);
  assert.throws(() => Tensor.full([1.5], 0), /^Error: Tensor\.full: invalid shape/);
  const a = Tensor.zeros([2, 3], { requiresGrad: true });
  const y = F.mulScalar(a, 2);
  assert.throws(() => y.backward(Tensor.ones([3, 2])), /^Error: backward\(\): gradient shape \[3, 2\] does not match tensor shape \[2, 3\]$/);
  assert.throws(() => a.flatten(0, 5), /^Error: flatten: dimension 5 is out of range for a tensor of 2 dimensions \(valid: -2 to 1\)$/);
  assert.throws(() => a.size(2), /^Error: size: dimension 2 is out of range/);
});
