/**
 * A chain of modules named "0", "1", ... (PyTorch's keys), indexable like
 * PyTorch's: `net[4]`. In inference (no graph recorded) a Conv2d or Linear
 * followed by ReLU runs as one fused kernel, unless hooks watch either layer.
 */
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { Tensor } from '../tensor/tensor.js';
import { recycleBuffer } from '../tensor/buffer-pool.js';
import type { ForwardSteps, ReluFusable } from './forward-steps.js';
import { Module } from './module.js';

export type { ReluFusable } from './forward-steps.js';

/** Built-in layers that keep no reference to their input (so it can be recycled after them). */
const RELEASING_LAYERS = new Set(['Conv2d', 'Linear', 'ReLU', 'MaxPool2d', 'LocalResponseNorm', 'AdaptiveAvgPool2d', 'Dropout', 'Flatten']);

/** A built-in layer that keeps no reference to its input or output, watched by no hook. */
function keepsNoReference(m: Module): boolean {
  return RELEASING_LAYERS.has(m.typeName) && !m.hasForwardHooks;
}

/**
 * An activation made inside the chain is referenced by nothing once the next
 * layer has produced its output (inference), or once backward has run its
 * node (training): its array then goes back to the buffer pool
 * (tensor/buffer-pool.ts), which saves the next pass the page faults of fresh
 * memory. `releasable` says whether x may go: made by a built-in layer of
 * this chain (not the chain's input) that no hook watched, through every layer
 * that passed it on unchanged (Dropout in eval, Flatten). Returns whether y
 * may go in its turn.
 */
function releaseIntermediate(x: Tensor, releasable: boolean, layer: Module, y: Tensor): boolean {
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

function isReluFusable(m: Module): m is Module & ReluFusable {
  return typeof (m as Partial<ReluFusable>).forwardFusedRelu === 'function';
}

export class Sequential extends Module {
  readonly [index: number]: Module;
  private readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = [...layers];
    for (const [i, layer] of this.layers.entries()) {
      this.registerModule(String(i), layer);
      // net[4] is the fifth layer, as in PyTorch: a read-only property per index (the chain never changes).
      Object.defineProperty(this, i, { value: layer, enumerable: false, writable: false });
    }
  }

  get length(): number {
    return this.layers.length;
  }

  at<M extends Module = Module>(index: number): M {
    const layer = this.layers.at(index);
    if (layer === undefined) throw new Error(`Sequential: index ${index} is out of range for ${this.layers.length} layers`);
    return layer as M;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }

  protected override *forwardSteps(x: Tensor): ForwardSteps {
    let releasable = false; // the chain's input is the caller's
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      const fused = this.fusesWithNext(i);
      const y = fused ? yield [layer as Module & ReluFusable, x, 'fused-relu'] : yield [layer, x];
      releasable = releaseIntermediate(x, releasable, layer, y);
      x = y;
      if (fused) i++;
    }
    return x;
  }

  /** Inference only (no graph), a fusable layer followed by ReLU, and no hook that would miss a call. */
  private fusesWithNext(i: number): boolean {
    const layer = this.layers[i];
    const next = this.layers[i + 1];
    return !isGradEnabled() && next?.typeName === 'ReLU' && isReluFusable(layer) && !layer.hasForwardHooks && !next.hasForwardHooks;
  }
}
