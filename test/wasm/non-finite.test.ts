/**
 * NaN and ±∞ through the wasm convolutions as through torch's direct one:
 * only the outputs whose window holds one become NaN or ±∞ (Winograd filters
 * decline such an input and the layer runs directly from its weights: see
 * test/native/non-finite.test.ts for the native backend).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { referenceBackend } from '../../src/backend/registry.js';
import { loadWasmBackend } from '../../src/node/wasm/load.js';
import { Generator } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { convSizes, describeConv, randomArray } from '../helpers/kernel-geometry.js';
import { nonFiniteGeometries, poisoned, sameNonFinite } from '../helpers/non-finite.js';

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
