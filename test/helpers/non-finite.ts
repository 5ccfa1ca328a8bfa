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
