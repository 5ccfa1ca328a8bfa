/**
 * The arithmetic precision of inference.
 *
 * - `fp32`: everything in float32, as PyTorch computes it (the default).
 * - `bf16`: opt-in, for inference: convolution and linear weights are converted
 *   once to bfloat16, activations are rounded to bfloat16 where they enter a
 *   matrix product, products are accumulated in float32, and everything else
 *   (bias, ReLU, pooling, LRN, softmax) stays float32. Backends with bf16
 *   instructions run it natively (the native backend on CPUs with AVX512-BF16);
 *   the js backend emulates it exactly (rounding, then float32 arithmetic) as
 *   the reference. Two differences, both on the native backend's Winograd
 *   layers (stride 1, at least 16 channels per group): it runs 3×3 layers as
 *   Winograd F(2×2, 3×3), whose matrix products take the transformed input
 *   tiles and filters, so those are what it rounds (about twice the error of
 *   rounding the input itself); and it keeps 5×5 layers in fp32 Winograd, which
 *   is about twice as fast as their direct bf16 product and has no rounding
 *   error (a 5×5 transform in bf16 would amplify it ~7×), as it does strided
 *   layers that it computes by Winograd after space-to-depth (conv1). See
 *   bench/BF16-ACCURACY.md for the model-level effect.
 */
export type Precision = 'fp32' | 'bf16';

export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16'];

/** Parses a precision name, with a message naming what was expected. */
export function parsePrecision(value: string, what = 'precision'): Precision {
  if (value === 'fp32' || value === 'bf16') return value;
  throw new Error(`${what} must be one of ${PRECISIONS.join(', ')}, got '${value}'`);
}
