/** Differentiable ReLU. */
import { getBackend } from '../backend/registry.js';
import { attachGrad, Tensor } from '../tensor/tensor.js';
import { takeBuffer } from '../tensor/buffer-pool.js';

export function relu(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  getBackend().reluForward(x.data, out.data);
  return attachGrad(
    out,
    'ReluBackward',
    [x],
    (gradOut, reusable) => {
      // Elementwise: in place when nothing else holds gradOut.
      const gradX = reusable ? gradOut : takeBuffer(gradOut.length);
      getBackend().reluBackward(gradOut, out.data, gradX);
      return [gradX];
    },
    [out],
  );
}
