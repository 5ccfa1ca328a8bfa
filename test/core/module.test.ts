import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { Conv2d, Linear, ReLU, Sequential } from '../../src/nn/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { createModel } from '../../src/models/registry.js';

test('Sequential is indexable like PyTorch and names children 0..n-1', () => {
  const net = new Sequential(new Conv2d(3, 8, 3), new ReLU(), new Linear(4, 2));
  assert.ok(net[0] instanceof Conv2d);
  assert.ok(net[2] instanceof Linear);
  assert.equal(net[3], undefined);
  assert.equal(net.length, 3);
  assert.deepEqual([...net.stateDict().keys()], ['0.weight', '0.bias', '2.weight', '2.bias']);
  assert.throws(() => net.at(5), /index 5 is out of range for 3 layers/);
});

test('train() and eval() reach every descendant', () => {
  const model = createModel('alexnet');
  model.eval();
  assert.ok([...model.namedModules()].every(([, m]) => !m.training));
  model.train();
  assert.ok([...model.namedModules()].every(([, m]) => m.training));
});

test('fused Conv2d+ReLU in inference equals the unfused layers', () => {
  const net = new Sequential(new Conv2d(2, 4, 3, { padding: 1 }), new ReLU());
  const x = Tensor.randn([1, 2, 5, 5]);
  const unfused = net.call(x);
  const fused = noGrad(() => net.call(x));
  assert.deepEqual(fused.data, unfused.data);
  assert.ok(unfused.data.some((v) => v === 0) && unfused.data.some((v) => v > 0));
});

test('forward hooks see every call and can be removed', () => {
  const layer = new ReLU();
  const seen: number[][] = [];
  const remove = layer.registerForwardHook((_m, _x, y) => seen.push([...y.shape]));
  layer.call(Tensor.zeros([2, 3]));
  remove();
  layer.call(Tensor.zeros([2, 3]));
  assert.deepEqual(seen, [[2, 3]]);
});

test('models reject inputs they cannot take, naming the minimum', () => {
  const alexnet = createModel('alexnet');
  assert.throws(() => noGrad(() => alexnet.call(Tensor.zeros([1, 3, 62, 62]))), /alexnet: input 62×62 is too small, the minimum is 63×63/);
  assert.throws(() => noGrad(() => alexnet.call(Tensor.zeros([1, 1, 224, 224]))), /expected input \[N, 3, H, W\]/);
  const original = createModel('alexnet-original');
  assert.throws(() => noGrad(() => original.call(Tensor.zeros([1, 3, 224, 224]))), /alexnet-original: input 224×224 is too small, the minimum is 227×227/);
  assert.throws(() => createModel('vgg16'), /unknown model 'vgg16': expected one of alexnet, alexnet-original, alexnet-original-grouped/);
});

test('layer errors say which layer and what it expected', () => {
  const conv = new Conv2d(3, 64, 11, { stride: 4, padding: 2 });
  assert.throws(() => conv.call(Tensor.zeros([1, 1, 224, 224])), {
    message: 'Conv2d(3→64, k=11, s=4, p=2): expected input [N, 3, H, W] or [3, H, W], got [1, 1, 224, 224]',
  });
});

test('callAsync gives the same logits as call', async () => {
  const model = createModel('alexnet', { numClasses: 10 }).eval();
  const x = Tensor.randn([1, 3, 63, 63]);
  const sync = noGrad(() => model.call(x));
  const asyncOut = await model.callAsync(x);
  assert.deepEqual(asyncOut.shape, [1, 10]);
  assert.deepEqual(asyncOut.data, sync.data);
});

test('a layer registered twice (tied weights) is one set of parameters, as in PyTorch', async () => {
  const { SGD } = await import('../../src/optim/sgd.js');
  const { sum } = await import('../../src/ops/arithmetic.js');
  const shared = new Linear(4, 4);
  const net = new Sequential(shared, new ReLU(), shared);
  // torch: named_parameters() and parameters() give each tensor once; state_dict() keeps every key.
  assert.deepEqual(
    [...net.namedParameters()].map(([name]) => name),
    ['0.weight', '0.bias'],
  );
  assert.equal(net.numParameters(), 20);
  assert.deepEqual([...net.stateDict().keys()], ['0.weight', '0.bias', '2.weight', '2.bias']);
  assert.deepEqual(
    [...net.namedModules()].map(([name]) => name),
    ['', '0', '1'],
  );
  // One group, each parameter once: the optimizer builds and steps the shared weight once per step.
  const optimizer = new SGD(net.parameters(), { lr: 0.5 });
  const before = shared.weight.data.slice();
  const out = net.call(Tensor.ones([1, 4]));
  sum(out).backward();
  const grad = shared.weight.grad!.data.slice();
  assert.ok(grad.some((g) => g !== 0));
  optimizer.step();
  for (const [i, w] of shared.weight.data.entries()) assert.ok(Math.abs(w - (before[i] - 0.5 * grad[i])) < 1e-6, `weight ${i} stepped once`);
});
