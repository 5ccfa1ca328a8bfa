/**
 * The two-tower AlexNet normalizes each tower's kernel maps on its own, as
 * the paper's two GPUs did: LocalResponseNorm(…, groups) is torch's layer
 * applied to each group of channels (torch parity of the whole grouped model:
 * test/parity/models-meta.test.ts and the model fixtures).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import type { AlexNetOriginal } from '../../src/models/alexnet-original.js';
import { createModel } from '../../src/models/registry.js';
import type { Conv2d } from '../../src/nn/index.js';
import { LocalResponseNorm } from '../../src/nn/index.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

test('LocalResponseNorm with groups is the plain layer on each group of channels, gradients included', () => {
  const x = Tensor.rand([2, 8, 3, 3], -2, 2, new Generator(1));
  x.requiresGrad = true;
  const y = new LocalResponseNorm(5, 1e-2, 0.75, 2, 2).call(x);
  const plain = new LocalResponseNorm(5, 1e-2, 0.75, 2);
  for (let n = 0; n < 2; n++) {
    for (let g = 0; g < 2; g++) {
      const offset = (n * 8 + g * 4) * 9;
      const part = new Tensor(x.data.slice(offset, offset + 36), [1, 4, 3, 3]);
      assert.deepEqual([...y.data.subarray(offset, offset + 36)], [...plain.call(part).data], `image ${n}, group ${g}`);
    }
  }
  y.backward(Tensor.ones(y.shape));
  assert.ok(x.grad?.data.every(Number.isFinite));
  assert.equal(new LocalResponseNorm(5, 1e-4, 0.75, 2, 2).toString(), 'LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=2, groups=2)');
  assert.throws(
    () => new LocalResponseNorm(5, 1e-4, 0.75, 2, 3).call(Tensor.zeros([1, 8, 2, 2])),
    /groups=3\): expected \[N, C, \.\.\.\] with C a multiple of 3, got \[1, 8, 2, 2\]/,
  );
});

test("the grouped model's towers meet only at conv3 and the classifier: tower B's conv1 filters leave tower A's conv2 maps as they were", () => {
  manualSeed(3);
  const model = createModel('alexnet-original-grouped', { numClasses: 10 }).eval() as AlexNetOriginal;
  const x = Tensor.rand([1, 3, 227, 227], 0, 1, new Generator(4));
  // Up to conv2's ReLU and LRN (net[0..6]); tower A is channels 0..127 there.
  const towerA = (): Float32Array => {
    let h = x;
    noGrad(() => {
      for (let i = 0; i <= 6; i++) h = model.net.at(i).call(h);
    });
    return h.data.slice(0, 128 * 27 * 27);
  };
  const before = towerA();
  const conv1 = model.net.at<Conv2d>(0);
  const perFilter = 3 * 11 * 11;
  for (let i = 48 * perFilter; i < 96 * perFilter; i++) conv1.weight.data[i] *= 3; // tower B's filters
  conv1.weight.markChanged();
  assert.deepEqual([...towerA()], [...before]);
});
