/**
 * Convolution kernels of the native backend against the js reference on every
 * SIMD path: the direct (implicit im2col) and Winograd forward paths, packed
 * weights, and both gradients, over shapes chosen to hit the edge cases.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Conv2dGeometry } from '../../src/backend/backend.js';
import { Generator } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { CONV_TEST_GEOMETRIES as GEOMETRIES } from '../helpers/kernel-geometry.js';
import { addon, convGeometry, convSizes, describeConv, forEachSimd, randomArray, reference, skipWithoutAddon } from './native-helpers.js';

const TOL = 1e-5;

function randomConv(g: Conv2dGeometry, gen: Generator): { x: Float32Array; w: Float32Array; bias: Float32Array } {
  const s = convSizes(g);
  return { x: randomArray(s.x, gen), w: randomArray(s.w, gen), bias: randomArray(g.outChannels, gen) };
}

test('conv2dForward matches the reference (bias, fused ReLU) on every geometry', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(10);
  forEachSimd((level) => {
    for (const g of GEOMETRIES) {
      const { x, w, bias } = randomConv(g, gen);
      const size = convSizes(g).out;
      for (const [b, relu] of [
        [null, false],
        [bias, false],
        [bias, true],
      ] as const) {
        const expected = new Float32Array(size),
          actual = new Float32Array(size);
        reference.conv2dForward(g, x, w, b, expected, relu);
        addon().conv2dForward(g, x, w, b, actual, relu);
        assertClose(actual, expected, TOL, `${level} conv forward ${describeConv(g)} bias${+(b !== null)} relu${+relu}`);
      }
    }
  });
});

// Packed (inference) weights may take another algorithm than per-call packing
// (Winograd F(4, 3) rather than F(2, 3) for 3×3 layers), so they agree to the
// tolerance, not bit for bit.
test('packed weights give the same output as unpacked ones', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(11);
  forEachSimd((level) => {
    for (const g of GEOMETRIES) {
      const { x, w, bias } = randomConv(g, gen);
      const size = convSizes(g).out;
      const packed = addon().packConv2dWeight(g, w);
      const plain = new Float32Array(size),
        fromPacked = new Float32Array(size);
      addon().conv2dForward(g, x, w, bias, plain, true);
      addon().conv2dForwardPacked(g, packed, x, bias, fromPacked, true);
      assertClose(fromPacked, plain, TOL, `${level} packed ${describeConv(g)}`);
      // The same handle serves another batch size and spatial size.
      const other = { ...g, batch: g.batch + 1 };
      const x2 = randomArray(convSizes(other).x, gen);
      const expected = new Float32Array(convSizes(other).out),
        actual = new Float32Array(convSizes(other).out);
      reference.conv2dForward(other, x2, w, bias, expected, false);
      addon().conv2dForwardPacked(other, packed, x2, bias, actual, false);
      assertClose(actual, expected, TOL, `${level} packed, other batch ${describeConv(other)}`);
      packed.dispose();
    }
  });
});

test('packed handles check the layer shape and refuse use after dispose', { skip: skipWithoutAddon }, () => {
  const g = convGeometry({ batch: 1, inChannels: 4, inH: 5, inW: 5, outChannels: 6, kernel: 3 });
  const s = convSizes(g);
  const packed = addon().packConv2dWeight(g, new Float32Array(s.w));
  const wrong = convGeometry({ batch: 1, inChannels: 4, inH: 5, inW: 5, outChannels: 7, kernel: 3 });
  assert.throws(
    () => addon().conv2dForwardPacked(wrong, packed, new Float32Array(s.x), null, new Float32Array(convSizes(wrong).out), false),
    /packed weight was made for another layer shape/,
  );
  packed.dispose();
  assert.throws(() => addon().conv2dForwardPacked(g, packed, new Float32Array(s.x), null, new Float32Array(s.out), false), /disposed/);
  assert.throws(
    () => addon().conv2dForward({ ...g, outH: 4 }, new Float32Array(s.x), new Float32Array(s.w), null, new Float32Array(s.out), false),
    /invalid conv geometry: output size 4x3 does not match the geometry \(expected 3x3\)/,
  );
});

test('conv2dBackwardData matches the reference on every geometry', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(12);
  forEachSimd((level) => {
    for (const g of GEOMETRIES) {
      const s = convSizes(g);
      const gradOut = randomArray(s.out, gen),
        w = randomArray(s.w, gen);
      const expected = new Float32Array(s.x),
        actual = new Float32Array(s.x).fill(7);
      reference.conv2dBackwardData(g, gradOut, w, expected);
      addon().conv2dBackwardData(g, gradOut, w, actual);
      assertClose(actual, expected, TOL, `${level} conv backward data ${describeConv(g)}`);
    }
  });
});

test('conv2dBackwardWeight matches the reference (weight and bias gradients)', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(13);
  forEachSimd((level) => {
    for (const g of GEOMETRIES) {
      const s = convSizes(g);
      const x = randomArray(s.x, gen),
        gradOut = randomArray(s.out, gen);
      const expectedW = new Float32Array(s.w),
        expectedB = new Float32Array(g.outChannels);
      reference.conv2dBackwardWeight(g, x, gradOut, expectedW, expectedB);
      const actualW = new Float32Array(s.w).fill(3),
        actualB = new Float32Array(g.outChannels).fill(3);
      addon().conv2dBackwardWeight(g, x, gradOut, actualW, actualB);
      assertClose(actualW, expectedW, TOL, `${level} conv backward weight ${describeConv(g)}`);
      assertClose(actualB, expectedB, TOL, `${level} conv backward bias ${describeConv(g)}`);
      const onlyW = new Float32Array(s.w);
      addon().conv2dBackwardWeight(g, x, gradOut, onlyW, null);
      assertClose(onlyW, expectedW, TOL, `${level} conv backward weight without bias ${describeConv(g)}`);
    }
  });
});

test('the inputs of the convolution kernels are left untouched', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(14);
  const g = GEOMETRIES[2];
  const s = convSizes(g);
  const x = randomArray(s.x, gen),
    w = randomArray(s.w, gen),
    bias = randomArray(g.outChannels, gen),
    gradOut = randomArray(s.out, gen);
  const copies = [x.slice(), w.slice(), bias.slice(), gradOut.slice()];
  addon().conv2dForward(g, x, w, bias, new Float32Array(s.out), true);
  addon().conv2dBackwardData(g, gradOut, w, new Float32Array(s.x));
  addon().conv2dBackwardWeight(g, x, gradOut, new Float32Array(s.w), new Float32Array(g.outChannels));
  assert.deepEqual([x, w, bias, gradOut], copies);
});
