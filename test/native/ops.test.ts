/**
 * The non-GEMM kernels of the native backend against the js reference:
 * elementwise arithmetic, ReLU, LRN, pooling, log-softmax and SGD. Exact
 * where the arithmetic is a single IEEE operation (and for argmax and ReLU),
 * 1e-5 relative elsewhere.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { LrnGeometry, SgdHyper } from '../../src/backend/backend.js';
import { Generator } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { addon, forEachSimd, poolGeometry, randomArray, reference, skipWithoutAddon } from './native-helpers.js';

const TOL = 1e-5;
// Sizes below and above the addon's parallel threshold, not multiples of any vector width.
const LENGTHS = [0, 1, 7, 1000, 300_001];

test('add, sub, mul and div are bit-identical to the reference', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(20);
  for (const n of LENGTHS) {
    const a = randomArray(n, gen),
      b = randomArray(n, gen);
    for (const op of ['add', 'sub', 'mul', 'div'] as const) {
      const expected = new Float32Array(n),
        actual = new Float32Array(n);
      reference[op](a, b, expected);
      addon()[op](a, b, actual);
      assert.deepEqual(actual, expected, `${op} n=${n}`);
    }
  }
});

test('scale, axpy and sum match the reference', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(21);
  for (const n of LENGTHS) {
    const a = randomArray(n, gen),
      y = randomArray(n, gen);
    const expected = new Float32Array(n),
      actual = new Float32Array(n);
    reference.scale(a, 0.37, expected);
    addon().scale(a, 0.37, actual);
    assertClose(actual, expected, TOL, `scale n=${n}`);
    const yExpected = y.slice(),
      yActual = y.slice();
    reference.axpy(-1.5, a, yExpected);
    addon().axpy(-1.5, a, yActual);
    assertClose(yActual, yExpected, TOL, `axpy n=${n}`);
    const s = addon().sum(a),
      r = reference.sum(a);
    assert.ok(Math.abs(s - r) <= 1e-9 * Math.max(1, Math.abs(r)), `sum n=${n}: ${s} vs ${r}`);
  }
});

test('ReLU forward and backward are exact, keeping NaN and −0 as torch does', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(22);
  const special = new Float32Array([NaN, -0, 0, -1e-30, 1e-30, -Infinity, Infinity, -2, 3]);
  for (const x of [special, randomArray(300_001, gen)]) {
    const expected = new Float32Array(x.length),
      actual = new Float32Array(x.length);
    reference.reluForward(x, expected);
    // torch.relu(−0.0) is −0.0 (checked with torch 1.13); the js reference gives +0 there.
    for (let i = 0; i < x.length; i++) if (Object.is(x[i], -0)) expected[i] = -0;
    addon().reluForward(x, actual);
    assert.deepEqual(actual, expected, 'relu forward');
    const gradOut = randomArray(x.length, gen);
    const gExpected = new Float32Array(x.length),
      gActual = new Float32Array(x.length);
    reference.reluBackward(gradOut, expected, gExpected);
    addon().reluBackward(gradOut, expected, gActual);
    assert.deepEqual(gActual, gExpected, 'relu backward');
  }
  const out = new Float32Array(special.length);
  addon().reluForward(special, out);
  assert.ok(Number.isNaN(out[0]) && Object.is(out[1], -0) && out[3] === 0 && out[5] === 0, 'NaN and −0 kept, negatives zeroed');
});

test('LRN forward and backward match the reference (odd and even sizes, edge channels)', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(23);
  const cases: LrnGeometry[] = [
    { batch: 2, channels: 7, spatial: 13, size: 5, alpha: 1e-4, beta: 0.75, k: 2 },
    { batch: 1, channels: 3, spatial: 1, size: 4, alpha: 0.5, beta: 0.5, k: 1 },
    { batch: 2, channels: 16, spatial: 50, size: 2, alpha: 2e-3, beta: 1.2, k: 0.5 },
    { batch: 1, channels: 5, spatial: 9, size: 11, alpha: 1, beta: 0.75, k: 1 },
  ];
  for (const g of cases) {
    const n = g.batch * g.channels * g.spatial;
    const x = randomArray(n, gen),
      gradOut = randomArray(n, gen);
    const out = [new Float32Array(n), new Float32Array(n)],
      scale = [new Float32Array(n), new Float32Array(n)];
    reference.lrnForward(g, x, out[0], scale[0]);
    addon().lrnForward(g, x, out[1], scale[1]);
    assertClose(out[1], out[0], TOL, `lrn forward ${JSON.stringify(g)}`);
    assertClose(scale[1], scale[0], TOL, `lrn scale ${JSON.stringify(g)}`);
    const gradIn = [new Float32Array(n), new Float32Array(n)];
    reference.lrnBackward(g, x, out[0], scale[0], gradOut, gradIn[0]);
    addon().lrnBackward(g, x, out[0], scale[0], gradOut, gradIn[1]);
    assertClose(gradIn[1], gradIn[0], TOL, `lrn backward ${JSON.stringify(g)}`);
  }
});

test('max pooling: values (with and without argmax) and argmax exactly as the reference, NaN and ties included', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(24);
  const geometries = [
    poolGeometry({ batch: 2, channels: 3, inH: 55, inW: 55, kernel: 3, stride: 2 }),
    poolGeometry({ batch: 1, channels: 2, inH: 13, inW: 13, kernel: 3, stride: 2 }),
    poolGeometry({ batch: 1, channels: 4, inH: 7, inW: 9, kernel: 2, stride: 3, pad: 1 }),
    poolGeometry({ batch: 2, channels: 2, inH: 10, inW: 10, kernel: 3, stride: 2, pad: 1, dilation: 2 }),
    poolGeometry({ batch: 1, channels: 3, inH: 8, inW: 8, kernel: 3, stride: 2, ceilMode: true }),
    // 3×3 stride 2 with padding, and with padding and ceil_mode: the inference kernel's stride-2 path.
    poolGeometry({ batch: 1, channels: 2, inH: 27, inW: 27, kernel: 3, stride: 2, pad: 1 }),
    poolGeometry({ batch: 1, channels: 2, inH: 14, inW: 17, kernel: 3, stride: 2, pad: 1, ceilMode: true }),
    poolGeometry({ batch: 1, channels: 1, inH: 1, inW: 1, kernel: 1, stride: 1 }),
    poolGeometry({ batch: 1, channels: 2, inH: 9, inW: 40, kernel: 3, stride: 1, pad: 1 }),
    poolGeometry({ batch: 1, channels: 2, inH: 12, inW: 37, kernel: 4, stride: 3, pad: 2, ceilMode: true }),
    // Windows inside the plane (the inference kernel's two-pass path): even and odd sizes, rows longer than
    // a vector, a single window, 2×2 at stride 2, and ceil_mode whose last window still fits.
    poolGeometry({ batch: 1, channels: 3, inH: 12, inW: 70, kernel: 3, stride: 2 }),
    poolGeometry({ batch: 1, channels: 2, inH: 3, inW: 3, kernel: 3, stride: 2 }),
    poolGeometry({ batch: 1, channels: 3, inH: 8, inW: 9, kernel: 2, stride: 2 }),
    poolGeometry({ batch: 1, channels: 2, inH: 7, inW: 7, kernel: 3, stride: 2, ceilMode: true }),
  ];
  forEachSimd((level) =>
    geometries.forEach((g) => {
      const inSize = g.batch * g.channels * g.inH * g.inW,
        outSize = g.batch * g.channels * g.outH * g.outW;
      // Few distinct values make ties common; sprinkle NaNs.
      const x = new Float32Array(inSize);
      for (let i = 0; i < inSize; i++) x[i] = gen.int(5) - 2;
      for (let i = 0; i < inSize; i += 17) x[i] = NaN;
      const out = [new Float32Array(outSize), new Float32Array(outSize)];
      const argmax = [new Int32Array(outSize), new Int32Array(outSize)];
      reference.maxPool2dForward(g, x, out[0], argmax[0]);
      addon().maxPool2dForward(g, x, out[1], argmax[1]);
      assert.deepEqual(out[1], out[0], `${level} max pool values ${JSON.stringify(g)}`);
      assert.deepEqual(argmax[1], argmax[0], `${level} max pool argmax ${JSON.stringify(g)}`);
      // Inference (no argmax) takes the two-pass kernel where the windows stay inside the plane and the
      // separable one elsewhere: the same values.
      const valuesOnly = new Float32Array(outSize).fill(7);
      addon().maxPool2dForward(g, x, valuesOnly, null);
      assert.deepEqual(valuesOnly, out[0], `${level} max pool values without argmax ${JSON.stringify(g)}`);
      const gradOut = randomArray(outSize, gen);
      const gradIn = [new Float32Array(inSize), new Float32Array(inSize).fill(5)];
      reference.maxPool2dBackward(g, gradOut, argmax[0], gradIn[0]);
      addon().maxPool2dBackward(g, gradOut, argmax[0], gradIn[1]);
      assertClose(gradIn[1], gradIn[0], TOL, `max pool backward ${JSON.stringify(g)}`);
    }),
  );
});

test('adaptive average pooling matches the reference (shrinking, identity, growing)', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(25);
  const cases: [number, number, number, number, number][] = [
    [6, 6, 6, 6, 6],
    [3, 13, 13, 6, 6],
    [2, 5, 7, 3, 2],
    [2, 2, 3, 5, 7],
    [4, 1, 1, 6, 6],
  ];
  for (const [planes, inH, inW, outH, outW] of cases) {
    const x = randomArray(planes * inH * inW, gen);
    const out = [new Float32Array(planes * outH * outW), new Float32Array(planes * outH * outW)];
    reference.adaptiveAvgPool2dForward(planes, inH, inW, outH, outW, x, out[0]);
    addon().adaptiveAvgPool2dForward(planes, inH, inW, outH, outW, x, out[1]);
    assertClose(out[1], out[0], TOL, `adaptive forward ${[planes, inH, inW, outH, outW]}`);
    const gradOut = randomArray(planes * outH * outW, gen);
    const gradIn = [new Float32Array(planes * inH * inW), new Float32Array(planes * inH * inW).fill(1)];
    reference.adaptiveAvgPool2dBackward(planes, inH, inW, outH, outW, gradOut, gradIn[0]);
    addon().adaptiveAvgPool2dBackward(planes, inH, inW, outH, outW, gradOut, gradIn[1]);
    assertClose(gradIn[1], gradIn[0], TOL, `adaptive backward ${[planes, inH, inW, outH, outW]}`);
  }
});

test('log-softmax forward and backward match the reference', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(26);
  for (const [rows, cols] of [
    [1, 1],
    [3, 10],
    [32, 1000],
    [5, 3],
  ] as const) {
    const x = randomArray(rows * cols, gen).map((v) => v * 30);
    const out = [new Float32Array(rows * cols), new Float32Array(rows * cols)];
    reference.logSoftmaxForward(rows, cols, x, out[0]);
    addon().logSoftmaxForward(rows, cols, x, out[1]);
    assertClose(out[1], out[0], TOL, `log-softmax forward ${rows}x${cols}`);
    const gradOut = randomArray(rows * cols, gen);
    const gradIn = [new Float32Array(rows * cols), new Float32Array(rows * cols)];
    reference.logSoftmaxBackward(rows, cols, gradOut, out[0], gradIn[0]);
    addon().logSoftmaxBackward(rows, cols, gradOut, out[0], gradIn[1]);
    assertClose(gradIn[1], gradIn[0], TOL, `log-softmax backward ${rows}x${cols}`);
  }
});

test('SGD steps match the reference (every combination of momentum, first step, Nesterov, weight decay)', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(27);
  // The kernel compiles one loop per combination of the four options: each is run.
  const hypers: SgdHyper[] = [];
  for (const weightDecay of [0, 5e-4])
    for (const momentum of [0, 0.9])
      for (const firstStep of [false, true])
        for (const nesterov of [false, true])
          hypers.push({ lr: 0.05, momentum, dampening: momentum === 0 || nesterov ? 0 : 0.1, weightDecay, nesterov, firstStep });
  for (const n of [5, 300_001]) {
    for (const h of hypers) {
      const param = randomArray(n, gen),
        grad = randomArray(n, gen),
        buffer = randomArray(n, gen);
      // Without weight decay an infinite weight stays infinite (no 0 · ∞ = NaN term).
      param[n - 1] = Number.POSITIVE_INFINITY;
      const p = [param.slice(), param.slice()],
        b = [buffer.slice(), buffer.slice()];
      reference.sgdStep(h, p[0], grad, h.momentum === 0 ? null : b[0]);
      addon().sgdStep(h, p[1], grad, h.momentum === 0 ? null : b[1]);
      const label = JSON.stringify(h);
      assertClose(p[1].subarray(0, n - 1), p[0].subarray(0, n - 1), TOL, `sgd param ${label}`);
      assertClose(b[1].subarray(0, n - 1), b[0].subarray(0, n - 1), TOL, `sgd momentum buffer ${label}`);
      assert.equal(p[1][n - 1], p[0][n - 1], `sgd infinite weight ${label}`);
      if (h.weightDecay === 0) assert.equal(p[1][n - 1], Number.POSITIVE_INFINITY, `sgd infinite weight ${label}`);
    }
  }
  assert.throws(
    () => addon().sgdStep(hypers.find((h) => h.momentum !== 0) as SgdHyper, new Float32Array(2), new Float32Array(2), null),
    /momentumBuffer is required/,
  );
});
