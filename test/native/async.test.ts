/**
 * Async kernels: the work runs off the main thread, so timers keep firing
 * while a large convolution computes, and the results equal the sync ones.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MaxPool2d } from '../../src/nn/index.js';
import { maxPool2dGeometry } from '../../src/ops/max-pool2d.js';
import { noGradAsync } from '../../src/autograd/grad-mode.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Generator } from '../../src/tensor/random.js';
import { getBackend, setBackend } from '../../src/backend/registry.js';
import { addon, convGeometry, convSizes, forEachSimdAsync, randomArray, skipWithoutAddon } from './native-helpers.js';

test('the event loop keeps ticking while an async convolution runs', { skip: skipWithoutAddon }, async () => {
  const gen = new Generator(30);
  // AlexNet's conv2 on a growing batch until the work outlasts a few timer ticks.
  let ticksDuringWork = 0;
  for (let batch = 2; batch <= 64 && ticksDuringWork < 2; batch *= 2) {
    const g = convGeometry({ batch, inChannels: 64, inH: 27, inW: 27, outChannels: 192, kernel: 5, pad: 2 });
    const s = convSizes(g);
    const x = randomArray(s.x, gen),
      w = randomArray(s.w, gen),
      bias = randomArray(192, gen);
    const out = new Float32Array(s.out);
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 1);
    try {
      await addon().async.conv2dForward(g, x, w, bias, out, true);
    } finally {
      clearInterval(timer);
    }
    ticksDuringWork = ticks;
    const expected = new Float32Array(s.out);
    addon().conv2dForward(g, x, w, bias, expected, true);
    assert.deepEqual(out, expected, `async result equals the sync one (batch ${batch})`);
  }
  assert.ok(ticksDuringWork >= 2, `timers fired ${ticksDuringWork} times during the async convolution`);
});

test('async linear and packed async convolution equal their sync versions on every SIMD path', { skip: skipWithoutAddon }, async () => {
  const gen = new Generator(31);
  await forEachSimdAsync(async (level) => {
    const x = randomArray(3 * 500, gen),
      w = randomArray(70 * 500, gen),
      bias = randomArray(70, gen);
    const out = new Float32Array(3 * 70),
      expected = new Float32Array(3 * 70);
    await addon().async.linearForward(3, 500, 70, x, w, bias, out, false);
    addon().linearForward(3, 500, 70, x, w, bias, expected, false);
    assert.deepEqual(out, expected, `${level} async linear`);

    const g = convGeometry({ batch: 2, inChannels: 24, inH: 13, inW: 13, outChannels: 40, kernel: 3, pad: 1 });
    const s = convSizes(g);
    const cx = randomArray(s.x, gen),
      cw = randomArray(s.w, gen);
    const packed = addon().packConv2dWeight(g, cw);
    const pending = addon().async.conv2dForwardPacked(g, packed, cx, null, new Float32Array(s.out), false);
    // Disposing while the job runs is safe: the job keeps the packed data alive.
    packed.dispose();
    await pending;
    const a = new Float32Array(s.out),
      b = new Float32Array(s.out);
    const packed2 = addon().packConv2dWeight(g, cw);
    await addon().async.conv2dForwardPacked(g, packed2, cx, null, a, false);
    addon().conv2dForwardPacked(g, packed2, cx, null, b, false);
    assert.deepEqual(a, b, `${level} async packed conv`);
  });
});

test('async max pooling equals the sync kernel, and MaxPool2d.callAsync uses it in inference only', { skip: skipWithoutAddon }, async () => {
  const gen = new Generator(32);
  // AlexNet's first pool at batch 4, and a ceil-mode pool with padding and dilation on odd sizes.
  for (const [shape, kernel, options] of [
    [[4, 64, 55, 55], 3, { stride: 2 }],
    [[2, 5, 17, 12], 3, { stride: 2, padding: 1, dilation: 2, ceilMode: true }],
  ] as const) {
    const g = maxPool2dGeometry(shape, kernel, options);
    const x = randomArray(g.batch * g.channels * g.inH * g.inW, gen);
    const out = new Float32Array(g.batch * g.channels * g.outH * g.outW);
    const expected = new Float32Array(out.length);
    await addon().async.maxPool2dForward(g, x, out);
    addon().maxPool2dForward(g, x, expected, null);
    assert.deepEqual(out, expected, `async pool ${shape.join('×')}`);
  }
  const previous = getBackend();
  setBackend(addon());
  try {
    const pool = new MaxPool2d(3, { stride: 2 });
    const x = new Tensor(randomArray(2 * 8 * 13 * 13, gen), [2, 8, 13, 13]);
    const inference = await noGradAsync(() => pool.callAsync(x));
    assert.deepEqual(inference.data, pool.call(x).data);
    // With a graph recorded, the sync kernel runs and keeps the indices backward needs.
    const leaf = new Tensor(x.data.slice(), x.shape, { requiresGrad: true });
    const trained = await pool.callAsync(leaf);
    assert.equal(trained.gradFn?.name, 'MaxPool2dBackward');
    assert.deepEqual(trained.data, inference.data);
  } finally {
    setBackend(previous);
  }
});

test('async kernels validate their arguments synchronously', { skip: skipWithoutAddon }, () => {
  const g = convGeometry({ batch: 1, inChannels: 2, inH: 4, inW: 4, outChannels: 3, kernel: 3 });
  assert.throws(
    () => addon().async.conv2dForward(g, new Float32Array(5), new Float32Array(54), null, new Float32Array(12), false),
    /conv2dForwardAsync: x has 5 elements, expected 32/,
  );
  assert.throws(
    () => addon().async.linearForward(1, 4, 2, new Float32Array(4), new Float32Array(8), null, new Float32Array(3), false),
    /linearForwardAsync: out has 3 elements, expected 2/,
  );
  assert.throws(
    () => addon().async.maxPool2dForward(maxPool2dGeometry([1, 2, 5, 5], 3), new Float32Array(49), new Float32Array(2)),
    /maxPool2dForwardAsync: x has 49 elements, expected 50/,
  );
});
