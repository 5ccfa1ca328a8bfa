/**
 * What an ONNX operator turns into when a graph is imported. A node either
 * becomes one of our layers (Conv → Conv2d, Gemm → Linear, ...), so that an
 * imported model gets what a built-in one has (prepared weights, bf16, fused
 * ReLU, async kernels, the summary's hooks), or a function of its inputs.
 */
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { GraphProgram } from '../graph-program.js';
import type { OnnxGraphProto, OnnxNode } from '../model-proto.js';
import type { OnnxTensor } from '../onnx-tensor.js';
import type { NodeAttributes } from './attributes.js';

export interface CompileContext {
  node: OnnxNode;
  /** The default domain's opset the model imports (attributes and inputs changed across opsets). */
  opset: number;
  attributes: NodeAttributes;
  /** "node 'conv1' (Conv)", for error messages. */
  label: string;
  /** Input i's value when it is known at import time (an initializer or a Constant's output), else undefined. */
  constantInput(i: number): OnnxTensor | undefined;
  /** Marks initializer input i as owned by the layer this node becomes (it leaves the graph's loose parameters). */
  adoptInput(i: number): void;
  /** Compiles a graph attribute (If's branches), which may read this graph's values by name. */
  compileSubgraph(graph: OnnxGraphProto): GraphProgram;
}

/** The node runs as a layer on its first input; `prepare` adapts that input first (e.g. asymmetric padding). */
export interface LayerOp {
  kind: 'layer';
  layer: Module;
  prepare?: (x: Tensor) => Tensor;
  /** The rank the input must have (ONNX's Conv takes X of W's rank, where the layer would also take [C, H, W]). */
  inputRank?: number;
  /** Runs instead of the layer when the input is not float32 (layers compute in float32 only). */
  otherTypes?: FunctionOp;
}

/** The node runs as a function of its inputs (undefined where an optional input is omitted). */
export interface FunctionOp {
  kind: 'function';
  /** `scope` is every value computed so far, for ops whose subgraphs read the enclosing graph (If). */
  run(inputs: readonly (OnnxTensor | undefined)[], scope: ReadonlyMap<string, OnnxTensor>): OnnxTensor[];
  /** Values of the enclosing graph this op reads besides its inputs (its subgraphs' free names). */
  outerReads?: ReadonlySet<string>;
}

export type CompiledOp = LayerOp | FunctionOp;

export type OpCompiler = (context: CompileContext) => CompiledOp;

/** Reads input i or fails naming the node, for inputs the operator requires. */
export function requireInput(inputs: readonly (OnnxTensor | undefined)[], i: number, label: string, what: string): OnnxTensor {
  const value = inputs[i];
  if (value === undefined) throw new Error(`${label}: missing input ${i} (${what})`);
  return value;
}
