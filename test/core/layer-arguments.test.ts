/**
 * Bad layer and op arguments fail with one line naming the layer or op and
 * the argument, in the form the caller gave them; unbatched [C, H, W] inputs
 * are named as given, not as the batch of one they run as.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { withBackend } from '../../src/backend/registry.js';
import { AdaptiveAvgPool2d, Conv2d, Linear } from '../../src/nn/index.js';
import { adaptiveAvgPool2d } from '../../src/ops/adaptive-avg-pool2d.js';
import { avgPool2d } from '../../src/ops/avg-pool2d.js';
import { conv2d, conv2dAsync, conv2dGeometry } from '../../src/ops/conv2d.js';
import { maxPool2d } from '../../src/ops/max-pool2d.js';
import type { Pair } from '../../src/ops/pair.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { availableBackends } from '../helpers/backends.js';

test('conv2d on an unbatched input names the shape the caller passed, not [1, C, H, W]', async () => {
  const x = Tensor.zeros([4, 5, 5]);
  const w = Tensor.zeros([2, 3, 3, 3]);
  const message = /^Error: conv2d: expected input \[N, 3, H, W\] or \[3, H, W\], got \[4, 5, 5\]$/;
  assert.throws(() => conv2d(x, w), message);
  await assert.rejects(conv2dAsync(x, w), message);
  assert.throws(() => new Conv2d(3, 2, 3).call(x), /^Error: Conv2d\(3→2, k=3, s=1, p=0\): expected input \[N, 3, H, W\] or \[3, H, W\], got \[4, 5, 5\]$/);
});

test('conv2dGeometry takes an unbatched [C, H, W] as a batch of one', () => {
  const w = [4, 3, 3, 3];
  assert.deepEqual(conv2dGeometry([3, 7, 6], w, { padding: 1 }), conv2dGeometry([1, 3, 7, 6], w, { padding: 1 }));
});

test('a Conv2d in eval mode runs an unbatched input on every backend (packing the weight took the input as batched)', async () => {
  const { backends } = await availableBackends();
  const layer = new Conv2d(3, 4, 3, { padding: 1 }).eval();
  const x = Tensor.randn([3, 5, 5]);
  for (const [name, backend] of backends) {
    withBackend(backend, () => {
      const unbatched = noGrad(() => layer.call(x));
      const batched = noGrad(() => layer.call(x.reshape([1, 3, 5, 5])));
      assert.deepEqual(unbatched.shape, [4, 5, 5], name);
      assert.deepEqual(unbatched.data, batched.data, name);
    });
  }
});

test('pooling sizes given as one-element arrays are refused by name, as avg_pool2d did', () => {
  const x = Tensor.zeros([1, 1, 4, 4]);
  const three = [3] as unknown as Pair;
  assert.throws(() => maxPool2d(x, three), /^Error: max_pool2d: kernel size must be a number or a pair, got \[3\]$/);
  assert.throws(() => maxPool2d(x, 2, { stride: three }), /^Error: max_pool2d: stride must be a number or a pair, got \[3\]$/);
  assert.throws(() => avgPool2d(x, three), /^Error: avg_pool2d: kernel size must be a number or a pair, got \[3\]$/);
});

test('adaptive_avg_pool2d checks its output size under its own name (torch takes non-negative integers)', () => {
  const x = Tensor.zeros([1, 1, 4, 4]);
  for (const size of [-1, 2.5, [2, -3]] as unknown as Pair[]) {
    const text = JSON.stringify(size).replace(/[[\]]/g, '\\$&');
    assert.throws(() => adaptiveAvgPool2d(x, size), new RegExp(`^Error: adaptive_avg_pool2d: output size must be non-negative integers, got ${text}$`));
  }
  assert.throws(() => adaptiveAvgPool2d(x, [3] as unknown as Pair), /^Error: adaptive_avg_pool2d: output size must be a number or a pair, got \[3\]$/);
  assert.deepEqual(adaptiveAvgPool2d(x, [0, 2]).shape, [1, 1, 0, 2], 'an empty output, as torch gives');
  assert.throws(() => new AdaptiveAvgPool2d(-1), /^Error: AdaptiveAvgPool2d: output size must be non-negative integers, got -1$/);
});

test('Linear and Conv2d constructors name the argument that is not a size', () => {
  assert.throws(() => new Linear(2.5, 3), /^Error: Linear: in_features must be a non-negative integer, got 2\.5$/);
  assert.throws(() => new Linear(-1, 3), /^Error: Linear: in_features must be a non-negative integer, got -1$/);
  assert.throws(() => new Linear(2, Number.NaN), /^Error: Linear: out_features must be a non-negative integer, got NaN$/);
  assert.throws(() => new Conv2d(3.5, 4, 3), /^Error: Conv2d: in_channels must be an integer ≥ 0, got 3\.5$/);
  assert.throws(() => new Conv2d(3, -4, 3), /^Error: Conv2d: out_channels must be an integer ≥ 0, got -4$/);
  assert.throws(() => new Conv2d(3, 4, [3] as unknown as Pair), /^Error: Conv2d: kernel_size must be a number or a pair, got \[3\]$/);
  assert.throws(() => new Conv2d(3, 4, [3, 0]), /^Error: Conv2d: kernel_size must be integers ≥ 1, got \[3,0\]$/);
  assert.throws(() => new Conv2d(3, 4, 3, { stride: 0 }), /^Error: Conv2d: stride must be integers ≥ 1, got 0$/);
  assert.throws(() => new Conv2d(3, 4, 3, { padding: -1 }), /^Error: Conv2d: padding must be integers ≥ 0, got -1$/);
  assert.throws(() => new Conv2d(3, 4, 3, { groups: 0 }), /^Error: Conv2d: groups must be an integer ≥ 1, got 0$/);
  assert.throws(() => new Conv2d(3, 4, 3, { groups: 2 }), /^Error: Conv2d: groups=2 must divide both in_channels=3 and out_channels=4$/);
  // Zero-sized layers are valid in torch too.
  assert.deepEqual(new Linear(0, 3).weight.shape, [3, 0]);
  assert.deepEqual(new Conv2d(3, 0, 3).weight.shape, [0, 3, 3, 3]);
});
