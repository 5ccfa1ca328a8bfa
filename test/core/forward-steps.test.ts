/**
 * A model writes its forward once (forwardSteps, nn/forward-steps.ts) and it
 * serves both call() and callAsync(): the same outputs, gradients through the
 * synchronous run, and the heavy kernels through the backend's async kernels
 * when called asynchronously.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { noGrad } from '../../src/autograd/grad-mode.js';
import type { AsyncKernels, Backend } from '../../src/backend/backend.js';
import { getBackend, referenceBackend, setBackend } from '../../src/backend/registry.js';
import { Conv2d, type ForwardSteps, Linear, Module, ReLU, Sequential } from '../../src/nn/index.js';
import { add, relu } from '../../src/ops/index.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

/** Two branches joined by a sum, and a step only for batches above one: control flow a chain cannot express. */
class TwoBranch extends Module {
  readonly left = this.registerModule('left', new Sequential(new Conv2d(2, 4, 3, { padding: 1 }), new ReLU()));
  readonly right = this.registerModule('right', new Conv2d(2, 4, 1));
  readonly head = this.registerModule('head', new Linear(4 * 5 * 5, 3));

  protected override *forwardSteps(x: Tensor): ForwardSteps {
    const a = yield [this.left, x];
    const b = yield [this.right, x];
    let y = relu(add(a, b)).flatten(1);
    y = yield [this.head, y];
    return x.shape[0] > 1 ? relu(y) : y;
  }
}

test('forwardSteps serves call() and callAsync() with the same outputs', async () => {
  const model = new TwoBranch().eval();
  for (const batch of [1, 3]) {
    const x = Tensor.randn([batch, 2, 5, 5], 0, 1, new Generator(batch));
    const sync = noGrad(() => model.call(x));
    const asyncOut = await model.callAsync(x);
    assert.deepEqual(sync.shape, [batch, 3]);
    assert.deepEqual(asyncOut.data, sync.data);
  }
});

test('gradients flow through a forwardSteps model', () => {
  const model = new TwoBranch();
  const x = Tensor.randn([2, 2, 5, 5], 0, 1, new Generator(4));
  model
    .call(x)
    .flatten()
    .reshape([6])
    .backward(Tensor.full([6], 1));
  for (const [name, p] of model.namedParameters())
    assert.ok(
      p.grad?.data.some((v) => v !== 0),
      `${name} has a gradient`,
    );
});

test('callAsync reaches the backend async kernels; hooks see every submodule in both modes', async () => {
  const reference = referenceBackend();
  assert.equal(getBackend(), reference, 'the tests run on the js backend');
  let asyncCalls = 0;
  const asyncKernels: AsyncKernels = {
    conv2dForward: (...args) => {
      asyncCalls++;
      reference.conv2dForward(...args);
      return Promise.resolve();
    },
    linearForward: (...args) => {
      asyncCalls++;
      reference.linearForward(...args);
      return Promise.resolve();
    },
  };
  const counting: Backend = Object.assign(Object.create(reference) as Backend, { async: asyncKernels });
  const model = new TwoBranch().eval();
  const seen: string[] = [];
  for (const [name, m] of model.namedModules()) if (name !== '') m.registerForwardHook(() => seen.push(name));
  const x = Tensor.randn([1, 2, 5, 5]);
  // withBackend restores at the first await: set the backend for the whole async call instead.
  setBackend(counting);
  try {
    await model.callAsync(x);
  } finally {
    setBackend(reference);
  }
  assert.equal(asyncCalls, 3, 'two convolutions and the linear layer ran on the async kernels');
  const asyncSeen = [...seen];
  seen.length = 0;
  noGrad(() => model.call(x));
  assert.deepEqual(asyncSeen, seen);
  assert.deepEqual(seen, ['left.0', 'left.1', 'left', 'right', 'head']);
});

test('a module with neither forward() nor forwardSteps() says so', () => {
  class Empty extends Module {}
  assert.throws(() => new Empty().call(Tensor.zeros([1])), /Empty: implement forward\(\) or forwardSteps\(\)/);
});
