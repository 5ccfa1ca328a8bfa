/**
 * Per-layer forward times. Forward hooks would turn off Sequential's
 * Conv/Linear+ReLU fusion (a hooked layer runs unfused), so instead each
 * leaf module's own `forward` (and `forwardFusedRelu`) is wrapped on the
 * instance: the model runs exactly as it does unmeasured, and a fused ReLU's
 * time is counted in the layer that absorbed it.
 */
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { median } from './stats.js';

export interface LayerTime {
  /** Dotted module path, PyTorch's name ("features.0"). */
  name: string;
  /** Module class ("Conv2d"). */
  type: string;
  /** Median time per model run, in ms. */
  ms: number;
  /** True when the following ReLU ran inside this layer's kernel. */
  fusedRelu: boolean;
  /** The packed kernel's algorithm, for convolutions on backends that say (Conv2d.packedAlgorithm). */
  algorithm?: string;
}

type Forward = (x: Tensor) => Tensor;

interface Slot {
  name: string;
  module: Module;
  /** Time in the current model run. */
  current: number;
  /** One entry per finished model run. */
  runs: number[];
  fused: boolean;
}

/** Instruments every leaf module of `model` until `restore()` is called. */
export class LayerTimer {
  private readonly slots: Slot[] = [];
  private readonly wrapped: { module: Module; key: 'forward' | 'forwardFusedRelu' }[] = [];

  constructor(model: Module) {
    for (const [name, module] of model.namedModules()) {
      if (module.children().length > 0) continue;
      const slot: Slot = { name, module, current: 0, runs: [], fused: false };
      this.slots.push(slot);
      this.wrap(module, 'forward', slot, false);
      if (typeof (module as unknown as Record<string, unknown>).forwardFusedRelu === 'function') {
        this.wrap(module, 'forwardFusedRelu', slot, true);
      }
    }
  }

  private wrap(module: Module, key: 'forward' | 'forwardFusedRelu', slot: Slot, fused: boolean): void {
    const target = module as unknown as Record<string, Forward>;
    const original = target[key].bind(module);
    target[key] = (x: Tensor): Tensor => {
      const start = performance.now();
      const y = original(x);
      slot.current += performance.now() - start;
      if (fused) slot.fused = true;
      return y;
    };
    this.wrapped.push({ module, key });
  }

  /** Closes the current model run: its per-layer times become one sample each. */
  endRun(): void {
    for (const slot of this.slots) {
      slot.runs.push(slot.current);
      slot.current = 0;
    }
  }

  /** Forgets all samples (after warm-up runs). */
  reset(): void {
    for (const slot of this.slots) {
      slot.runs = [];
      slot.current = 0;
    }
  }

  /** Median time per layer over the recorded runs, in model order. */
  results(): LayerTime[] {
    return this.slots.map((s) => {
      const algorithm = (s.module as { packedAlgorithm?: string | null }).packedAlgorithm ?? undefined;
      return {
        name: s.name,
        type: s.module.typeName,
        ms: s.runs.length > 0 ? median(s.runs) : 0,
        fusedRelu: s.fused,
        ...(algorithm === undefined ? {} : { algorithm }),
      };
    });
  }

  /** Removes the wrappers: the modules' prototype methods apply again. */
  restore(): void {
    for (const { module, key } of this.wrapped) delete (module as unknown as Record<string, unknown>)[key];
    this.wrapped.length = 0;
  }
}
