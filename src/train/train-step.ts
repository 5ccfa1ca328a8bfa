/**
 * One step of supervised training, as every PyTorch training loop writes it:
 * clear gradients, forward, cross-entropy loss, backward, optimizer step.
 * A loss that is NaN or infinite stops training before the step, so the
 * weights stay as they were (and the last checkpoint stays good).
 */
import type { Module } from '../nn/module.js';
import { crossEntropy } from '../ops/loss.js';
import type { SGD } from '../optim/sgd.js';
import type { Tensor } from '../tensor/tensor.js';

export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(`the loss is ${loss} at step ${step}; the weights were not updated with it`);
    this.name = 'NonFiniteLossError';
  }
}

export interface TrainStepResult {
  /** The batch's mean loss (before the update). */
  loss: number;
  /** Logits [B, classes] of the forward pass (training mode), for running accuracy. */
  logits: Float32Array;
}

/** `step` (1-based, counting every step of the run) names the step in the error on a non-finite loss. */
export function trainStep(model: Module, optimizer: SGD, images: Tensor, labels: Int32Array, step: number): TrainStepResult {
  // The step owns the gradients between backward and the update: their arrays are recycled.
  optimizer.zeroGrad({ recycle: true });
  const logits = model.call(images);
  const loss = crossEntropy(logits, labels);
  const value = loss.item();
  if (!Number.isFinite(value)) throw new NonFiniteLossError(step, value);
  loss.backward();
  optimizer.step();
  return { loss: value, logits: logits.data };
}
