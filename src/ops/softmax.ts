/** Differentiable (log-)softmax over the last dimension. */
import { getBackend } from '../backend/registry.js';
import { normalizeDim, shapeToString } from '../tensor/shape.js';
import { attachGrad, Tensor } from '../tensor/tensor.js';
import { takeZeroedBuffer } from '../tensor/buffer-pool.js';

function lastDimOnly(x: Tensor, dim: number, name: string): number {
  if (x.ndim === 0) throw new Error(`${name}: expected at least one dimension, got a scalar`);
  if (normalizeDim(dim, x.ndim) !== x.ndim - 1) {
    throw new Error(`${name}: only the last dimension is supported (dim=-1), got dim=${dim} for shape ${shapeToString(x.shape)}`);
  }
  return x.shape[x.ndim - 1];
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  const cols = lastDimOnly(x, dim, 'log_softmax');
  const rows = x.data.length / cols;
  const out = Tensor.zeros(x.shape);
  getBackend().logSoftmaxForward(rows, cols, x.data, out.data);
  return attachGrad(out, 'LogSoftmaxBackward', [x], (gradOut) => {
    const gradX = takeZeroedBuffer(gradOut.length);
    getBackend().logSoftmaxBackward(rows, cols, gradOut, out.data, gradX);
    return [gradX];
  });
}

/** softmax = exp(log_softmax): one stable formulation, and its gradient follows from the two ops. */
export function softmax(x: Tensor, dim = -1): Tensor {
  const logP = logSoftmax(x, dim);
  const out = Tensor.zeros(x.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.exp(logP.data[i]);
  return attachGrad(out, 'ExpBackward', [logP], (gradOut) => {
    const g = new Float32Array(gradOut.length);
    getBackend().mul(gradOut, out.data, g);
    return [g];
  });
}
