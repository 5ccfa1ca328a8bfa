/**
 * An imported ONNX graph as a Module. Nodes that map onto our layers become
 * child modules (so prepared weights, bf16, fused ReLU, async kernels and
 * the summary work as for a built-in model); the rest run as functions of
 * their inputs (graph-program.ts). The state dict is keyed by the graph's
 * initializer names, so a torch export's weights come back under
 * torchvision's keys.
 */
import type { ForwardSteps } from '../nn/forward-steps.js';
import { runStepsAsync, runStepsSync } from '../nn/forward-steps.js';
import { Module, type StateDict } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';
import { shapeToString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { GraphProgram, naming, type RunTrace } from './graph-program.js';
import type { DeclaredDim, OnnxModelProto, OnnxValueInfo } from './model-proto.js';
import { OnnxTensor } from './onnx-tensor.js';
import { MAX_OPSET, MIN_OPSET } from './ops/index.js';
import type { ExternalDataReader } from './tensor-proto.js';

export interface OnnxImportOptions {
  /** The file's name for error messages. */
  source?: string;
  /** Reads tensors stored in external files (the Node loader supplies it; see node/onnx). */
  externalData?: ExternalDataReader;
}

export type OnnxFeeds = ReadonlyMap<string, OnnxTensor> | Readonly<Record<string, OnnxTensor>>;

export class OnnxModel extends Module {
  readonly opset: number;
  readonly graphName: string;
  /** "pytorch 1.13.0", as the file names its producer. */
  readonly producer: string;
  private readonly program: GraphProgram;
  private readonly source: string;
  /** The state dict: initializer name → the tensor holding it now (a layer's parameter or a loose one). */
  private readonly namedState = new Map<string, Tensor>();

  constructor(model: OnnxModelProto, options: OnnxImportOptions = {}) {
    super();
    const source = options.source ?? '<onnx model>';
    this.source = source;
    this.opset = defaultOpset(model, source);
    refuseUnheldTypes(model, source);
    this.graphName = model.graph.name;
    this.producer = [model.producerName, model.producerVersion].filter((s) => s !== '').join(' ');
    const childNames = new UniqueNames();
    const parameterNames = new UniqueNames();
    this.program = new GraphProgram(model.graph, {
      source,
      opset: this.opset,
      externalData: options.externalData,
      adoptLayer: (nodeName, layer) => this.registerModule(childNames.claim(nodeName), layer),
      recordState: (name, tensor, loose) => {
        // Loose initializers (read by functions, not owned by a layer) are parameters of the model itself.
        if (loose) this.registerParameter(parameterNames.claim(name), tensor as Parameter);
        this.namedState.set(name, tensor);
      },
    });
  }

  /**
   * True when the graph's output holds a Softmax's values (probabilities, not logits), also through an Identity,
   * Dropout or reshape after it: the BVLC AlexNet's does. A LogSoftmax's are log-probabilities, not these.
   */
  get outputsProbabilities(): boolean {
    return this.program.valuesComeFrom(this.outputs[0]?.name ?? '') === 'Softmax';
  }

  /** The graph's inputs that the caller feeds (initializers excluded), in the file's order. */
  get inputs(): readonly OnnxValueInfo[] {
    return this.program.inputs;
  }

  get outputs(): readonly OnnxValueInfo[] {
    return this.program.outputs;
  }

  override get typeName(): string {
    return 'OnnxModel';
  }

  override extraRepr(): string {
    return `graph='${this.graphName}', opset=${this.opset}`;
  }

  /** Initializer name → tensor (shared with the model): PyTorch's keys for a torch export. */
  override stateDict(): StateDict {
    return new Map(this.namedState);
  }

  override forward(x: Tensor): Tensor {
    const trace: RunTrace = { layer: null };
    try {
      return runStepsSync(this.forwardSteps(x, trace));
    } catch (error) {
      throw naming(error, trace.layer, this.source);
    }
  }

  override async forwardAsync(x: Tensor): Promise<Tensor> {
    const trace: RunTrace = { layer: null };
    try {
      return await runStepsAsync(this.forwardSteps(x, trace));
    } catch (error) {
      throw naming(error, trace.layer, this.source);
    }
  }

  /** An image model's single input and output; other graphs use run(). `trace` names a failing layer's node. */
  protected override *forwardSteps(x: Tensor, trace: RunTrace = { layer: null }): ForwardSteps {
    if (this.inputs.length !== 1 || this.outputs.length !== 1) {
      throw new Error(`ONNX graph '${this.graphName}' has ${this.inputs.length} inputs and ${this.outputs.length} outputs; call run() with named inputs`);
    }
    const feeds = this.checkFeeds(new Map([[this.inputs[0].name, OnnxTensor.fromTensor(x)]]));
    const results = yield* this.program.execute(feeds, new Map(), trace);
    return results.get(this.outputs[0].name)!.toTensor(`output '${this.outputs[0].name}'`);
  }

  /** Runs the graph on named inputs; returns every graph output by name. */
  run(feeds: OnnxFeeds): Map<string, OnnxTensor> {
    const trace: RunTrace = { layer: null };
    try {
      return runStepsSync(this.program.execute(this.checkFeeds(feeds), new Map(), trace));
    } catch (error) {
      throw naming(error, trace.layer, this.source);
    }
  }

  /** run() with the layers' kernels off the main thread where the backend can. */
  async runAsync(feeds: OnnxFeeds): Promise<Map<string, OnnxTensor>> {
    const trace: RunTrace = { layer: null };
    try {
      return await runStepsAsync(this.program.execute(this.checkFeeds(feeds), new Map(), trace));
    } catch (error) {
      throw naming(error, trace.layer, this.source);
    }
  }

  private checkFeeds(feeds: OnnxFeeds): Map<string, OnnxTensor> {
    const given = feeds instanceof Map ? new Map(feeds) : new Map(Object.entries(feeds));
    const expected = this.inputs.map((i) => i.name);
    const unknown = [...given.keys()].filter((k) => !expected.includes(k));
    if (unknown.length > 0) {
      throw new Error(
        `unknown input${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}: the graph's inputs are ${describeInputs(this.inputs)}`,
      );
    }
    for (const info of this.inputs) {
      const value = given.get(info.name);
      if (value === undefined) throw new Error(`missing input '${info.name}': the graph's inputs are ${describeInputs(this.inputs)}`);
      checkValue(info, value);
    }
    return given;
  }
}

/** A graph input or output declared of a type the importer does not hold would otherwise be fed float32 silently. */
function refuseUnheldTypes(model: OnnxModelProto, source: string): void {
  for (const [what, infos] of [
    ['input', model.graph.inputs],
    ['output', model.graph.outputs],
  ] as const) {
    const unheld = infos.find((info) => info.unsupportedType !== undefined);
    if (unheld !== undefined) {
      throw new Error(
        `${source}: graph ${what} '${unheld.name}' is declared ${unheld.unsupportedType}, which is not supported (float32, float64, integers and bool are)`,
      );
    }
  }
}

function defaultOpset(model: OnnxModelProto, source: string): number {
  const opset = model.opsets.get('');
  if (opset === undefined) throw new Error(`${source}: the model does not import the default ONNX operator set (ai.onnx)`);
  if (opset < MIN_OPSET || opset > MAX_OPSET) throw new Error(`${source}: opset ${opset} is not supported (expected ${MIN_OPSET} to ${MAX_OPSET})`);
  return opset;
}

/** Module-safe names, each given once: a name seen before gets the next free `_1`, `_2`, ... of its base. */
class UniqueNames {
  private readonly taken = new Set<string>();
  /** The next suffix to try per base (20,000 nodes named alike cost 28 s when each probed from _1). */
  private readonly nextSuffix = new Map<string, number>();

  claim(name: string): string {
    const base = name.replace(/[^A-Za-z0-9_]/g, '_') || 'node';
    let candidate = base;
    let i = this.nextSuffix.get(base) ?? 1;
    while (this.taken.has(candidate)) candidate = `${base}_${i++}`;
    this.nextSuffix.set(base, i);
    this.taken.add(candidate);
    return candidate;
  }
}

export function describeDims(shape: readonly DeclaredDim[] | null): string {
  return shape === null ? '(any shape)' : `[${shape.map((d) => (d === null ? '?' : d)).join(', ')}]`;
}

function describeInputs(inputs: readonly OnnxValueInfo[]): string {
  return inputs.map((i) => `'${i.name}' ${i.elementType ?? ''}${describeDims(i.shape)}`).join(', ');
}

/** A fed value against the graph's declaration: element type, rank, and every fixed dimension. */
function checkValue(info: OnnxValueInfo, value: OnnxTensor): void {
  if (info.elementType !== null && info.elementType !== value.type) {
    throw new Error(`input '${info.name}': expected ${info.elementType}, got ${value.type}`);
  }
  if (info.shape === null) return;
  const fits = info.shape.length === value.ndim && info.shape.every((d, i) => typeof d !== 'number' || d === value.shape[i]);
  if (!fits) throw new Error(`input '${info.name}': expected shape ${describeDims(info.shape)}, got ${shapeToString(value.shape)}`);
}
