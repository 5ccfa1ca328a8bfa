/**
 * NaN and ±∞ through the native convolutions as torch's direct convolution
 * gives them: only the outputs whose window holds one become NaN or ±∞.
 * Winograd's transforms add and subtract neighbouring values first, so one
 * NaN pixel would make a whole tile NaN (and +∞ − ∞ a NaN); the native
 * backend takes the direct path for such inputs and weights (native/src/winograd_range.h),
 * and for values so large that Winograd's sums would overflow where the direct ones do not.
 * The js backend (direct sums, the reference) gives the expected pattern.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Conv2dGeometry } from '../../src/backend/backend.js';
import { loadNativeAddon } from '../../src/node/native/load.js';
import { Generator } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { closeEachElement, nonFiniteGeometries, poisoned, sameNonFinite, withHugeValue } from '../helpers/non-finite.js';
import { addon, convSizes, describeConv, forEachSimd, forEachSimdAsync, randomArray, reference, skipWithoutAddon } from './native-helpers.js';

const TOL = 1e-5;
const GEOMETRIES = nonFiniteGeometries();

function expectedForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array, relu: boolean): Float32Array {
  const out = new Float32Array(convSizes(g).out);
  reference.conv2dForward(g, x, w, bias, out, relu);
  return out;
}

type Checker = (actual: Float32Array, expected: Float32Array, what: string) => void;
/** Each output within 1e-4 of its own size (outputs next to a huge one included). */
const closeEach: Checker = (actual, expected, what) => closeEachElement(actual, expected, 1e-4, what);
/** Within TOL of the largest output (all-huge inputs: the sums cancel within rounding of 1e35-sized terms). */
const closeToLargest: Checker = (actual, expected, what) => {
  assert.ok(expected.every(Number.isFinite), `${what}: the reference is finite`);
  assertClose(actual, expected, TOL, what);
};

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

test("values Winograd would overflow on (one near float's maximum, or all near 1e37) run directly: outputs as the direct sums", {
  skip: skipWithoutAddon,
}, () => {
  const gen = new Generator(47);
  forEachSimd((level) => {
    for (const { g } of GEOMETRIES) {
      const s = convSizes(g);
      const bias = randomArray(g.outChannels, gen);
      const cases: [string, Float32Array, Float32Array, Checker][] = [
        ['one input value at 3e38', withHugeValue(randomArray(s.x, gen), 1, gen), randomArray(s.w, gen).map((v) => v * 0.01), closeEach],
        ['inputs of 1e37', randomArray(s.x, gen).map((v) => v * 1e37), randomArray(s.w, gen).map((v) => v * 0.01), closeToLargest],
        ['one weight at 3e38', randomArray(s.x, gen).map((v) => v * 0.01), withHugeValue(randomArray(s.w, gen), 1, gen), closeEach],
      ];
      for (const [name, x, w, close] of cases) {
        const expected = expectedForward(g, x, w, bias, false);
        const what = `${level} ${describeConv(g)}, ${name}`;
        const packed = addon().packConv2dWeight(g, w);
        const fromPacked = new Float32Array(expected.length);
        addon().conv2dForwardPacked(g, packed, x, bias, fromPacked, false);
        close(fromPacked, expected, `${what}, packed (${packed.algorithm})`);
        packed.dispose();
        const perCall = new Float32Array(expected.length);
        addon().conv2dForward(g, x, w, bias, perCall, false);
        close(perCall, expected, `${what}, per call`);
      }
      if (g.strideH !== 1) continue; // the strided layer's gradients never took Winograd
      const gradOut = withHugeValue(randomArray(s.out, gen), 1, gen);
      const w = randomArray(s.w, gen).map((v) => v * 0.01);
      const expectedIn = new Float32Array(s.x),
        actualIn = new Float32Array(s.x);
      reference.conv2dBackwardData(g, gradOut, w, expectedIn);
      addon().conv2dBackwardData(g, gradOut, w, actualIn);
      closeEach(actualIn, expectedIn, `${level} ${describeConv(g)} backward data, one gradient at 3e38`);
      const x = withHugeValue(randomArray(s.x, gen), 1, gen);
      const smallGradOut = randomArray(s.out, gen).map((v) => v * 0.01);
      const expectedW = new Float32Array(s.w),
        actualW = new Float32Array(s.w);
      reference.conv2dBackwardWeight(g, x, smallGradOut, expectedW, null);
      addon().conv2dBackwardWeight(g, x, smallGradOut, actualW, null);
      closeEach(actualW, expectedW, `${level} ${describeConv(g)} backward weight, one input at 3e38`);
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
    /the input holds a value outside this layer's Winograd range \(NaN, infinity, or a magnitude of 2\^40 or more, .*\); pass the weight/,
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
