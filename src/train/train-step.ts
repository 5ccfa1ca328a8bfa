/**
 * One step of supervised training, as every PyTorch training loop writes it:
 * clear gradients, forward, cross-entropy loss, backward, optimizer step.
 * A loss that is NaN or infinite stops training before the step, so the
 * weights stay as they were (and the last checkpoint stays good).
 */
import type { Module } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';
import { crossEntropy } from '../ops/loss.js';
import type { SGD } from '../optim/sgd.js';
import { Tensor } from '../tensor/tensor.js';

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

/** The optimizer's parameters that hold a gradient now. */
function parametersWithGradient(optimizer: SGD): Parameter[] {
  return optimizer.paramGroups.flatMap((group) => group.params.filter((p) => p.grad !== null));
}

/**
 * Gives a zero gradient back to each of `params` that this backward pass did
 * not reach. torch 1.13's zero_grad() keeps a gradient once a parameter has
 * one, filled with zeros, so such a parameter still moves by momentum and
 * weight decay; recycling dropped it, and SGD skips a parameter without one.
 */
function restoreZeroGradients(params: Parameter[]): void {
  for (const p of params) if (p.grad === null) p.grad = Tensor.zeros(p.shape);
}

/** `step` (1-based, counting every step of the run) names the step in the error on a non-finite loss. */
export function trainStep(model: Module, optimizer: SGD, images: Tensor, labels: Int32Array, step: number): TrainStepResult {
  const hadGradient = parametersWithGradient(optimizer);
  // The step owns the gradients between backward and the update: their arrays are recycled.
  optimizer.zeroGrad({ recycle: true });
  const logits = model.call(images);
  const loss = crossEntropy(logits, labels);
  const value = loss.item();
  if (!Number.isFinite(value)) {
    // As after torch's zero_grad(): a caller that goes on (with a smaller lr) steps from zero gradients.
    restoreZeroGradients(hadGradient);
    throw new NonFiniteLossError(step, value);
  }
  loss.backward();
  restoreZeroGradients(hadGradient);
  optimizer.step();
  return { loss: value, logits: logits.data };
}
