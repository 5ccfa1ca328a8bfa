/**
 * A graph compiled for running: its nodes in dependency order, each turned
 * into a layer call or a function (ops/), the values known before any input
 * (initializers, Constant outputs), and when each intermediate value can be
 * dropped. OnnxModel runs the main graph; If runs its branches as nested
 * programs that read the enclosing graph's values by name.
 */
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { ReluFusable, SubmoduleCall } from '../nn/forward-steps.js';
import type { Module } from '../nn/module.js';
import { Parameter } from '../nn/parameter.js';
import { shapeToString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { normalizeDomain, type OnnxGraphProto, type OnnxNode, type OnnxValueInfo } from './model-proto.js';
import { OnnxTensor } from './onnx-tensor.js';
import { NodeAttributes } from './ops/attributes.js';
import { OPERATORS, supportedOperators } from './ops/index.js';
import type { CompiledOp, FunctionOp } from './ops/op.js';
import { type ExternalDataReader, tensorFromProto } from './tensor-proto.js';

/** What a program needs from the model that owns it. */
export interface ProgramOwner {
  source: string;
  opset: number;
  externalData?: ExternalDataReader;
  /** Makes a layer a child module of the model (weights, precision, hooks); returns nothing. */
  adoptLayer(nodeName: string, layer: Module): void;
  /** Records a float initializer in the model's state dict under its name. */
  recordState(name: string, tensor: Tensor, loose: boolean): void;
}

interface Step {
  node: OnnxNode;
  label: string;
  op: CompiledOp;
  /** The Relu step this layer step absorbs in inference (its output is the Relu's), or null. */
  fusedRelu: Step | null;
  /** Values whose last reader is this step: dropped after it to free memory. */
  releases: string[];
}

export type Scope = ReadonlyMap<string, OnnxTensor>;

/** One run's progress: the layer step whose call is out with the driver, so that a failing layer can be named. */
export interface RunTrace {
  layer: string | null;
}

/**
 * An engine error (a layer's or a kernel's, which know nothing of the graph)
 * prefixed with the node it happened in; errors that already name the file,
 * and errors of other classes (bugs, not bad input), pass unchanged.
 */
export function naming(error: unknown, label: string | null, source: string): unknown {
  if (label === null || !(error instanceof Error) || error.constructor !== Error || error.message.startsWith(`${source}: `)) return error;
  return new Error(`${label}: ${error.message}`, { cause: error });
}

/**
 * Operators whose first output holds exactly the values of their data input (input 0), at most in another shape:
 * Dropout is the identity here (import refuses training mode). Not Relu and the like, which change some values.
 */
const PASSES_VALUES_ON: ReadonlySet<string> = new Set(['Identity', 'Dropout', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze']);

export class GraphProgram {
  /** The inputs the caller feeds (initializers excluded), in the file's order. */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Names this graph reads from an enclosing graph (If branches); empty for the main graph. */
  readonly outerReads = new Set<string>();
  private readonly steps: Step[];
  private readonly constants = new Map<string, OnnxTensor>();
  /**
   * Float initializers read as values, by name: read when the graph runs, not when it compiles, since
   * loadStateDict with assign (Tensor.setStorage) gives a parameter new storage.
   */
  private readonly parameterValues = new Map<string, Tensor>();
  private readonly source: string;

  constructor(graph: OnnxGraphProto, owner: ProgramOwner, outerNames: ReadonlySet<string> = new Set()) {
    const { source } = owner;
    this.source = source;
    const initializers = new Map<string, OnnxTensor>();
    for (const [index, proto] of graph.initializers.entries()) {
      const name = proto.name ?? '';
      if (name === '') throw new Error(`${source}: initializer ${index} has no name`);
      if (initializers.has(name)) throw new Error(`${source}: initializer '${name}' is defined twice`);
      initializers.set(name, tensorFromProto(proto, { source, what: `initializer '${name}'`, externalData: owner.externalData }));
    }
    // IR version < 4 lists every initializer among the inputs too: those are not fed by the caller.
    this.inputs = graph.inputs.filter((i) => !initializers.has(i.name));
    this.outputs = graph.outputs;
    const local = new Set([...initializers.keys(), ...this.inputs.map((i) => i.name)]);
    const nodes = topologicalOrder(graph.nodes, local, outerNames, source);
    const produced = new Set(nodes.flatMap((n) => n.outputs));
    for (const output of this.outputs) {
      if (!local.has(output.name) && !produced.has(output.name) && !outerNames.has(output.name)) {
        throw new Error(`${source}: graph output '${output.name}' is not produced by any node, input or initializer`);
      }
    }
    for (const node of nodes)
      for (const input of node.inputs) if (input !== '' && !local.has(input) && outerNames.has(input) && !produced.has(input)) this.outerReads.add(input);
    assertSupported(nodes, source);
    this.steps = this.compile(nodes, initializers, owner, outerNames);
  }

  private compile(nodes: OnnxNode[], initializers: Map<string, OnnxTensor>, owner: ProgramOwner, outerNames: ReadonlySet<string>): Step[] {
    const adopted = new Map<string, Tensor>(); // initializer → the layer parameter now holding it
    const steps: Step[] = [];
    const visible = new Set([...outerNames, ...initializers.keys(), ...this.inputs.map((i) => i.name)]);
    for (const node of nodes) {
      const label = `${owner.source}: node '${node.name}' (${node.opType})`;
      const attributes = new NodeAttributes(node.attributes, label);
      const known = (name: string | undefined): OnnxTensor | undefined =>
        name === undefined || name === '' ? undefined : (this.constants.get(name) ?? initializers.get(name));
      const adoptions: number[] = [];
      const op = OPERATORS.get(node.opType)!({
        node,
        opset: owner.opset,
        attributes,
        label,
        constantInput: (i) => known(node.inputs[i]),
        adoptInput: (i) => adoptions.push(i),
        compileSubgraph: (graph) => new GraphProgram(graph, owner, visible),
      });
      const unread = attributes.unread();
      if (unread.length > 0) throw new Error(`${label}: unsupported attribute${unread.length > 1 ? 's' : ''} ${unread.map((a) => `'${a}'`).join(', ')}`);
      for (const output of node.outputs) visible.add(output);
      if (op.kind === 'layer') {
        owner.adoptLayer(node.name, op.layer);
        const parameters = [...op.layer.namedParameters()];
        for (const [k, i] of adoptions.entries()) {
          const [name, parameter] = parameters[k];
          const earlier = adopted.get(node.inputs[i]);
          // One initializer read by two layers (a shared weight) is one parameter, as in the graph: a state-dict
          // load or an optimizer step then changes it for both.
          if (earlier instanceof Parameter && earlier.shape.join() === parameter.shape.join()) op.layer.setParameter(name, earlier);
          else adopted.set(node.inputs[i], parameter);
        }
      }
      if (node.opType === 'Constant') {
        // Known now: later nodes can treat it as a weight (a Reshape's shape, a Conv's filter).
        this.constants.set(node.outputs[0], (op as FunctionOp).run([], new Map())[0]);
        continue;
      }
      steps.push({ node, label, op, fusedRelu: null, releases: [] });
    }
    this.collectInitializers(initializers, adopted, steps, owner);
    planFusion(steps, new Set(this.outputs.map((o) => o.name)));
    planReleases(steps, new Set([...this.outputs.map((o) => o.name), ...this.constants.keys(), ...this.parameterValues.keys()]));
    return steps;
  }

  /** Initializers still read as values stay as constants (float ones as loose parameters); every float one joins the state dict. */
  private collectInitializers(initializers: Map<string, OnnxTensor>, adopted: Map<string, Tensor>, steps: Step[], owner: ProgramOwner): void {
    const readAsValue = new Set(
      steps.flatMap((s) => [...(s.op.kind === 'layer' ? [s.node.inputs[0]] : s.node.inputs), ...(s.op.kind === 'function' ? (s.op.outerReads ?? []) : [])]),
    );
    for (const name of this.outputs.map((o) => o.name)) readAsValue.add(name);
    for (const [name, value] of initializers) {
      const owned = adopted.get(name);
      if (owned !== undefined) owner.recordState(name, owned, false);
      if (owned !== undefined && !readAsValue.has(name)) continue;
      if (value.type === 'float32') {
        // A copy: the values may be a view of the caller's model bytes, which a state-dict load must not rewrite.
        const tensor = owned ?? new Parameter((value.data as Float32Array).slice(), value.shape, false);
        if (owned === undefined) owner.recordState(name, tensor, true);
        this.parameterValues.set(name, tensor);
      } else {
        this.constants.set(name, value);
      }
    }
  }

  /**
   * The op_type of the node whose values `name` holds: its producer, or, past nodes that hand their data input on
   * unchanged (an Identity or inference Dropout after a Softmax, a reshape), the producer of that input. Null for an
   * input or constant; a fused Relu's Conv counts as Relu.
   */
  valuesComeFrom(name: string): string | null {
    let value = name;
    let node = this.producerOf(value);
    while (node !== null && PASSES_VALUES_ON.has(node.opType) && node.outputs[0] === value) {
      value = node.inputs[0] ?? '';
      node = this.producerOf(value);
    }
    return node?.opType ?? null;
  }

  private producerOf(name: string): OnnxNode | null {
    for (const step of this.steps) {
      if (step.fusedRelu?.node.outputs.includes(name)) return step.fusedRelu.node;
      if (step.node.outputs.includes(name)) return step.node;
    }
    return null;
  }

  /**
   * Runs the program, yielding each layer call to the driver (forward-steps.ts)
   * and returning the graph's outputs by name. `scope` holds the enclosing
   * graph's values for a branch of If.
   */
  *execute(feeds: Scope, scope: Scope = new Map(), trace: RunTrace = { layer: null }): Generator<SubmoduleCall, Map<string, OnnxTensor>, Tensor> {
    const parameters = [...this.parameterValues].map(([name, tensor]) => [name, OnnxTensor.fromTensor(tensor)] as const);
    const env = new Map([...scope, ...this.constants, ...parameters, ...feeds]);
    const read = (name: string, step: Step): OnnxTensor | undefined => {
      if (name === '') return undefined;
      const value = env.get(name);
      if (value === undefined) throw new Error(`${step.label}: input '${name}' has no value`);
      return value;
    };
    for (const step of this.steps) {
      // A layer reads only its first input: the others are the weights it owns.
      const names = step.op.kind === 'layer' ? step.node.inputs.slice(0, 1) : step.node.inputs;
      const inputs = names.map((name) => read(name, step));
      const op = step.op.kind === 'layer' && inputs[0]?.type !== 'float32' && step.op.otherTypes !== undefined ? step.op.otherTypes : step.op;
      if (op.kind === 'layer') {
        const input = inputs[0];
        if (input === undefined) throw new Error(`${step.label}: missing input 0`);
        trace.layer = step.label; // from here, a failure (in prepare or the layer) is this node's
        let x = input.toTensor(`${step.label} input`);
        if (op.inputRank !== undefined && x.ndim !== op.inputRank) {
          throw new Error(`${step.label}: expected an input of rank ${op.inputRank}, got ${shapeToString(x.shape)}`);
        }
        if (op.prepare !== undefined) x = op.prepare(x);
        const relu = step.fusedRelu;
        const reluLayer = relu?.op.kind === 'layer' ? relu.op.layer : null;
        if (relu !== null && reluLayer !== null && !isGradEnabled() && !op.layer.hasForwardHooks && !reluLayer.hasForwardHooks) {
          const y = yield [op.layer as Module & ReluFusable, x, 'fused-relu'];
          env.set(relu.node.outputs[0], OnnxTensor.fromTensor(y));
        } else {
          const y = yield [op.layer, x];
          env.set(step.node.outputs[0], OnnxTensor.fromTensor(y));
          if (relu !== null && reluLayer !== null) env.set(relu.node.outputs[0], OnnxTensor.fromTensor(yield [reluLayer, y]));
        }
        trace.layer = null;
      } else {
        let outputs: OnnxTensor[];
        try {
          outputs = op.run(inputs, env);
        } catch (error) {
          throw naming(error, step.label, this.source);
        }
        step.node.outputs.forEach((name, i) => {
          if (name !== '' && outputs[i] !== undefined) env.set(name, outputs[i]);
        });
      }
      for (const name of step.releases) env.delete(name);
    }
    const results = new Map<string, OnnxTensor>();
    for (const output of this.outputs) {
      const value = env.get(output.name);
      if (value === undefined) throw new Error(`${this.source}: graph output '${output.name}' was not computed`);
      results.set(output.name, value);
    }
    return results;
  }
}

/** Every unsupported operator in one message, with the supported list. */
function assertSupported(nodes: OnnxNode[], source: string): void {
  const missing = new Map<string, string>();
  for (const node of nodes) {
    const domain = normalizeDomain(node.domain);
    const key = domain === '' ? node.opType : `${domain}.${node.opType}`;
    if ((domain !== '' || !OPERATORS.has(node.opType)) && !missing.has(key)) missing.set(key, node.name);
  }
  if (missing.size === 0) return;
  const list = [...missing].map(([op, name]) => `${op} (node '${name}')`).join(', ');
  throw new Error(`${source}: unsupported operator${missing.size > 1 ? 's' : ''} ${list}; supported: ${supportedOperators().join(', ')}`);
}

/** Kahn's order, keeping the file's order among ready nodes; names the first value nothing produces. */
function topologicalOrder(nodes: OnnxNode[], local: Set<string>, outer: ReadonlySet<string>, source: string): OnnxNode[] {
  const producers = new Set<string>();
  for (const node of nodes) {
    for (const output of node.outputs) {
      if (output === '') continue;
      if (producers.has(output) || local.has(output)) throw new Error(`${source}: value '${output}' is produced twice (node '${node.name}')`);
      producers.add(output);
    }
  }
  for (const node of nodes) {
    for (const input of node.inputs) {
      if (input !== '' && !local.has(input) && !producers.has(input) && !outer.has(input)) {
        throw new Error(`${source}: node '${node.name}' (${node.opType}) reads '${input}', which no node, input or initializer produces`);
      }
    }
  }
  // Kahn's algorithm over dependency counts, the ready node earliest in the file first (a heap of indices): the
  // file's order when it is already sorted, and linear time for a chain (waves re-filtering every remaining node
  // took 10 s for a chain of 20,000).
  const producerIndex = new Map<string, number>();
  nodes.forEach((node, i) => {
    for (const output of node.outputs) if (output !== '') producerIndex.set(output, i);
  });
  const pending = new Array<number>(nodes.length).fill(0);
  const consumers: number[][] = nodes.map(() => []);
  nodes.forEach((node, i) => {
    // An If reads its branches' free names too: it must wait for the nodes of this graph that produce them.
    for (const name of [...node.inputs, ...subgraphReads(node)]) {
      const producer = producerIndex.get(name);
      if (producer === undefined) continue; // an input, initializer or outer name ('' included): already there
      pending[i]++;
      consumers[producer].push(i);
    }
  });
  const ready = new IndexHeap();
  for (let i = 0; i < nodes.length; i++) if (pending[i] === 0) ready.push(i);
  const ordered: OnnxNode[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    ordered.push(nodes[i]);
    for (const consumer of consumers[i]) if (--pending[consumer] === 0) ready.push(consumer);
  }
  if (ordered.length < nodes.length) {
    const stuck = nodes.find((_, i) => pending[i] > 0)!;
    throw new Error(`${source}: the graph has a cycle through node '${stuck.name}'`);
  }
  return ordered;
}

/** A min-heap of node indices. */
class IndexHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const a = this.items;
    a.push(value);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= a[i]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/** The names a node's subgraphs (If's branches, at any depth) read from enclosing graphs. */
function subgraphReads(node: OnnxNode): string[] {
  const reads: string[] = [];
  for (const attribute of node.attributes.values()) {
    if (attribute.kind !== 'graph') continue;
    const graph = attribute.value;
    const defined = new Set([...graph.initializers.map((i) => i.name ?? ''), ...graph.inputs.map((i) => i.name), ...graph.nodes.flatMap((n) => n.outputs)]);
    for (const inner of graph.nodes) for (const name of [...inner.inputs, ...subgraphReads(inner)]) if (name !== '' && !defined.has(name)) reads.push(name);
  }
  return reads;
}

/** A Conv or Gemm layer directly followed by the only reader of its output, a Relu, runs both in one kernel. */
function planFusion(steps: Step[], graphOutputs: Set<string>): void {
  const readers = new Map<string, number>();
  for (const step of steps) {
    for (const input of step.node.inputs) readers.set(input, (readers.get(input) ?? 0) + 1);
    if (step.op.kind === 'function') for (const name of step.op.outerReads ?? []) readers.set(name, (readers.get(name) ?? 0) + 1);
  }
  for (let i = 0; i + 1 < steps.length; i++) {
    const [step, next] = [steps[i], steps[i + 1]];
    const output = step.node.outputs[0];
    const fusable = step.op.kind === 'layer' && 'forwardFusedRelu' in step.op.layer && step.op.prepare === undefined;
    if (fusable && next.node.opType === 'Relu' && next.node.inputs[0] === output && readers.get(output) === 1 && !graphOutputs.has(output)) {
      step.fusedRelu = next;
      steps.splice(i + 1, 1);
    }
  }
}

/** After which step each intermediate value is read for the last time (a branch's reads count as its If's). */
function planReleases(steps: Step[], keep: Set<string>): void {
  const lastReader = new Map<string, Step>();
  for (const step of steps) {
    for (const input of step.node.inputs) if (input !== '') lastReader.set(input, step);
    if (step.op.kind === 'function') for (const name of step.op.outerReads ?? []) lastReader.set(name, step);
  }
  for (const [name, step] of lastReader) if (!keep.has(name)) step.releases.push(name);
}
