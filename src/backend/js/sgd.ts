/**
 * One torch.optim.SGD update of one parameter:
 *   d = grad + wd·param;  buf = first ? d : momentum·buf + (1 − dampening)·d;
 *   d = nesterov ? d + momentum·buf : buf;  param −= lr·d.
 */
import type { SgdHyper } from '../backend.js';

export function sgdStep(h: SgdHyper, param: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null): void {
  const useMomentum = h.momentum !== 0;
  if (useMomentum && momentumBuffer === null) throw new Error('sgdStep: momentum is set but no momentum buffer was given');
  // As torch's float32 kernels: a multiply rounds to float32, and each add(b, alpha) (vec::fmadd) rounds once,
  // which a double sum of the exact double product gives (then rounded to float32): torch's bits on every
  // element measured, where rounding the product first differed by an ulp on 1-3% of them.
  const f = Math.fround;
  const negLr = f(-h.lr),
    wd = f(h.weightDecay),
    m = f(h.momentum),
    keep = f(1 - h.dampening);
  for (let i = 0; i < param.length; i++) {
    let d = grad[i];
    if (h.weightDecay !== 0) d = f(d + wd * param[i]);
    if (useMomentum) {
      const buf = h.firstStep ? d : f(f(momentumBuffer![i] * m) + keep * d);
      momentumBuffer![i] = buf;
      d = h.nesterov ? f(d + m * buf) : buf;
    }
    param[i] = f(param[i] + negLr * d);
  }
}
