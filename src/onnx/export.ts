/**
 * Module → ONNX by tracing, as torch.onnx.export does: one eval-mode forward
 * pass on a zero input with a hook on every layer records which layer ran on
 * which value; each layer becomes its ONNX node(s) and its parameters become
 * initializers under their state_dict keys. Tensor code between layers (a
 * model's x.flatten(1)) shows up as a layer reading a reshaped view of an
 * earlier output and becomes Flatten or Reshape. Dropout is the identity in
 * inference and is left out, as torch leaves it out. A layer called twice
 * writes its parameters once, and its second call's nodes are numbered as
 * torch numbers them (/relu/Relu, then /relu_1/Relu).
 */
import { noGrad } from '../autograd/grad-mode.js';
import { AdaptiveAvgPool2d } from '../nn/layers/adaptive-avg-pool2d.js';
import { AvgPool2d } from '../nn/layers/avg-pool2d.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Dropout } from '../nn/layers/dropout.js';
import { Flatten } from '../nn/layers/flatten.js';
import { Linear } from '../nn/layers/linear.js';
import { LocalResponseNorm } from '../nn/layers/local-response-norm.js';
import { MaxPool2d } from '../nn/layers/max-pool2d.js';
import { ReLU } from '../nn/layers/relu.js';
import type { Module } from '../nn/module.js';
import { pair } from '../ops/pair.js';
import { shapeToString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { AttributeValue, OnnxModelProto, OnnxNode } from './model-proto.js';
import { OnnxTensor } from './onnx-tensor.js';
import { type TensorProtoMessage, tensorToProto } from './tensor-proto.js';

export interface OnnxExportOptions {
  /** Default operator set (9 to 17; default 13, what torch 1.13 writes by default). */
  opset?: number;
  /** 'dynamic' (default): the batch axis is named 'batch' and any size runs; a number fixes it. */
  batch?: 'dynamic' | number;
  inputName?: string;
  outputName?: string;
  /** The graph's name (default: the model's type name). */
  graphName?: string;
  producerVersion?: string;
}

export const EXPORT_MIN_OPSET = 9;
export const EXPORT_MAX_OPSET = 17;

/** The IR version each opset shipped with (onnx/helper.py's VERSION_TABLE): what onnxruntime expects beside it. */
function irVersionFor(opset: number): number {
  if (opset <= 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  return 8;
}

interface Traced {
  module: Module;
  input: Tensor;
  output: Tensor;
}

/**
 * The model as an ONNX ModelProto, traced on an input of `inputShape`
 * ([C, H, W]; the batch size is set by options.batch). The graph fixes C, H
 * and W, as torch's export does for models with adaptive pooling.
 */
export function exportOnnx(model: Module, inputShape: readonly [number, number, number], options: OnnxExportOptions = {}): OnnxModelProto {
  const opset = options.opset ?? 13;
  if (!Number.isInteger(opset) || opset < EXPORT_MIN_OPSET || opset > EXPORT_MAX_OPSET) {
    throw new Error(`export: opset ${opset} is not supported (expected ${EXPORT_MIN_OPSET} to ${EXPORT_MAX_OPSET})`);
  }
  const batch = options.batch ?? 'dynamic';
  if (batch !== 'dynamic' && (!Number.isInteger(batch) || batch < 1)) throw new Error(`export: batch must be 'dynamic' or a positive integer, got ${batch}`);
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'logits';

  const records = trace(model, [batch === 'dynamic' ? 1 : batch, ...inputShape]);
  const names = new Map<Module, string>();
  for (const [name, m] of model.namedModules()) names.set(m, name);
  const builder = new GraphBuilder(opset, inputName, records.input, batch === 'dynamic');
  for (const record of records.calls) builder.add(record, names.get(record.module) ?? record.module.typeName);
  builder.finish(records.output, outputName);

  const batchDim = batch === 'dynamic' ? 'batch' : batch;
  // A view that regroups the batch (n → 2n) leaves an output whose first axis is not the input's: a fixed batch
  // declares the traced size; a dynamic one its own name, since 'batch' would say the two sizes are equal.
  const tracedBatch = records.input.shape[0];
  const outputBatchDim = records.output.shape[0] === tracedBatch ? batchDim : batch === 'dynamic' ? 'output_batch' : records.output.shape[0];
  return {
    irVersion: irVersionFor(opset),
    opsets: new Map([['', opset]]),
    producerName: 'alexnet-ts',
    producerVersion: options.producerVersion ?? '',
    docString: '',
    metadata: new Map(),
    graph: {
      name: options.graphName ?? model.typeName,
      nodes: builder.nodes,
      initializers: builder.initializers,
      inputs: [{ name: inputName, elementType: 'float32', shape: [batchDim, ...inputShape] }],
      outputs: [{ name: outputName, elementType: 'float32', shape: [outputBatchDim, ...records.output.shape.slice(1)] }],
    },
  };
}

/** Runs the model once in eval mode under noGrad, recording every leaf layer's call in order. */
function trace(model: Module, shape: number[]): { input: Tensor; output: Tensor; calls: Traced[] } {
  const wasTraining = model.training;
  model.eval();
  const calls: Traced[] = [];
  const removers = [...model.namedModules()]
    .filter(([, m]) => m.children().length === 0)
    .map(([, m]) => m.registerForwardHook((module, input, output) => calls.push({ module, input, output })));
  const input = Tensor.zeros(shape);
  try {
    const output = noGrad(() => model.call(input));
    return { input, output, calls };
  } finally {
    for (const remove of removers) remove();
    model.train(wasTraining);
  }
}

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: TensorProtoMessage[] = [];
  /** Which graph value each traced tensor's memory holds now (views and in-place ReLU share memory). */
  private readonly valueOf = new Map<Float32Array, { name: string; shape: readonly number[] }>();
  private readonly usedNames = new Set<string>();
  /** Node names given so far: ONNX wants each once (onnxruntime refuses "two nodes with same node name"). */
  private readonly usedNodeNames = new Set<string>();
  /** Scopes given so far: a module called twice gets `relu`, then `relu_1`, as torch.onnx.export names them. */
  private readonly usedScopes = new Set<string>();
  /** The initializer each parameter was written as: a module called twice (or a tied weight) reads one. */
  private readonly parameterNames = new Map<Tensor, string>();

  constructor(
    private readonly opset: number,
    inputName: string,
    input: Tensor,
    private readonly dynamicBatch: boolean,
  ) {
    this.bind(input, inputName);
    this.usedNames.add(inputName);
  }

  /** `path` names the module (its parameters' keys, error messages); this call's nodes and values are named by its scope. */
  add(call: Traced, path: string): void {
    const { module } = call;
    const scope = this.freshScope(path);
    const input = this.valueFor(call.input, path, scope);
    if (module instanceof Dropout) {
      this.bind(call.output, input);
      return;
    }
    if (module instanceof LocalResponseNorm && module.groups > 1) {
      this.groupedLrn(call, path, scope, input, module);
      return;
    }
    const output = this.freshName(`/${scope}/${module.typeName}_output`);
    const attributes = new Map<string, AttributeValue>();
    const ints = (value: number[]): AttributeValue => ({ kind: 'ints', value });
    const int = (value: number): AttributeValue => ({ kind: 'int', value });
    const float = (value: number): AttributeValue => ({ kind: 'float', value });
    let opType: string;
    const inputs = [input];
    if (module instanceof Conv2d) {
      opType = 'Conv';
      const [ph, pw] = module.padding;
      attributes.set('dilations', ints(module.dilation));
      attributes.set('group', int(module.groups));
      attributes.set('kernel_shape', ints(module.kernelSize));
      attributes.set('pads', ints([ph, pw, ph, pw]));
      attributes.set('strides', ints(module.stride));
      inputs.push(this.parameter(module.weight, `${path}.weight`));
      if (module.bias !== null) inputs.push(this.parameter(module.bias, `${path}.bias`));
    } else if (module instanceof Linear) {
      opType = 'Gemm';
      if (call.input.ndim !== 2)
        throw new Error(`export: ${path} (Linear) receives ${shapeToString(call.input.shape)}; ONNX's Gemm takes a matrix [N, features]`);
      attributes.set('alpha', float(1));
      attributes.set('beta', float(1));
      attributes.set('transB', int(1));
      inputs.push(this.parameter(module.weight, `${path}.weight`));
      if (module.bias !== null) inputs.push(this.parameter(module.bias, `${path}.bias`));
    } else if (module instanceof ReLU) {
      opType = 'Relu';
    } else if (module instanceof MaxPool2d) {
      opType = 'MaxPool';
      const [ph, pw] = pair(module.padding);
      attributes.set('kernel_shape', ints(pair(module.kernelSize)));
      attributes.set('pads', ints([ph, pw, ph, pw]));
      attributes.set('strides', ints(pair(module.stride)));
      const dilation = pair(module.dilation);
      if (module.ceilMode) this.requireOpset(10, path, 'ceil_mode');
      if (dilation[0] !== 1 || dilation[1] !== 1) this.requireOpset(10, path, 'dilations');
      if (module.ceilMode) attributes.set('ceil_mode', int(1));
      if (dilation[0] !== 1 || dilation[1] !== 1) attributes.set('dilations', ints(dilation));
    } else if (module instanceof LocalResponseNorm) {
      opType = 'LRN';
      for (const [key, value] of this.lrnAttributes(module, path)) attributes.set(key, value);
    } else if (module instanceof AdaptiveAvgPool2d) {
      opType = this.adaptivePool(call, path, attributes);
    } else if (module instanceof AvgPool2d) {
      opType = 'AveragePool';
      if (module.divisorOverride !== undefined) throw new Error(`export: ${path} (AvgPool2d) uses divisor_override, which ONNX's AveragePool cannot express`);
      const p = typeof module.padding === 'number' || module.padding.length === 2 ? pair(module.padding as number) : null;
      const pads = p === null ? [...(module.padding as readonly number[])] : [p[0], p[1], p[0], p[1]];
      attributes.set('kernel_shape', ints(pair(module.kernelSize)));
      attributes.set('pads', ints(pads));
      attributes.set('strides', ints(pair(module.stride)));
      attributes.set('count_include_pad', int(module.countIncludePad ? 1 : 0));
      if (module.ceilMode) this.requireOpset(10, path, 'ceil_mode');
      if (module.ceilMode) attributes.set('ceil_mode', int(1));
    } else if (module instanceof Flatten) {
      if (module.startDim !== 1 || (module.endDim !== -1 && module.endDim !== call.input.ndim - 1)) {
        throw new Error(`export: ${path} (Flatten(${module.startDim}, ${module.endDim})) has no ONNX Flatten equivalent; only Flatten(1) does`);
      }
      opType = 'Flatten';
      attributes.set('axis', int(1));
    } else {
      throw new Error(`export: ${path} is a ${module.typeName}, which the ONNX exporter does not know`);
    }
    this.addNode(`/${scope}/${opType}`, opType, inputs, output, attributes);
    this.bind(call.output, output);
  }

  /** LRN within channel groups: Reshape [N, C, H, W] → [N·G, C/G, H, W], LRN, Reshape back (-1 keeps a dynamic batch). */
  private groupedLrn(call: Traced, path: string, scope: string, input: string, module: LocalResponseNorm): void {
    const lrn = this.lrnAttributes(module, path);
    const [, c, ...spatial] = call.input.shape;
    const reshape = (from: string, shape: number[], suffix: string, to: string): void => {
      const shapeName = this.freshName(`/${scope}/${suffix}_shape`);
      this.initializers.push(tensorToProto(shapeName, OnnxTensor.fromInt64(shape)));
      this.addNode(`/${scope}/${suffix}`, 'Reshape', [from, shapeName], to);
    };
    const grouped = this.freshName(`/${scope}/grouped`);
    reshape(input, [-1, c / module.groups, ...spatial], 'Reshape_groups', grouped);
    const normalized = this.freshName(`/${scope}/LRN_output`);
    this.addNode(`/${scope}/LRN`, 'LRN', [grouped], normalized, lrn);
    const output = this.freshName(`/${scope}/${module.typeName}_output`);
    reshape(normalized, [-1, c, ...spatial], 'Reshape_back', output);
    this.bind(call.output, output);
  }

  private lrnAttributes(module: LocalResponseNorm, path: string): Map<string, AttributeValue> {
    // ONNX centres an even-sized window one channel later than torch does; odd sizes agree.
    if (module.size % 2 === 0)
      throw new Error(`export: ${path} (LocalResponseNorm) has an even size ${module.size}, whose window ONNX places differently from torch`);
    return new Map<string, AttributeValue>([
      ['alpha', { kind: 'float', value: module.alpha }],
      ['beta', { kind: 'float', value: module.beta }],
      ['bias', { kind: 'float', value: module.k }],
      ['size', { kind: 'int', value: module.size }],
    ]);
  }

  /** AdaptiveAvgPool2d is a fixed AveragePool when the input divides into the output (6×6 → 6×6 included), GlobalAveragePool at 1×1. */
  private adaptivePool(call: Traced, path: string, attributes: Map<string, AttributeValue>): string {
    const [inH, inW] = call.input.shape.slice(2);
    const [outH, outW] = call.output.shape.slice(2);
    if (outH === 1 && outW === 1) return 'GlobalAveragePool';
    if (inH % outH !== 0 || inW % outW !== 0) {
      throw new Error(
        `export: ${path} (AdaptiveAvgPool2d) pools ${inH}×${inW} to ${outH}×${outW}, which ONNX's AveragePool cannot express (${inH < outH || inW < outW ? 'a smaller map is repeated, not pooled' : 'windows of unequal size'}); export at an input size whose feature map is a multiple of ${outH}×${outW} (224 for alexnet)`,
      );
    }
    const kernel = [inH / outH, inW / outW];
    attributes.set('kernel_shape', { kind: 'ints', value: kernel });
    attributes.set('strides', { kind: 'ints', value: kernel });
    return 'AveragePool';
  }

  private requireOpset(minimum: number, path: string, what: string): void {
    if (this.opset < minimum) throw new Error(`export: ${path} needs ${what}, which ONNX has from opset ${minimum}; export with --opset ${minimum} or later`);
  }

  /**
   * The graph value a layer's input is: an earlier output, or a reshaped view of one (→ Flatten or Reshape).
   * `path` names the layer in errors, `scope` the nodes written for it.
   */
  private valueFor(tensor: Tensor, path: string, scope: string): string {
    const known = this.valueOf.get(tensor.data);
    if (known === undefined) throw new Error(`export: the input of ${path} was computed outside the model's layers; only layers and reshapes are traced`);
    if (sameShape(known.shape, tensor.shape)) return known.name;
    const name = this.freshName(`/${scope}/input_reshaped`);
    const flattensAtOne = tensor.ndim === 2 && tensor.shape[0] === known.shape[0];
    if (flattensAtOne) {
      this.addNode(`/${scope}/Flatten`, 'Flatten', [known.name], name, new Map([['axis', { kind: 'int', value: 1 }]]));
    } else {
      const shapeName = this.freshName(`/${scope}/shape`);
      this.initializers.push(tensorToProto(shapeName, OnnxTensor.fromInt64(this.reshapeTarget(known.shape, tensor.shape))));
      this.addNode(`/${scope}/Reshape`, 'Reshape', [known.name, shapeName], name);
    }
    this.bind(tensor, name);
    return name;
  }

  /**
   * Reshape's shape input for a view from `from` to `to` (traced sizes). The axes after the first are the model's
   * own; the first carries the batch. Kept, it is 0 (copy it as it comes, allowzero = 0); changed, -1 under a
   * dynamic batch (the batch regrouped in proportion, n → 2n, as the traced view did) and the traced size under a
   * fixed one.
   */
  private reshapeTarget(from: readonly number[], to: readonly number[]): number[] {
    const rest = to.slice(1);
    if (to[0] === from[0]) return [0, ...rest];
    return [this.dynamicBatch ? -1 : to[0], ...rest];
  }

  /** The initializer holding `tensor`: written the first time under `name`, that name again on every later call. */
  private parameter(tensor: Tensor, name: string): string {
    const written = this.parameterNames.get(tensor);
    if (written !== undefined) return written;
    this.initializers.push(tensorToProto(name, OnnxTensor.fromTensor(tensor)));
    this.usedNames.add(name);
    this.parameterNames.set(tensor, name);
    return name;
  }

  private addNode(name: string, opType: string, inputs: string[], output: string, attributes = new Map<string, AttributeValue>()): void {
    this.nodes.push({ name: this.fresh(this.usedNodeNames, name), opType, domain: '', inputs, outputs: [output], attributes });
  }

  private freshScope(path: string): string {
    return this.fresh(this.usedScopes, path);
  }

  private bind(tensor: Tensor, name: string): void {
    this.valueOf.set(tensor.data, { name, shape: tensor.shape });
  }

  private freshName(base: string): string {
    return this.fresh(this.usedNames, base);
  }

  /** `base`, or the first free `base_1`, `base_2`, ... in `used`; claimed. */
  private fresh(used: Set<string>, base: string): string {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  }

  /** Renames the last value to the graph's output name (an Identity when it is the input itself). */
  finish(output: Tensor, outputName: string): void {
    const known = this.valueOf.get(output.data);
    if (known === undefined) throw new Error('export: the model output was computed outside its layers');
    const last = this.nodes.at(-1);
    if (last !== undefined && last.outputs[0] === known.name && sameShape(known.shape, output.shape)) {
      last.outputs[0] = outputName;
    } else {
      const source = sameShape(known.shape, output.shape) ? known.name : this.valueFor(output, 'output', this.freshScope('output'));
      this.addNode('/output/Identity', 'Identity', [source], outputName);
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
