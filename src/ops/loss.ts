/** Classification losses with PyTorch's mean reduction over the batch. */
import { shapeToString } from '../tensor/shape.js';
import { attachGrad, Tensor } from '../tensor/tensor.js';
import { logSoftmax } from './softmax.js';

export type ClassTargets = Int32Array | readonly number[];

/** −mean_n logP[n, target_n], torch.nn.functional.nll_loss on [N, C] log-probabilities. */
export function nllLoss(logProbs: Tensor, targets: ClassTargets): Tensor {
  if (logProbs.ndim !== 2) throw new Error(`nll_loss: expected log-probabilities [N, C], got ${shapeToString(logProbs.shape)}`);
  const [n, c] = logProbs.shape;
  if (targets.length !== n) throw new Error(`nll_loss: ${targets.length} targets for a batch of ${n}`);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    if (!Number.isInteger(t)) throw new Error(`nll_loss: target ${t} at position ${i} is not a class index (an integer from 0 to ${c - 1})`);
    if (t < 0 || t >= c) throw new Error(`nll_loss: target ${t} at position ${i} is out of range [0, ${c - 1}]`);
    total -= logProbs.data[i * c + t];
  }
  const out = Tensor.scalar(total / n);
  return attachGrad(out, 'NllLossBackward', [logProbs], (gradOut) => {
    const g = new Float32Array(n * c);
    for (let i = 0; i < n; i++) g[i * c + targets[i]] = -gradOut[0] / n;
    return [g];
  });
}

/** torch.nn.functional.cross_entropy with class indices and mean reduction. */
export function crossEntropy(logits: Tensor, targets: ClassTargets): Tensor {
  if (logits.ndim !== 2) throw new Error(`cross_entropy: expected logits [N, C], got ${shapeToString(logits.shape)}`);
  return nllLoss(logSoftmax(logits, -1), targets);
}
