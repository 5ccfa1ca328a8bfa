/** Differentiable local response normalization over channels (dim 1), torch.nn.functional.local_response_norm. */
import type { LrnGeometry } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { numel, shapeToString } from '../tensor/shape.js';
import { attachGrad, needsGrad, Tensor } from '../tensor/tensor.js';
import { takeBuffer } from '../tensor/buffer-pool.js';

export interface LrnOptions {
  alpha?: number;
  beta?: number;
  k?: number;
  label?: string;
}

export function localResponseNorm(x: Tensor, size: number, options: LrnOptions = {}): Tensor {
  const label = options.label ?? 'local_response_norm';
  if (x.ndim < 3) throw new Error(`${label}: expected input [N, C, ...] with 3 or more dimensions, got ${shapeToString(x.shape)}`);
  if (!Number.isInteger(size) || size < 1) throw new Error(`${label}: size must be a positive integer, got ${size}`);
  const g: LrnGeometry = {
    batch: x.shape[0],
    channels: x.shape[1],
    spatial: numel(x.shape.slice(2)),
    size,
    alpha: options.alpha ?? 1e-4,
    beta: options.beta ?? 0.75,
    k: options.k ?? 1,
  };
  const out = Tensor.empty(x.shape);
  // The scale is kept for the backward pass only: inference skips it.
  const scale = needsGrad([x]) ? new Float32Array(x.data.length) : null;
  getBackend().lrnForward(g, x.data, out.data, scale);
  if (scale === null) return out;
  return attachGrad(
    out,
    'LocalResponseNormBackward',
    [x],
    (gradOut) => {
      const gradX = takeBuffer(gradOut.length);
      getBackend().lrnBackward(g, x.data, out.data, scale, gradOut, gradX);
      return [gradX];
    },
    [x, out],
  );
}
