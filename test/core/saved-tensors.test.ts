/**
 * PyTorch's check of saved variables: a tensor an op's backward reads (a
 * Linear's input and weight, ReLU's output) that is changed in place between
 * the forward pass and backward() makes backward throw, naming the op; one
 * the backward does not read (an addend) may change, as in PyTorch.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Conv2d, Linear } from '../../src/nn/index.js';
import { add, mul, relu, sum } from '../../src/ops/index.js';
import { SGD } from '../../src/optim/index.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

const input = (shape: number[], seed: number): Tensor => Tensor.randn(shape, 0, 1, new Generator(seed));

function leaf(shape: number[], seed: number): Tensor {
  const t = input(shape, seed);
  t.requiresGrad = true;
  return t;
}

test('an optimizer step on a weight between forward and backward makes backward throw, naming the op', () => {
  const stepped = (inputNeedsGrad: boolean): Tensor => {
    const layer = new Linear(4, 3);
    const optimizer = new SGD(layer.parameters(), { lr: 0.1 });
    const loss = sum(layer.call(inputNeedsGrad ? leaf([2, 4], 1) : input([2, 4], 1)));
    // Gradients from an earlier step, so that this step changes the weight.
    for (const p of layer.parameters()) p.grad = Tensor.ones(p.shape);
    optimizer.step();
    return loss;
  };
  // A first layer (its input needs no gradient) never reads its weight in backward: torch lets it change, so here too.
  stepped(false).backward();
  assert.throws(
    () => stepped(true).backward(),
    /backward\(\): a tensor of shape \[3, 4\] that LinearBackward needs for the gradient was changed in place after the forward pass \(its version is \d+, the forward pass saw \d+: an optimizer step/,
  );
});

test("markChanged() on an op's saved output, or new storage for a saved weight, makes backward throw", () => {
  const x = leaf([5], 2);
  const y = relu(x);
  const loss = sum(y);
  y.markChanged();
  assert.throws(() => loss.backward(), /that ReluBackward needs for the gradient was changed in place/);

  const conv = new Conv2d(1, 2, 3);
  const out = sum(conv.call(input([1, 1, 5, 5], 3)));
  conv.weight.setStorage(new Float32Array(conv.weight.data.length));
  assert.throws(() => out.backward(), /a tensor of shape \[2, 1, 3, 3\] that Conv2dBackward needs for the gradient was given new storage/);
});

test('a tensor the backward does not read may change, and forward → backward → step loops train as before', () => {
  const a = leaf([3], 4);
  const b = leaf([3], 5);
  const loss = sum(add(a, b));
  a.markChanged();
  loss.backward();
  assert.deepEqual([...(a.grad?.data ?? [])], [1, 1, 1]);

  // mul reads a factor only for the other one's gradient.
  const w = leaf([3], 7);
  const constant = input([3], 8);
  const product = sum(mul(constant, w));
  w.markChanged();
  product.backward();
  assert.deepEqual([...(w.grad?.data ?? [])], [...constant.data]);
  const both = sum(mul(leaf([3], 9), w));
  w.markChanged();
  assert.throws(() => both.backward(), /that MulBackward needs for the gradient was changed in place/);

  const layer = new Linear(4, 2);
  const optimizer = new SGD(layer.parameters(), { lr: 0.1, momentum: 0.9 });
  const x = input([3, 4], 6);
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    optimizer.zeroGrad();
    const l = sum(relu(layer.call(x)));
    l.backward();
    optimizer.step();
    losses.push(l.item());
  }
  assert.ok(losses[2] < losses[0], `the loss goes down: ${losses.join(', ')}`);
});
