/**
 * NaN and ±∞ through the native convolutions as torch's direct convolution
 * gives them: only the outputs whose window holds one become NaN or ±∞.
 * Winograd's transforms add and subtract neighbouring values first, so one
 * NaN pixel would make a whole tile NaN (and +∞ − ∞ a NaN); the native
 * backend takes the direct path for such inputs and weights (native/src/finite.h).
 * The js backend (direct sums, the reference) gives the expected pattern.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Conv2dGeometry } from '../../src/backend/backend.js';
import { loadNativeAddon } from '../../src/node/native/load.js';
import { Generator } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { nonFiniteGeometries, poisoned, sameNonFinite } from '../helpers/non-finite.js';
import { addon, convSizes, describeConv, forEachSimd, forEachSimdAsync, randomArray, reference, skipWithoutAddon } from './native-helpers.js';

const TOL = 1e-5;
const GEOMETRIES = nonFiniteGeometries();

function expectedForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array, relu: boolean): Float32Array {
  const out = new Float32Array(convSizes(g).out);
  reference.conv2dForward(g, x, w, bias, out, relu);
  return out;
}

function check(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  sameNonFinite(actual, expected, what);
  assertClose(actual, expected, tol, what);
}

test('a NaN or ∞ in the input stays in the outputs whose window holds it (packed and per-call weights)', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(40);
  forEachSimd((level) => {
    for (const { g, algorithm } of GEOMETRIES) {
      const x = poisoned(randomArray(convSizes(g).x, gen), g, gen);
      const w = randomArray(convSizes(g).w, gen);
      const bias = randomArray(g.outChannels, gen);
      for (const relu of [false, true]) {
        const expected = expectedForward(g, x, w, bias, relu);
        const what = `${level} ${describeConv(g)} relu${+relu}`;
        const perCall = new Float32Array(expected.length);
        addon().conv2dForward(g, x, w, bias, perCall, relu);
        check(perCall, expected, TOL, `${what}, weights packed per call`);
        const packed = addon().packConv2dWeight(g, w);
        assert.match(packed.algorithm, algorithm, `${what}: the layer packs for the algorithm under test`);
        const fromPacked = new Float32Array(expected.length);
        addon().conv2dForwardPacked(g, packed, x, bias, fromPacked, relu);
        check(fromPacked, expected, TOL, `${what}, packed (${packed.algorithm})`);
        packed.dispose();
      }
    }
  });
});

test('the async kernels take the same direct path', { skip: skipWithoutAddon }, async () => {
  const gen = new Generator(41);
  await forEachSimdAsync(async (level) => {
    for (const { g } of GEOMETRIES) {
      const x = poisoned(randomArray(convSizes(g).x, gen), g, gen);
      const w = randomArray(convSizes(g).w, gen);
      const bias = randomArray(g.outChannels, gen);
      const expected = expectedForward(g, x, w, bias, true);
      const packed = addon().packConv2dWeight(g, w);
      const actual = new Float32Array(expected.length);
      await addon().async.conv2dForwardPacked(g, packed, x, bias, actual, true);
      check(actual, expected, TOL, `${level} async ${describeConv(g)}`);
      packed.dispose();
    }
  });
});

test('finite inputs still take the Winograd filters, and packed weights stay usable after a non-finite input', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(42);
  for (const { g } of GEOMETRIES) {
    const w = randomArray(convSizes(g).w, gen);
    const packed = addon().packConv2dWeight(g, w);
    for (const poison of [false, true, false]) {
      const clean = randomArray(convSizes(g).x, gen);
      const x = poison ? poisoned(clean, g, gen) : clean;
      const expected = expectedForward(g, x, w, new Float32Array(g.outChannels), false);
      const actual = new Float32Array(expected.length);
      addon().conv2dForwardPacked(g, packed, x, null, actual, false);
      if (poison) check(actual, expected, TOL, `${describeConv(g)} poisoned input`);
      else assertClose(actual, expected, TOL, `${describeConv(g)} finite input`);
    }
    packed.dispose();
  }
});

test('a NaN in the weights makes its output channel NaN, and nothing else', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(43);
  for (const { g } of GEOMETRIES) {
    const x = randomArray(convSizes(g).x, gen);
    const w = randomArray(convSizes(g).w, gen);
    w[Math.floor(w.length / 2)] = Number.NaN; // one tap of one filter
    const bias = randomArray(g.outChannels, gen);
    const expected = expectedForward(g, x, w, bias, false);
    const packed = addon().packConv2dWeight(g, w);
    assert.match(packed.algorithm, /^direct/, `${describeConv(g)}: weights with a NaN pack for the direct path`);
    const fromPacked = new Float32Array(expected.length);
    addon().conv2dForwardPacked(g, packed, x, bias, fromPacked, false);
    check(fromPacked, expected, TOL, `${describeConv(g)} NaN weight, packed`);
    const perCall = new Float32Array(expected.length);
    addon().conv2dForward(g, x, w, bias, perCall, false);
    check(perCall, expected, TOL, `${describeConv(g)} NaN weight, per call`);
    packed.dispose();
  }
});

test('gradients: a NaN or ∞ in gradOut or the input stays where the direct sums put it', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(44);
  forEachSimd((level) => {
    for (const { g } of GEOMETRIES) {
      if (g.strideH !== 1) continue; // the strided layer's gradients never took Winograd
      const s = convSizes(g);
      const w = randomArray(s.w, gen);
      const gradOut = poisoned(randomArray(s.out, gen), { ...g, inChannels: g.outChannels, inH: g.outH, inW: g.outW }, gen);
      const expectedIn = new Float32Array(s.x),
        actualIn = new Float32Array(s.x);
      reference.conv2dBackwardData(g, gradOut, w, expectedIn);
      addon().conv2dBackwardData(g, gradOut, w, actualIn);
      check(actualIn, expectedIn, TOL, `${level} ${describeConv(g)} backward data`);

      const x = poisoned(randomArray(s.x, gen), g, gen);
      const cleanGradOut = randomArray(s.out, gen);
      const expectedW = new Float32Array(s.w),
        actualW = new Float32Array(s.w);
      reference.conv2dBackwardWeight(g, x, cleanGradOut, expectedW, null);
      addon().conv2dBackwardWeight(g, x, cleanGradOut, actualW, null);
      check(actualW, expectedW, TOL, `${level} ${describeConv(g)} backward weight`);
    }
  });
});

test('the raw addon refuses a non-finite input for Winograd filters without the weights, naming why', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(45);
  const { g } = GEOMETRIES[0];
  const w = randomArray(convSizes(g).w, gen);
  const packed = addon().packConv2dWeight(g, w);
  const x = poisoned(randomArray(convSizes(g).x, gen), g, gen);
  const raw = loadNativeAddon();
  assert.ok(raw !== null);
  assert.throws(
    () => raw.conv2dForwardPacked(g, packed.handle, x, null, new Float32Array(convSizes(g).out), false),
    /the input holds a NaN or infinity, which this layer's Winograd filters would spread over whole tiles; pass the weight/,
  );
  packed.dispose();
});

const bf16Levels = skipWithoutAddon === false ? addon().info().bf16Levels : [];

test('bf16 packings: the same non-finite outputs on every bf16 kernel set', { skip: bf16Levels.length === 0 ? 'this CPU has no bf16 kernels' : false }, () => {
  const gen = new Generator(46);
  const b = addon();
  try {
    for (const level of bf16Levels) {
      assert.equal(b.setBf16(level), level);
      for (const { g } of GEOMETRIES) {
        const x = poisoned(randomArray(convSizes(g).x, gen), g, gen);
        const w = randomArray(convSizes(g).w, gen);
        const expected = expectedForward(g, x, w, new Float32Array(g.outChannels), true);
        const packed = b.packConv2dWeight(g, w, 'bf16');
        const actual = new Float32Array(expected.length);
        b.conv2dForwardPacked(g, packed, x, null, actual, true);
        // bf16 products round their inputs to 8 significant bits.
        check(actual, expected, 2e-2, `${level} ${describeConv(g)} (${packed.algorithm})`);
        packed.dispose();
      }
    }
  } finally {
    b.setBf16(bf16Levels[bf16Levels.length - 1]);
  }
});
