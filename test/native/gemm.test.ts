/** GEMM and linear layer of the native backend against the js reference, on every SIMD path. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Generator } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { addon, forEachSimd, randomArray, reference, skipWithoutAddon } from './native-helpers.js';

const TOL = 1e-5;

// [M, N, K]: tile-size multiples and not, single rows/columns, K = 1, a deep K, thin K over a wide C.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 5],
  [3, 1, 9],
  [5, 17, 1],
  [8, 48, 16],
  [9, 49, 17],
  [13, 31, 64],
  [16, 100, 33],
  [47, 65, 300],
  [64, 97, 257],
  [1, 37, 9216],
  [2, 19, 9216],
  [33, 20, 40],
  [6, 16, 513],
  // Thin products over wide C (a weight gradient, K = batch): column chunks as wide as the packing budget allows.
  [40, 3001, 24],
  [70, 2500, 3],
];

test('gemm matches the reference for every transpose, accumulate and shape', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(1);
  forEachSimd((level) => {
    for (const [M, N, K] of SHAPES) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const accumulate of [false, true]) {
            const A = randomArray(M * K, gen),
              B = randomArray(K * N, gen);
            const C0 = randomArray(M * N, gen);
            const expected = C0.slice();
            reference.gemm(transA, transB, M, N, K, A, B, expected, accumulate);
            const actual = C0.slice();
            addon().gemm(transA, transB, M, N, K, A, B, actual, accumulate);
            assertClose(actual, expected, TOL, `${level} gemm M${M} N${N} K${K} tA${+transA} tB${+transB} acc${+accumulate}`);
          }
        }
      }
    }
  });
});

test('gemm with K = 0 writes zeros, or leaves C when accumulating', { skip: skipWithoutAddon }, () => {
  const C = new Float32Array([1, 2, 3, 4, 5, 6]);
  addon().gemm(false, false, 2, 3, 0, new Float32Array(0), new Float32Array(0), C, true);
  assert.deepEqual([...C], [1, 2, 3, 4, 5, 6]);
  addon().gemm(false, false, 2, 3, 0, new Float32Array(0), new Float32Array(0), C, false);
  assert.deepEqual([...C], [0, 0, 0, 0, 0, 0]);
});

test('gemm reads subarray views at their offset and writes only C', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(2);
  const buffer = randomArray(400, gen);
  const A = buffer.subarray(3, 3 + 6 * 5),
    B = buffer.subarray(101, 101 + 5 * 7);
  const before = buffer.slice();
  const C = new Float32Array(6 * 7),
    expected = new Float32Array(6 * 7);
  addon().gemm(false, false, 6, 7, 5, A, B, C, false);
  reference.gemm(false, false, 6, 7, 5, A, B, expected, false);
  assertClose(C, expected, TOL, 'gemm on views');
  assert.deepEqual(buffer, before, 'inputs unchanged');
});

test('large products (streaming stores from the first 64-byte line of C on) match the reference at any offset of C', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(4);
  // C of 4 M floats (16 MB, where the stores stream), at offsets that start its rows at different points of a line.
  const M = 1024,
    N = 4096,
    K = 3;
  const A = randomArray(M * K, gen),
    B = randomArray(K * N, gen);
  const expected = new Float32Array(M * N);
  reference.gemm(false, false, M, N, K, A, B, expected, false);
  const x = randomArray(M * 5, gen),
    w = randomArray(N * 5, gen),
    bias = randomArray(N, gen);
  const expectedLinear = new Float32Array(M * N);
  reference.linearForward(M, 5, N, x, w, bias, expectedLinear, true);
  forEachSimd((level) => {
    for (const offset of [0, 1, 4, 12]) {
      const buffer = new Float32Array(M * N + 16).fill(7);
      const C = buffer.subarray(offset, offset + M * N);
      addon().gemm(false, false, M, N, K, A, B, C, false);
      assertClose(C, expected, TOL, `${level} gemm M${M} N${N} K${K} at offset ${offset}`);
      assert.ok(
        buffer.subarray(0, offset).every((v) => v === 7) && buffer.subarray(offset + M * N).every((v) => v === 7),
        `${level} gemm at offset ${offset} writes only C`,
      );
      // A linear layer's product (B transposed) with its bias per column and ReLU: the bias follows the columns.
      addon().linearForward(M, 5, N, x, w, bias, C, true);
      assertClose(C, expectedLinear, TOL, `${level} linear B${M} in5 out${N} at offset ${offset}`);
    }
  });
});

test('linearForward matches the reference with bias and fused ReLU', { skip: skipWithoutAddon }, () => {
  const gen = new Generator(3);
  // [batch, in, out]: batch 1 (dot path), small batches (transposed-output path), wide and narrow layers.
  const shapes: [number, number, number][] = [
    [1, 9216, 40],
    [1, 5, 3],
    [2, 300, 70],
    [4, 17, 33],
    [32, 513, 100],
    [7, 64, 1],
    [50, 30, 20],
  ];
  forEachSimd((level) => {
    for (const [batch, inF, outF] of shapes) {
      for (const withBias of [false, true]) {
        for (const fuseRelu of [false, true]) {
          const x = randomArray(batch * inF, gen),
            w = randomArray(outF * inF, gen);
          const bias = withBias ? randomArray(outF, gen) : null;
          const expected = new Float32Array(batch * outF),
            actual = new Float32Array(batch * outF);
          reference.linearForward(batch, inF, outF, x, w, bias, expected, fuseRelu);
          addon().linearForward(batch, inF, outF, x, w, bias, actual, fuseRelu);
          assertClose(actual, expected, TOL, `${level} linear B${batch} in${inF} out${outF} bias${+withBias} relu${+fuseRelu}`);
          if (fuseRelu)
            assert.ok(
              actual.every((v) => v >= 0),
              `${level} fused ReLU leaves no negatives`,
            );
        }
      }
    }
  });
});

test('gemm rejects arrays of the wrong size with a message naming them', { skip: skipWithoutAddon }, () => {
  assert.throws(
    () => addon().gemm(false, false, 2, 2, 2, new Float32Array(3), new Float32Array(4), new Float32Array(4), false),
    /gemm: A has 3 elements, expected 4/,
  );
  assert.throws(
    () => addon().gemm(false, false, 2, 2, 2, new Float32Array(4), new Float64Array(4) as unknown as Float32Array, new Float32Array(4), false),
    /B must be a Float32Array/,
  );
});
