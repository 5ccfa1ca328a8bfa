/**
 * A chain of modules named "0", "1", ... (PyTorch's keys), indexable like
 * PyTorch's: `net[4]`. In inference (no graph recorded) a Conv2d or Linear
 * followed by ReLU runs as one fused kernel, unless hooks watch either layer.
 */
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { Tensor } from '../tensor/tensor.js';
import { releaseIntermediate } from './activation-release.js';
import type { ForwardSteps, ReluFusable } from './forward-steps.js';
import { Module } from './module.js';

export type { ReluFusable } from './forward-steps.js';

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
