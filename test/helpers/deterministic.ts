/**
 * Deterministic model weights and inputs, the same formula as
 * tools/gen_parity_fixtures.py (hash_uniform / deterministic_scale), so that
 * whole-model fixtures need not store 61M weights. Tensor k (parameters count
 * from 1 in state_dict order; the input is k = 0) gets
 *   h = fmix32((i + k·0x9E3779B9) mod 2³²),  u = (h >>> 8) / 2²⁴ · 2 − 1 ∈ [−1, 1),
 *   w[i] = float32(scale · u),  scale = √(6 / fan_in) for weights, 0.1 for biases.
 * Integer arithmetic makes both languages produce the same bits.
 */
import type { Module } from '../../src/nn/module.js';
import { numel, type Shape } from '../../src/tensor/shape.js';
import { fmix32 } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

/** Fills `out` with scale · u_i for the stream k. */
export function fillHashUniform(out: Float32Array, k: number, scale: number): Float32Array {
  const offset = Math.imul(k, 0x9e3779b9);
  for (let i = 0; i < out.length; i++) {
    const u = ((fmix32((i + offset) >>> 0) >>> 8) / 16777216) * 2 - 1;
    out[i] = scale * u;
  }
  return out;
}

/** √(6 / fan_in) for a weight (≥ 2 dims, fan_in = product of all but the first), 0.1 for a bias. */
export function deterministicScale(shape: Shape): number {
  return shape.length >= 2 ? Math.sqrt(6 / numel(shape.slice(1))) : 0.1;
}

export function deterministicTensor(shape: Shape, k: number, scale: number): Tensor {
  return new Tensor(fillHashUniform(new Float32Array(numel(shape)), k, scale), shape);
}

/** Overwrites every parameter and buffer of `module` (state_dict order, k from 1). */
export function fillDeterministic(module: Module): void {
  let k = 1;
  for (const [, t] of module.stateDict()) fillHashUniform(t.data, k++, deterministicScale(t.shape));
}

/** The model input of the whole-model fixtures: k = 0, scale 1. */
export function deterministicInput(shape: Shape): Tensor {
  return deterministicTensor(shape, 0, 1);
}

/** ⌊j·n / count⌋ for j < count (all indices when n ≤ count): the fixture's gradient samples. */
export function evenlySpacedIndices(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, j) => Math.floor((j * n) / count));
}

/** Sum in float64, as numpy's t.double().sum() (up to summation order). */
export function sum64(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i];
  return s;
}

export function norm64(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return Math.sqrt(s);
}
