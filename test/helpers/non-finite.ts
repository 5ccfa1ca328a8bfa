/**
 * Inputs with NaN and ±∞ for the convolution tests of every backend (native,
 * wasm): layers that the fast paths take by Winograd, and a check that the
 * non-finite outputs sit exactly where the reference (direct sums) puts them.
 */
import assert from 'node:assert/strict';

import type { Conv2dGeometry } from '../../src/backend/backend.js';
import type { Generator } from '../../src/tensor/random.js';
import { convGeometry } from './kernel-geometry.js';

/** Layers packed inference weights take by Winograd: 3×3, 5×5, and a strided one after space-to-depth (conv1's shape). */
export function nonFiniteGeometries(): { g: Conv2dGeometry; algorithm: RegExp }[] {
  return [
    { g: convGeometry({ batch: 2, inChannels: 16, inH: 10, inW: 10, outChannels: 16, kernel: 3, pad: 1 }), algorithm: /^Winograd F\(\d×\d, 3×3\)$/ },
    { g: convGeometry({ batch: 1, inChannels: 16, inH: 19, inW: 19, outChannels: 24, kernel: 5, pad: 2 }), algorithm: /^Winograd F\(\d×\d, 5×5\)$/ },
    { g: convGeometry({ batch: 1, inChannels: 3, inH: 63, inW: 63, outChannels: 16, kernel: 11, stride: 4, pad: 2 }), algorithm: /space-to-depth/ },
  ];
}

/**
 * `values` (laid out as g's input, [N, C, H, W]) with a NaN, a +∞ and a −∞ at
 * seeded positions of different images or channels, away from each other.
 */
export function poisoned(values: Float32Array, g: Pick<Conv2dGeometry, 'batch' | 'inChannels' | 'inH' | 'inW'>, gen: Generator): Float32Array {
  const x = values.slice();
  const plane = g.inH * g.inW;
  const poison = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  poison.forEach((value, i) => {
    const n = i % g.batch;
    const c = (i * 5) % g.inChannels;
    const y = Math.floor(((i + 1) * g.inH) / 4) + gen.int(2);
    const xPos = Math.floor(((3 - i) * g.inW) / 4) + gen.int(2);
    x[(n * g.inChannels + c) * plane + Math.min(y, g.inH - 1) * g.inW + Math.min(xPos, g.inW - 1)] = value;
  });
  return x;
}

/** Asserts that NaN, +∞ and −∞ sit at the same indices in both arrays, and that there are some. */
export function sameNonFinite(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const kind = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+∞' : v === -Infinity ? '−∞' : 'finite');
  let nonFinite = 0;
  for (let i = 0; i < expected.length; i++) {
    const want = kind(expected[i]);
    if (want !== 'finite') nonFinite++;
    const got = kind(actual[i]);
    if (got !== want) assert.fail(`${what}: index ${i} is ${got} (${actual[i]}), expected ${want} (${expected[i]})`);
  }
  assert.ok(nonFinite > 0, `${what}: the reference has no NaN or ∞ (the test would check nothing)`);
  assert.ok(nonFinite < expected.length / 2, `${what}: ${nonFinite} of ${expected.length} reference values are not finite`);
}

/** Close to float32's largest value (3.4e38): Winograd's sums of neighbouring values overflow on it, direct sums need not. */
export const NEAR_FLOAT_MAX = 3e38;

/** `values` times `scale`, with the middle value set to ±NEAR_FLOAT_MAX (sign drawn from `gen`). */
export function withHugeValue(values: Float32Array, scale: number, gen: Generator): Float32Array {
  const x = values.map((v) => v * scale);
  x[Math.floor(x.length / 2)] = gen.int(2) === 0 ? NEAR_FLOAT_MAX : -NEAR_FLOAT_MAX;
  return x;
}

/**
 * Asserts |actual − expected| ≤ tol · max(|expected|, 1) at every index, and that `expected` is finite and holds a
 * value above 1e30 (a case with huge values). A tolerance relative to the whole tensor's largest value would pass
 * outputs wrecked by their neighbour's huge value (−2.8e29 for −0.32 next to 1.7e37).
 */
export function closeEachElement(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  let largest = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    assert.ok(Number.isFinite(e), `${what}: reference value ${i} is ${e} (the case should stay finite)`);
    largest = Math.max(largest, Math.abs(e));
    if (!(Math.abs(actual[i] - e) <= tol * Math.max(Math.abs(e), 1))) assert.fail(`${what}: index ${i} is ${actual[i]}, expected ${e}`);
  }
  assert.ok(largest > 1e30, `${what}: the reference's largest value is ${largest} (the case has no huge values)`);
}
