/**
 * The activation and gradient buffer pool (src/tensor/buffer-pool.ts): what
 * Sequential and the training step hand back is reused, what anyone may still
 * reference is not, and reuse never changes a result.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import { Dropout } from '../../src/nn/layers/dropout.js';
import { MaxPool2d } from '../../src/nn/layers/max-pool2d.js';
import { ReLU } from '../../src/nn/layers/relu.js';
import type { Module } from '../../src/nn/module.js';
import { Sequential } from '../../src/nn/sequential.js';
import { SGD } from '../../src/optim/sgd.js';
import { bufferPoolStats, clearBufferPool, recycleBuffer, takeBuffer, takeZeroedBuffer } from '../../src/tensor/buffer-pool.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { graphTensors } from '../helpers/autograd-graph.js';
import { sum } from '../../src/ops/arithmetic.js';
import { crossEntropy } from '../../src/ops/loss.js';

/** A net whose intermediate activations are large enough to be pooled (≥ 64 Ki floats). */
function net(): Sequential {
  manualSeed(3);
  return new Sequential(new Conv2d(3, 8, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Conv2d(8, 8, 3, { padding: 1 }), new ReLU());
}

test('takeZeroedBuffer hands back a recycled array zero-filled, and only one of the same length', () => {
  clearBufferPool();
  const a = new Float32Array(100_000).fill(7);
  recycleBuffer(a);
  const b = takeZeroedBuffer(100_000);
  assert.equal(b, a);
  assert.ok(b.every((v) => v === 0));
  assert.notEqual(takeZeroedBuffer(100_000), a, 'taken twice');
  recycleBuffer(new Float32Array(100_000));
  assert.equal(takeZeroedBuffer(100_001).length, 100_001);
  assert.equal(bufferPoolStats().arrays, 1, 'another length does not take it');
  // Views, small arrays and an array already in the pool are never pooled.
  clearBufferPool();
  const big = new Float32Array(200_000);
  recycleBuffer(big.subarray(0, 100_000));
  recycleBuffer(new Float32Array(10));
  recycleBuffer(a);
  recycleBuffer(a);
  assert.deepEqual(bufferPoolStats(), { arrays: 1, bytes: 400_000 });
  clearBufferPool();
});

test('Sequential inference recycles its intermediates and gives the same outputs pass after pass', () => {
  clearBufferPool();
  const model = net().eval();
  const x = Tensor.randn([2, 3, 64, 64]);
  const first = noGrad(() => model.call(x));
  const firstData = Float32Array.from(first.data);
  // The conv1 output (2·8·64·64 floats) was handed back once the max pool had consumed it,
  // and the pool's output (2·8·32·32) once conv2 had.
  assert.deepEqual(bufferPoolStats(), { arrays: 2, bytes: (2 * 8 * 64 * 64 + 2 * 8 * 32 * 32) * 4 });
  const second = noGrad(() => model.call(x));
  assert.deepEqual(second.data, firstData);
  // The returned output and the caller's input are never recycled.
  assert.notEqual(second.data, first.data);
  assert.deepEqual(first.data, firstData);
  assert.ok(x.data.some((v) => v !== 0));
  clearBufferPool();
});

test('a forward hook that keeps an activation keeps it intact', () => {
  clearBufferPool();
  const model = net().eval();
  const kept: Tensor[] = [];
  (model.at(0) as Module).registerForwardHook((_m, _input, output) => kept.push(output));
  const x = Tensor.randn([2, 3, 64, 64]);
  noGrad(() => model.call(x));
  const snapshot = Float32Array.from(kept[0].data);
  noGrad(() => model.call(Tensor.randn([2, 3, 64, 64])));
  assert.deepEqual(kept[0].data, snapshot, 'the hooked output was overwritten by a later pass');
  clearBufferPool();
});

test('training with recycled gradients matches training without', () => {
  const run = (recycle: boolean): Float32Array => {
    clearBufferPool();
    const model = net().train();
    const head = new Conv2d(8, 4, 32);
    const optimizer = new SGD([...model.parameters(), ...head.parameters()], { lr: 0.01, momentum: 0.9 });
    manualSeed(5);
    const x = Tensor.randn([2, 3, 64, 64]);
    for (let step = 0; step < 3; step++) {
      optimizer.zeroGrad({ recycle });
      const logits = head.call(model.call(x)).reshape([2, 4]);
      crossEntropy(logits, Int32Array.from([1, 3])).backward();
      optimizer.step();
    }
    return Float32Array.from(model.at<Conv2d>(0).weight.data);
  };
  assert.deepEqual(run(true), run(false));
});

test('an activation a hook saw stays intact when a pass-through layer hands it on', () => {
  clearBufferPool();
  manualSeed(4);
  // Dropout in eval mode returns its input itself: the conv output it passes on is what the hook kept.
  const model = new Sequential(new Conv2d(3, 8, 3, { padding: 1 }), new Dropout(0.5), new MaxPool2d(2)).eval();
  const kept: Tensor[] = [];
  model.at(0).registerForwardHook((_m, _input, output) => kept.push(output));
  noGrad(() => model.call(Tensor.randn([2, 3, 64, 64])));
  const snapshot = Float32Array.from(kept[0].data);
  noGrad(() => model.call(Tensor.randn([2, 3, 64, 64])));
  assert.deepEqual(kept[0].data, snapshot);
  clearBufferPool();
});

test("training recycles the chain's intermediate activations after backward, never the returned output", () => {
  clearBufferPool();
  const model = net().train();
  const y = model.call(Tensor.randn([2, 3, 64, 64]));
  const graph = graphTensors(y);
  const marked = graph.filter((t) => t.releaseAfterBackward);
  // conv1, relu1 and pool outputs and conv2's (its ReLU's output is the chain's own output).
  assert.equal(marked.length, 4);
  assert.equal(y.releaseAfterBackward, false);
  const yData = Float32Array.from(y.data);
  sum(y).backward();
  // Both 65,536-float activations (conv1, ReLU in place shares it, pool is 16,384) are among the pooled arrays.
  const pooled = Array.from({ length: 4 }, () => takeBuffer(65536));
  for (const t of marked.filter((m) => m.data.length === 65536)) {
    assert.ok(pooled.includes(t.data), 'a conv1 or ReLU activation went back to the pool');
  }
  assert.deepEqual(y.data, yData, 'the returned output is intact');
  clearBufferPool();
});
