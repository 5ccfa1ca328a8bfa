/**
 * One torch.optim.SGD update of one parameter:
 *   d = grad + wd·param;  buf = first ? d : momentum·buf + (1 − dampening)·d;
 *   d = nesterov ? d + momentum·buf : buf;  param −= lr·d.
 */
import type { SgdHyper } from '../backend.js';

export function sgdStep(h: SgdHyper, param: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null): void {
  const useMomentum = h.momentum !== 0;
  if (useMomentum && momentumBuffer === null) throw new Error('sgdStep: momentum is set but no momentum buffer was given');
  for (let i = 0; i < param.length; i++) {
    let d = grad[i];
    if (h.weightDecay !== 0) d += h.weightDecay * param[i];
    if (useMomentum) {
      const buf = h.firstStep ? d : h.momentum * momentumBuffer![i] + (1 - h.dampening) * d;
      momentumBuffer![i] = buf;
      d = h.nesterov ? d + h.momentum * buf : buf;
    }
    param[i] -= h.lr * d;
  }
}
