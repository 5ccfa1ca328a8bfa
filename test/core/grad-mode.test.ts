/**
 * Grad mode across async calls, and prepared weights across storage swaps:
 * two overlapping noGradAsync scopes leave recording on once both ended
 * (each restoring what it saw at its start turned it off for good when they
 * ended in the order they began); a callAsync keeps the mode of its start
 * for all its layers; and Tensor.setStorage makes the layers prepare their
 * weights again (the new storage's version counter starts where a fresh
 * weight's does).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isGradEnabled, noGrad, noGradAsync } from '../../src/autograd/grad-mode.js';
import type { Backend } from '../../src/backend/backend.js';
import type { Precision } from '../../src/backend/precision.js';
import { referenceBackend, withBackend } from '../../src/backend/registry.js';
import { Conv2d, Flatten, Linear, ReLU, Sequential } from '../../src/nn/index.js';
import { nativeBackend } from '../../src/node/native/load.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

function pending(): { promise: Promise<void>; release: () => void } {
  let release = (): void => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

test('overlapping noGradAsync scopes: recording stays off until the last one ends, then is on again', async () => {
  const a = pending();
  const b = pending();
  const first = noGradAsync(() => a.promise);
  const second = noGradAsync(() => b.promise);
  assert.equal(isGradEnabled(), false);
  a.release();
  await first;
  assert.equal(isGradEnabled(), false, 'the second scope is still open');
  b.release();
  await second;
  assert.equal(isGradEnabled(), true, 'both ended');
  noGrad(() => assert.equal(isGradEnabled(), false));
  assert.equal(isGradEnabled(), true);
});

function smallNet(): Sequential {
  return new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new ReLU(), new Flatten(), new Linear(4 * 6 * 6, 5), new ReLU(), new Linear(5, 3));
}

test('a callAsync keeps the grad mode of its start for every layer, even once a synchronous noGrad has ended', async () => {
  const net = smallNet().eval();
  const x = Tensor.randn([2, 3, 6, 6], 0, 1, new Generator(1));
  const y = await noGrad(() => net.callAsync(x));
  assert.equal(y.gradFn, null, `the output recorded ${y.gradFn?.name}`);
  assert.equal(y.requiresGrad, false);
  assert.equal(isGradEnabled(), true);
  const recorded = await net.callAsync(x);
  assert.notEqual(recorded.gradFn, null, 'outside noGrad the call records');
});

const cases: [string, Backend, Precision][] = [
  ['js', referenceBackend(), 'fp32'],
  ['js', referenceBackend(), 'bf16'],
];
const native = nativeBackend({ warn: false });
if (native !== null) {
  cases.push(['native', native, 'fp32']);
  if (native.precisionSupport?.('bf16') === null) cases.push(['native', native, 'bf16']);
}

test('Tensor.setStorage on a weight: the next inference uses the new values (no stale packed or bf16 copy)', () => {
  for (const [name, backend, precision] of cases) {
    withBackend(backend, () => {
      const conv = new Conv2d(3, 4, 3).eval();
      const linear = new Linear(8, 4).eval();
      conv.setPrecision(precision);
      linear.setPrecision(precision);
      const x = Tensor.randn([1, 3, 5, 5], 0, 1, new Generator(2));
      const v = Tensor.randn([2, 8], 0, 1, new Generator(3));
      noGrad(() => [conv.call(x), linear.call(v)]); // prepares both weights
      conv.weight.setStorage(new Float32Array(conv.weight.numel));
      linear.weight.setStorage(new Float32Array(linear.weight.numel));
      const y = noGrad(() => conv.call(x));
      const z = noGrad(() => linear.call(v));
      const bias = (b: Tensor | null, i: number): number => b?.data[i] ?? 0;
      for (let i = 0; i < y.numel; i++) assert.equal(y.data[i], bias(conv.bias, Math.floor(i / 9)), `${name} ${precision}: conv output ${i}`);
      for (let i = 0; i < z.numel; i++) assert.equal(z.data[i], bias(linear.bias, i % 4), `${name} ${precision}: linear output ${i}`);
    });
  }
});
