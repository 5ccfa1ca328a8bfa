import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as F from '../../src/ops/index.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { Tensor } from '../../src/tensor/tensor.js';

test('leaves take fresh gradient buffers without copying, but never share one', () => {
  const x = Tensor.from([1, 2, 3], [3], { requiresGrad: true });
  const y = Tensor.from([4, 5, 6], [3], { requiresGrad: true });
  // add() hands the same buffer to both inputs: neither may own it.
  F.sum(F.add(F.mul(x, y), F.add(x, y))).backward();
  assert.deepEqual([...x.grad!.data], [5, 6, 7]);
  assert.deepEqual([...y.grad!.data], [2, 3, 4]);
  assert.notEqual(x.grad!.data, y.grad!.data);
  // A second backward accumulates into the adopted buffers.
  F.sum(F.add(x, y)).backward();
  assert.deepEqual([...x.grad!.data], [6, 7, 8]);
  assert.deepEqual([...y.grad!.data], [3, 4, 5]);
});

test('a gradient passed through unchanged is not adopted by two leaves', () => {
  const a = Tensor.from([1, 2], [2], { requiresGrad: true });
  const b = Tensor.from([3, 4], [2], { requiresGrad: true });
  const loss = F.sum(F.add(a.reshape([2, 1]).reshape([2]), b));
  loss.backward();
  a.grad!.data[0] = 100;
  assert.deepEqual([...b.grad!.data], [1, 1]);
});

test('a fused ReLU refuses to cut a graph being recorded, and runs under noGrad', () => {
  const x = Tensor.from([1, -2, 3, -4], [1, 4]);
  const w = Tensor.from([1, 0, 0, 0, 0, 1, 0, 0], [2, 4], { requiresGrad: true });
  assert.throws(() => F.linear(x, w, null, { fuseRelu: true, label: 'Linear(4→2)' }), /Linear\(4→2\): fuseRelu has no backward pass/);
  const y = noGrad(() => F.linear(x, w, null, { fuseRelu: true }));
  assert.deepEqual([...y.data], [1, 0]);
  const cw = Tensor.from([1, 1, 1, 1], [1, 1, 2, 2], { requiresGrad: true });
  assert.throws(() => F.conv2d(Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]), cw, null, { fuseRelu: true }), /conv2d: fuseRelu has no backward pass/);
});
