/**
 * Inverted dropout, torch.nn.functional.dropout: in training each element is
 * zeroed with probability p and survivors are scaled by 1/(1−p), so eval
 * needs no rescaling. The mask comes from a seeded generator in the core, so
 * every backend drops the same elements.
 */
import { getBackend } from '../backend/registry.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { attachGrad, Tensor } from '../tensor/tensor.js';
import { takeBuffer } from '../tensor/buffer-pool.js';

export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: probability must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const mask = new Float32Array(x.data.length);
  if (p < 1) {
    // torch divides by (1 − p) as a float32 scalar, in float32: 1 / (1 − p) rounded from double is an ulp off for
    // about a fifth of p values (0.04: 1.0416666 instead of torch's 1.0416667).
    const keep = Math.fround(1 / Math.fround(1 - p));
    for (let i = 0; i < mask.length; i++) mask[i] = generator.uniform() < p ? 0 : keep;
  }
  const out = Tensor.empty(x.shape);
  getBackend().mul(x.data, mask, out.data);
  return attachGrad(out, 'DropoutBackward', [x], (gradOut, reusable) => {
    // Elementwise: in place when nothing else holds gradOut.
    const gradX = reusable ? gradOut : takeBuffer(gradOut.length);
    getBackend().mul(gradOut, mask, gradX);
    return [gradX];
  });
}
