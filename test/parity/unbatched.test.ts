/**
 * Unbatched inputs, as torch 1.13 takes them: Conv2d, MaxPool2d and AvgPool2d
 * run [C, H, W] as a batch of one and answer [C', H', W'], forward and
 * backward, synchronously and through callAsync, on every backend here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBackend, setBackend } from '../../src/backend/registry.js';
import { AvgPool2d, Conv2d, MaxPool2d, ReLU, Sequential } from '../../src/nn/index.js';
import * as F from '../../src/ops/index.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { availableBackends } from '../helpers/backends.js';

for (const [name, backend] of (await availableBackends()).backends) {
  test(`[${name}] Conv2d, MaxPool2d and AvgPool2d take [C, H, W] and give what a batch of one gives, gradients included`, async () => {
    const previous = getBackend();
    setBackend(backend);
    try {
      manualSeed(5);
      const net = new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new AvgPool2d(2, { padding: 1 }));
      const data = Tensor.rand([3, 8, 8], -1, 1, new Generator(6)).data;
      const single = new Tensor(data.slice(), [3, 8, 8], { requiresGrad: true });
      const batch = new Tensor(data.slice(), [1, 3, 8, 8], { requiresGrad: true });
      const y = net.call(single);
      const yb = net.call(batch);
      assert.deepEqual(y.shape, [4, 3, 3]);
      assert.deepEqual([...y.data], [...yb.data]);
      F.sum(y).backward();
      F.sum(yb).backward();
      assert.deepEqual(single.grad!.shape, [3, 8, 8]);
      assert.deepEqual([...single.grad!.data], [...batch.grad!.data]);
      net.eval();
      const inference = await net.callAsync(new Tensor(data.slice(), [3, 8, 8]));
      assert.deepEqual(inference.shape, [4, 3, 3]);
      assert.deepEqual([...inference.data], [...net.call(new Tensor(data.slice(), [1, 3, 8, 8])).data]);
    } finally {
      setBackend(previous);
    }
  });
}
