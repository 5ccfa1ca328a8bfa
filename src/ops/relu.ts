/** Differentiable ReLU. */
import { getBackend } from '../backend/registry.js';
import { attachGrad, Tensor } from '../tensor/tensor.js';

export function relu(x: Tensor): Tensor {
  const out = Tensor.zeros(x.shape);
  getBackend().reluForward(x.data, out.data);
  return attachGrad(out, 'ReluBackward', [x], (gradOut) => {
    const gradX = new Float32Array(gradOut.length);
    getBackend().reluBackward(gradOut, out.data, gradX);
    return [gradX];
  });
}
