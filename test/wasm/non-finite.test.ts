/**
 * NaN and ±∞ through the wasm convolutions as through torch's direct one:
 * only the outputs whose window holds one become NaN or ±∞ (Winograd filters
 * decline such an input and the layer runs directly from its weights: see
 * test/native/non-finite.test.ts for the native backend); likewise values so large that Winograd's sums
 * would overflow.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { referenceBackend } from '../../src/backend/registry.js';
import { loadWasmBackend } from '../../src/node/wasm/load.js';
import { Generator } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { convSizes, describeConv, randomArray } from '../helpers/kernel-geometry.js';
import { closeEachElement, nonFiniteGeometries, poisoned, sameNonFinite, withHugeValue } from '../helpers/non-finite.js';

const wasm = await loadWasmBackend();
const reference = referenceBackend();
const TOL = 1e-5;

test('wasm: a NaN or ∞ in the input stays in the outputs whose window holds it, packed or not', () => {
  const gen = new Generator(50);
  for (const { g } of nonFiniteGeometries()) {
    const s = convSizes(g);
    const x = poisoned(randomArray(s.x, gen), g, gen);
    const w = randomArray(s.w, gen);
    const bias = randomArray(g.outChannels, gen);
    const expected = new Float32Array(s.out);
    reference.conv2dForward(g, x, w, bias, expected, true);
    const packed = wasm.packConv2dWeight(g, w);
    assert.match(packed.algorithm ?? '', /Winograd/, `${describeConv(g)}: the layer packs for Winograd`);
    for (const [what, run] of [
      ['packed', (out: Float32Array) => wasm.conv2dForwardPacked(g, packed, x, bias, out, true)],
      ['per call', (out: Float32Array) => wasm.conv2dForward(g, x, w, bias, out, true)],
    ] as const) {
      const actual = new Float32Array(s.out);
      run(actual);
      sameNonFinite(actual, expected, `wasm ${what} ${describeConv(g)}`);
      assertClose(actual, expected, TOL, `wasm ${what} ${describeConv(g)}`);
    }
    // The packing still serves finite inputs afterwards.
    const clean = randomArray(s.x, gen);
    reference.conv2dForward(g, clean, w, bias, expected, true);
    const actual = new Float32Array(s.out);
    wasm.conv2dForwardPacked(g, packed, clean, bias, actual, true);
    assertClose(actual, expected, TOL, `wasm packed ${describeConv(g)}, finite input after a poisoned one`);
    packed.dispose();
  }
});

test("wasm: a value Winograd would overflow on (near float's maximum) runs directly, each output as the direct sums", () => {
  const gen = new Generator(51);
  for (const { g } of nonFiniteGeometries()) {
    const s = convSizes(g);
    const bias = randomArray(g.outChannels, gen);
    for (const [name, x, w] of [
      ['one input value at 3e38', withHugeValue(randomArray(s.x, gen), 1, gen), randomArray(s.w, gen).map((v) => v * 0.01)],
      ['one weight at 3e38', randomArray(s.x, gen).map((v) => v * 0.01), withHugeValue(randomArray(s.w, gen), 1, gen)],
    ] as const) {
      const expected = new Float32Array(s.out);
      reference.conv2dForward(g, x, w, bias, expected, false);
      const packed = wasm.packConv2dWeight(g, w);
      const actual = new Float32Array(s.out);
      wasm.conv2dForwardPacked(g, packed, x, bias, actual, false);
      closeEachElement(actual, expected, 1e-4, `wasm packed ${describeConv(g)}, ${name} (${packed.algorithm})`);
      packed.dispose();
      wasm.conv2dForward(g, x, w, bias, actual, false);
      closeEachElement(actual, expected, 1e-4, `wasm per call ${describeConv(g)}, ${name}`);
    }
  }
});
