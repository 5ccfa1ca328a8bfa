/**
 * When an activation may go back to the buffer pool (tensor/buffer-pool.ts),
 * which saves the next pass the page faults of fresh memory. Used between the
 * layers of a Sequential, and between the calls of a model whose forward is a
 * chain (Module.forwardIsChain).
 */
import { isGradEnabled } from '../autograd/grad-mode.js';
import { recycleBuffer } from '../tensor/buffer-pool.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';

/** Built-in layers that keep no reference to their input (so it can be recycled after them). */
const RELEASING_LAYERS = new Set(['Conv2d', 'Linear', 'ReLU', 'MaxPool2d', 'LocalResponseNorm', 'AdaptiveAvgPool2d', 'Dropout', 'Flatten']);

/**
 * A built-in layer, or a plain Sequential of them, that keeps no reference to its input or output outside
 * the autograd graph, watched by no hook.
 */
export function keepsNoReference(m: Module): boolean {
  if (m.hasForwardHooks) return false;
  if (RELEASING_LAYERS.has(m.typeName)) return true;
  return m.typeName === 'Sequential' && m.children().every(keepsNoReference);
}

/**
 * An activation made inside a chain is referenced by nothing once the next
 * call has produced its output (inference), or once backward has run its
 * node (training): its array then goes back to the pool. `releasable` says
 * whether x may go: made by a layer of this chain (not the chain's input)
 * that keeps no reference, through every layer that passed it on unchanged
 * (Dropout in eval, Flatten). Returns whether y may go in its turn.
 */
export function releaseIntermediate(x: Tensor, releasable: boolean, layer: Module, y: Tensor): boolean {
  const shared = y.data.buffer === x.data.buffer;
  if (isGradEnabled()) {
    // A view's buffer is still read by the node of the tensor it views, which runs later in backward.
    if (releasable && keepsNoReference(layer) && !shared && x.gradFn !== null) x.releaseAfterBackward = true;
    return keepsNoReference(layer) && !shared;
  }
  if (shared) return releasable && keepsNoReference(layer);
  if (releasable && keepsNoReference(layer)) recycleBuffer(x.data);
  return keepsNoReference(layer);
}

/**
 * The step runners' side (forward-steps.ts) for a model whose forward is a chain: a call's output goes back to
 * the pool once the next call has run on it (or on a view of it, as flatten makes), in inference at once, in
 * training once backward has run its node. Unlike a view, the output itself is only freed after every node
 * that reads its buffer: those consume it, so backward runs them first.
 */
export class ChainRelease {
  /** The last call's output that did not pass its input on (a view or Dropout in eval does). */
  private producer: Tensor | null = null;
  private producerReleasable = false;

  afterCall(layer: Module, input: Tensor, output: Tensor): void {
    const producer = this.producer;
    const fromProducer = producer !== null && this.producerReleasable && input.data.buffer === producer.data.buffer;
    const passedOn = output.data.buffer === input.data.buffer;
    const keeps = keepsNoReference(layer);
    if (passedOn) {
      this.producerReleasable = fromProducer && keeps;
      return;
    }
    if (fromProducer && keeps) {
      if (!isGradEnabled()) recycleBuffer(producer.data);
      else if (producer.gradFn !== null) producer.releaseAfterBackward = true;
    }
    this.producer = output;
    this.producerReleasable = keeps;
  }
}
