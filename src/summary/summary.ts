/**
 * summary(): torchinfo.summary for alexnet-ts modules. One forward pass in
 * eval mode without autograd, with a forward hook on every module to record
 * output shapes; then torchinfo 1.7's bookkeeping turns shapes and parameter
 * counts into per-layer rows and totals.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { getBackend, withBackend } from '../backend/registry.js';
import type { Module } from '../nn/module.js';
import { Generator } from '../tensor/random.js';
import { MAX_TENSOR_ELEMENTS, numel, shapeToString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { layerMultAdds, type NamedCount } from './mult-adds.js';
import { shapesOnlyBackend } from './shapes-only-backend.js';
import type { LayerSummary, SummaryResult } from './types.js';

export interface SummaryOptions {
  /** Deepest level to show, like torchinfo's `depth` (default 3). Totals always cover every layer. */
  depth?: number;
  /**
   * Run the real kernels on random input (default false). The table depends
   * only on shapes, so by default the forward pass skips the arithmetic.
   */
  compute?: boolean;
}

/** Every element is float32. */
const BYTES_PER_ELEMENT = 4;

/**
 * torchinfo sizes the input with Python's sys.getsizeof(tensor.storage()):
 * the data bytes plus the storage object's own 56 bytes (torch 1.13, CPython 3).
 */
export const TORCHINFO_STORAGE_OVERHEAD_BYTES = 56;

/** What the hooks learn about one module during the forward pass. */
interface CallRecord {
  outputShape: readonly number[] | null;
  multAdds: number;
  outputBytes: number;
}

export function summary(model: Module, inputShape: readonly number[], options: SummaryOptions = {}): SummaryResult {
  const depth = options.depth ?? 3;
  if (!Number.isInteger(depth) || depth < 0) throw new Error(`summary: depth must be a non-negative integer, got ${depth}`);
  if (inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`summary: input shape must be positive integers, got ${shapeToString(inputShape)}`);
  }
  // Before the input is allocated: beyond this, the allocator's own error would not name the input.
  const elements = numel(inputShape);
  if (elements > MAX_TENSOR_ELEMENTS)
    throw new Error(`summary: input ${shapeToString(inputShape)} has ${elements} elements, more than a tensor holds (${MAX_TENSOR_ELEMENTS})`);

  const modules = [...model.namedModules()];
  const records = recordForwardPass(model, modules, inputShape, options.compute ?? false);
  const layers = describeLayers(modules, records);
  return { modelName: model.typeName, inputShape: [...inputShape], depth, layers, ...totals(layers, inputShape) };
}

/** Runs the model once with a hook on every layer, restoring modes and hooks afterwards. */
function recordForwardPass(model: Module, modules: Array<[string, Module]>, inputShape: readonly number[], compute: boolean): Map<Module, CallRecord> {
  const records = new Map<Module, CallRecord>();
  const removers: Array<() => void> = [];
  const savedModes = modules.map(([, m]) => m.training);
  const hooked = new Set<Module>();
  for (const [path, module] of modules) {
    // torchinfo does not hook the model itself (unless it is a single layer): its row shows no shape.
    if (path === '' && module.children().length > 0) continue;
    // A module registered under two paths (shared weights) is hooked once.
    if (hooked.has(module)) continue;
    hooked.add(module);
    removers.push(
      module.registerForwardHook((m, _input, output) => {
        const record = records.get(m) ?? { outputShape: null, multAdds: 0, outputBytes: 0 };
        record.outputShape = [...output.shape];
        if (m.children().length === 0) record.multAdds += layerMultAdds(m.typeName, parameterCounts(m), output.shape);
        record.outputBytes += output.numel * BYTES_PER_ELEMENT;
        records.set(m, record);
      }),
    );
  }
  try {
    model.eval();
    const backend = compute ? getBackend() : shapesOnlyBackend();
    const input = compute ? Tensor.rand(inputShape, 0, 1, new Generator(0)) : Tensor.zeros(inputShape);
    withBackend(backend, () => noGrad(() => model.call(input)));
  } finally {
    for (const remove of removers) remove();
    modules.forEach(([, m], i) => {
      m.training = savedModes[i];
    });
  }
  return records;
}

function parameterCounts(module: Module): NamedCount[] {
  return [...module.namedParameters()].map(([name, p]) => ({ name, count: p.numel }));
}

function describeLayers(modules: Array<[string, Module]>, records: Map<Module, CallRecord>): LayerSummary[] {
  const seen = new Set<Module>();
  const perDepth = new Map<number, number>();
  return modules.map(([path, module]) => {
    const depth = path === '' ? 0 : path.split('.').length;
    const depthIndex = (perDepth.get(depth) ?? 0) + 1;
    perDepth.set(depth, depthIndex);
    const isRecursive = seen.has(module);
    seen.add(module);
    const record = records.get(module);
    let numParams = 0;
    let trainableParams = 0;
    let ownParams = 0;
    let ownTrainableParams = 0;
    for (const [name, p] of module.namedParameters()) {
      const trainable = p.requiresGrad ? p.numel : 0;
      numParams += p.numel;
      trainableParams += trainable;
      if (!name.includes('.')) {
        ownParams += p.numel;
        ownTrainableParams += trainable;
      }
    }
    return {
      path,
      typeName: module.typeName,
      depth,
      depthIndex,
      isLeaf: module.children().length === 0,
      outputShape: record?.outputShape ?? null,
      numParams,
      trainableParams,
      ownParams,
      ownTrainableParams,
      multAdds: record?.multAdds ?? 0,
      outputBytes: record?.outputBytes ?? 0,
      isRecursive,
    };
  });
}

type Totals = Omit<SummaryResult, 'modelName' | 'inputShape' | 'depth' | 'layers'>;

/** torchinfo's ModelStatistics: leaf layers carry the counts, containers only their own parameters. */
function totals(layers: readonly LayerSummary[], inputShape: readonly number[]): Totals {
  let totalParams = 0;
  let trainableParams = 0;
  let totalMultAdds = 0;
  let paramBytes = 0;
  let forwardBackwardBytes = 0;
  for (const layer of layers) {
    if (layer.isLeaf) {
      totalMultAdds += layer.multAdds;
      // ×2: the activations are kept for the backward pass and get a gradient of the same size.
      if (layer.numParams > 0) forwardBackwardBytes += 2 * layer.outputBytes;
      if (layer.isRecursive) continue;
      totalParams += layer.numParams;
      trainableParams += layer.trainableParams;
      paramBytes += layer.numParams * BYTES_PER_ELEMENT;
    } else if (!layer.isRecursive) {
      totalParams += layer.ownParams;
      trainableParams += layer.ownTrainableParams;
    }
  }
  const inputBytes = numel(inputShape) * BYTES_PER_ELEMENT + TORCHINFO_STORAGE_OVERHEAD_BYTES;
  return {
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
    totalMultAdds,
    inputBytes,
    forwardBackwardBytes,
    paramBytes,
    totalBytes: inputBytes + forwardBackwardBytes + paramBytes,
  };
}
