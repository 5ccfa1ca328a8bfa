/**
 * A chain of modules named "0", "1", ... (PyTorch's keys), indexable like
 * PyTorch's: `net[4]`. In inference (no graph recorded) a Conv2d or Linear
 * followed by ReLU runs as one fused kernel, unless hooks watch either layer.
 */
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { Tensor } from '../tensor/tensor.js';
import { recycleBuffer } from '../tensor/buffer-pool.js';
import { Module } from './module.js';

/** A layer that can apply the following ReLU inside its own kernel. */
export interface ReluFusable {
  forwardFusedRelu(x: Tensor): Tensor;
  forwardFusedReluAsync(x: Tensor): Promise<Tensor>;
}

/** Built-in layers that keep no reference to their input (so it can be recycled after them). */
const RELEASING_LAYERS = new Set(['Conv2d', 'Linear', 'ReLU', 'MaxPool2d', 'LocalResponseNorm', 'AdaptiveAvgPool2d', 'Dropout', 'Flatten']);

/**
 * In inference, an activation made by an earlier layer of the chain (its
 * producer) is referenced by nothing once the next layer (its consumer) has
 * produced its output: its array goes back to the buffer pool
 * (tensor/buffer-pool.ts), which saves the next pass the page faults of fresh
 * memory. Only when no graph is recorded, both layers are built-in ones that
 * keep no reference to their input, no hook saw the activation, and the output
 * does not share its memory.
 */
function releaseIntermediate(x: Tensor, producer: Module | null, consumer: Module, y: Tensor): void {
  if (producer === null || isGradEnabled() || producer.hasForwardHooks || consumer.hasForwardHooks) return;
  if (!RELEASING_LAYERS.has(producer.typeName) || !RELEASING_LAYERS.has(consumer.typeName)) return;
  if (y.data.buffer === x.data.buffer) return;
  recycleBuffer(x.data);
}

function isReluFusable(m: Module): m is Module & ReluFusable {
  return typeof (m as Partial<ReluFusable>).forwardFusedRelu === 'function';
}

export class Sequential extends Module {
  readonly [index: number]: Module;
  private readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((layer, i) => this.registerModule(String(i), layer));
    // Numeric property access (net[4]) maps to the i-th layer.
    return new Proxy(this, {
      get(target, property, receiver) {
        if (typeof property === 'string' && /^\d+$/.test(property)) return target.layers[Number(property)];
        return Reflect.get(target, property, receiver);
      },
    });
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

  forward(x: Tensor): Tensor {
    let producer: Module | null = null;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      const fused = this.fusesWithNext(i);
      const y = fused ? (layer as Module & ReluFusable).forwardFusedRelu(x) : layer.call(x);
      releaseIntermediate(x, producer, layer, y);
      x = y;
      producer = layer;
      if (fused) i++;
    }
    return x;
  }

  override async forwardAsync(x: Tensor): Promise<Tensor> {
    let producer: Module | null = null;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      const fused = this.fusesWithNext(i);
      const y = fused ? await (layer as Module & ReluFusable).forwardFusedReluAsync(x) : await layer.callAsync(x);
      releaseIntermediate(x, producer, layer, y);
      x = y;
      producer = layer;
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
