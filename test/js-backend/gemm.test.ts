import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gemm } from '../../src/backend/js/gemm.js';
import { Generator } from '../../src/tensor/random.js';

function random(n: number, generator: Generator): Float32Array {
  return Float32Array.from({ length: n }, () => generator.uniformRange(-1, 1));
}

/** C = op(A)·op(B) (+ C) by the definition, in float64. */
function naiveGemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  accumulate: boolean,
): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = accumulate ? C[i * N + j] : 0;
      for (let k = 0; k < K; k++) s += (transA ? A[k * M + i] : A[i * K + k]) * (transB ? B[j * K + k] : B[k * N + j]);
      out[i * N + j] = s;
    }
  }
  return out;
}

/** max |a − b| / max |b|: float32 products of depth K stay well under 1e-5 of the largest value. */
function maxRelativeError(actual: Float32Array, expected: Float64Array): number {
  let diff = 0,
    scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

test('gemm matches the definition for every transpose, edge tile and block boundary', () => {
  const generator = new Generator(7);
  // M < 4 takes the unpacked path; 5, 13 and 130 leave partial 4×4 tiles; K 257 and 600 cross the
  // 256-deep depth block; N 2050 needs two column blocks.
  const shapes: [number, number, number][] = [
    [1, 7, 5],
    [2, 9, 33],
    [3, 4, 17],
    [4, 4, 1],
    [5, 13, 257],
    [13, 5, 600],
    [130, 33, 64],
    [8, 2050, 3],
    [6, 1, 300],
  ];
  let worst = 0;
  for (const [M, N, K] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          const A = random(M * K, generator),
            B = random(K * N, generator),
            C = random(M * N, generator);
          const expected = naiveGemm(transA, transB, M, N, K, A, B, C, accumulate);
          gemm(transA, transB, M, N, K, A, B, C, accumulate);
          const error = maxRelativeError(C, expected);
          assert.ok(error < 1e-6, `M=${M} N=${N} K=${K} transA=${transA} transB=${transB} accumulate=${accumulate}: error ${error}`);
          worst = Math.max(worst, error);
        }
      }
    }
  }
  assert.ok(worst > 0, 'the comparison saw float32 rounding (it really compared)');
});

test('gemm writes only the M×N prefix of C and handles empty products', () => {
  const C = new Float32Array(10).fill(5);
  gemm(false, false, 2, 3, 0, new Float32Array(0), new Float32Array(0), C, false);
  assert.deepEqual([...C], [0, 0, 0, 0, 0, 0, 5, 5, 5, 5]);
  const D = new Float32Array(4).fill(3);
  gemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), D, true);
  assert.deepEqual([...D], [3, 3, 3, 3]);
});

test('gemm propagates NaN and infinity like a plain loop (no zero skipping)', () => {
  // M = 2 takes the unpacked path, M = 8 the packed one.
  for (const M of [2, 8]) {
    const K = 3,
      N = 5;
    const A = new Float32Array(M * K).fill(1);
    const B = new Float32Array(K * N);
    A[0] = NaN; // row 0, depth 0: NaN · 0 must still give NaN across row 0
    A[(M - 1) * K] = 0; // last row, depth 0 meets B[0, 1] = ∞: 0 · ∞ = NaN
    B[1] = Infinity;
    const C = new Float32Array(M * N);
    gemm(false, false, M, N, K, A, B, C, false);
    assert.ok(Number.isNaN(C[0]) && Number.isNaN(C[2]), `M=${M}: NaN in A reaches its whole row`);
    assert.ok(Number.isNaN(C[(M - 1) * N + 1]), `M=${M}: 0 · ∞ gives NaN`);
    assert.equal(C[(M - 1) * N + 2], 0, `M=${M}: ordinary entries stay finite`);
  }
});

test('gemm results do not depend on what ran before (the packing scratch is reused)', () => {
  const generator = new Generator(3);
  const A = random(20 * 30, generator),
    B = random(30 * 40, generator);
  const first = new Float32Array(20 * 40);
  gemm(false, false, 20, 40, 30, A, B, first, false);
  // A larger product grows the scratch, a transposed one fills it differently.
  gemm(true, true, 300, 300, 300, random(300 * 300, generator), random(300 * 300, generator), new Float32Array(300 * 300), false);
  const again = new Float32Array(20 * 40);
  gemm(false, false, 20, 40, 30, A, B, again, false);
  assert.deepEqual(again, first);
});
