/**
 * Small ONNX models written with the project's own encoder (encodeModel), for
 * tests and the fuzzer's seed corpus: no committed .onnx files, no Python.
 */
import { encodeModel, OnnxTensor, type OnnxElementType, type OnnxModelProto, type OnnxNode, type OnnxValueInfo } from '../../src/onnx/index.js';
import type { AttributeValue, DeclaredDim } from '../../src/onnx/model-proto.js';
import { ModelProtoType } from '../../src/onnx/schema.js';
import { type TensorProtoMessage, tensorToProto } from '../../src/onnx/tensor-proto.js';

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  name = `${opType.toLowerCase()}_0`,
  attributes: Record<string, AttributeValue> = {},
): OnnxNode {
  return { name, opType, domain: '', inputs, outputs, attributes: new Map(Object.entries(attributes)) };
}

export function valueInfo(name: string, shape: DeclaredDim[] | null, elementType: OnnxElementType | null = 'float32'): OnnxValueInfo {
  return { name, elementType, shape };
}

export const ints = (value: number[]): AttributeValue => ({ kind: 'ints', value });
export const int = (value: number): AttributeValue => ({ kind: 'int', value });
export const float = (value: number): AttributeValue => ({ kind: 'float', value });

/** A float32 initializer in raw_data; `values` default to a small deterministic ramp. */
export function floatInitializer(name: string, shape: number[], values?: ArrayLike<number>): TensorProtoMessage {
  const count = shape.reduce((a, b) => a * b, 1);
  const data = values === undefined ? Float32Array.from({ length: count }, (_, i) => ((i * 7) % 11) / 10 - 0.5) : Float32Array.from(values);
  return tensorToProto(name, new OnnxTensor('float32', shape, data));
}

export function int64Initializer(name: string, values: number[], shape: number[] = [values.length]): TensorProtoMessage {
  return tensorToProto(name, OnnxTensor.fromInt64(values, shape));
}

export interface GraphSpec {
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers?: TensorProtoMessage[];
  /** Default domain's opset (default 13); other domains with `opsets`. */
  opset?: number;
  opsets?: Map<string, number>;
  name?: string;
}

export function graphModel(spec: GraphSpec): OnnxModelProto {
  return {
    irVersion: 7,
    opsets: spec.opsets ?? new Map([['', spec.opset ?? 13]]),
    producerName: 'alexnet-ts tests',
    producerVersion: '',
    docString: '',
    metadata: new Map(),
    graph: { name: spec.name ?? 'test', nodes: spec.nodes, initializers: spec.initializers ?? [], inputs: spec.inputs, outputs: spec.outputs },
  };
}

/** The encoded model as a plain Uint8Array (protobufjs hands out a Buffer under Node, whose slice() does not copy). */
export function graphBytes(spec: GraphSpec): Uint8Array {
  return new Uint8Array(encodeModel(graphModel(spec)));
}

/** y = a + b over two float32 inputs of shape `shape`. */
export function addGraph(shape: DeclaredDim[] = [2, 3]): Uint8Array {
  return graphBytes({
    name: 'add',
    nodes: [node('Add', ['a', 'b'], ['sum'])],
    inputs: [valueInfo('a', shape), valueInfo('b', shape)],
    outputs: [valueInfo('sum', shape)],
  });
}

/**
 * A tiny image classifier: input [N, 1, 6, 6] → Conv(2 filters, 3×3, pad 1) →
 * Relu → MaxPool 2×2 → Flatten → Gemm(18 → 3) → Softmax.
 */
export function tinyConvNet(opset = 13): Uint8Array {
  return graphBytes({
    name: 'tiny-convnet',
    opset,
    nodes: [
      node('Conv', ['input', 'conv.weight', 'conv.bias'], ['c'], 'conv', { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]), strides: ints([1, 1]) }),
      node('Relu', ['c'], ['r'], 'relu'),
      node('MaxPool', ['r'], ['p'], 'pool', { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }),
      node('Flatten', ['p'], ['f'], 'flatten', { axis: int(1) }),
      node('Gemm', ['f', 'fc.weight', 'fc.bias'], ['logits'], 'fc', { transB: int(1), alpha: float(1), beta: float(1) }),
      node('Softmax', ['logits'], ['probs'], 'softmax', { axis: int(1) }),
    ],
    initializers: [
      floatInitializer('conv.weight', [2, 1, 3, 3]),
      floatInitializer('conv.bias', [2]),
      floatInitializer('fc.weight', [3, 18]),
      floatInitializer('fc.bias', [3]),
    ],
    inputs: [valueInfo('input', ['batch', 1, 6, 6])],
    outputs: [valueInfo('probs', ['batch', 3])],
  });
}

/** Constant (an int64 shape) → Reshape [N, 2, 2, 2] to [N, 8] → MatMul [8, 2] → Add bias. */
export function reshapeMatMul(): Uint8Array {
  const shape = tensorToProto('shape', OnnxTensor.fromInt64([0, -1]));
  return graphBytes({
    name: 'reshape-matmul',
    nodes: [
      node('Constant', [], ['shape'], 'shape', { value: { kind: 'tensor', value: shape } }),
      node('Reshape', ['x', 'shape'], ['flat'], 'reshape'),
      node('MatMul', ['flat', 'w'], ['mm'], 'matmul'),
      node('Add', ['mm', 'b'], ['y'], 'add'),
    ],
    initializers: [floatInitializer('w', [8, 2]), floatInitializer('b', [2])],
    inputs: [valueInfo('x', ['N', 2, 2, 2])],
    outputs: [valueInfo('y', ['N', 2])],
  });
}

/**
 * LRN → AveragePool (pads 1) → Pad (an int64 pads input) → Mul by a scalar
 * held in float_data (not raw_data) → GlobalAveragePool → Flatten, on [1, 2, 5, 5].
 */
export function lrnPoolGraph(): Uint8Array {
  return graphBytes({
    name: 'lrn-pool',
    nodes: [
      node('LRN', ['x'], ['n'], 'lrn', { size: int(3), alpha: float(1e-4), beta: float(0.75), bias: float(1) }),
      node('AveragePool', ['n'], ['a'], 'avgpool', { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]), count_include_pad: int(0) }),
      node('Pad', ['a', 'pads'], ['p'], 'pad', { mode: { kind: 'string', value: 'constant' } }),
      node('Mul', ['p', 'scale'], ['m'], 'mul'),
      node('GlobalAveragePool', ['m'], ['g'], 'gap'),
      node('Flatten', ['g'], ['y'], 'flatten'),
    ],
    initializers: [int64Initializer('pads', [0, 0, 1, 1, 0, 0, 1, 1]), { name: 'scale', dims: [1], dataType: 1, floatData: [0.5] }],
    inputs: [valueInfo('x', [1, 2, 5, 5])],
    outputs: [valueInfo('y', [1, 2])],
  });
}

/**
 * Shape → Gather → Unsqueeze → Concat builds [N, -1]; Reshape flattens x
 * [N, 3, 4, 4]; an If on a bool initializer picks Relu (then) or Neg (else).
 * encodeModel writes no subgraphs, so the If node is added to the decoded
 * message and the model encoded again with the schema.
 */
export function shapeIfGraph(condition = true): Uint8Array {
  const base = graphBytes({
    name: 'shape-if',
    nodes: [
      node('Shape', ['x'], ['dims'], 'shape'),
      node('Gather', ['dims', 'zero'], ['n'], 'gather', { axis: int(0) }),
      node('Unsqueeze', ['n', 'axes'], ['n1'], 'unsqueeze'),
      node('Concat', ['n1', 'minus_one'], ['target'], 'concat', { axis: int(0) }),
      node('Reshape', ['x', 'target'], ['flat'], 'reshape'),
    ],
    initializers: [
      int64Initializer('zero', [0], []),
      int64Initializer('axes', [0]),
      int64Initializer('minus_one', [-1]),
      tensorToProto('cond', new OnnxTensor('bool', [], Uint8Array.of(condition ? 1 : 0))),
    ],
    inputs: [valueInfo('x', ['N', 3, 4, 4])],
    outputs: [valueInfo('y', ['N', 48])],
  });
  const branch = (opType: string, name: string) => ({
    name,
    type: 5, // GRAPH
    g: { name, node: [{ name: `${name}_node`, opType, input: ['flat'], output: [`${name}_out`] }], output: [{ name: `${name}_out` }] },
  });
  const message = ModelProtoType.decode(base) as unknown as { graph: { node: unknown[] } };
  message.graph.node.push({
    name: 'if',
    opType: 'If',
    input: ['cond'],
    output: ['y'],
    attribute: [branch('Relu', 'then_branch'), branch('Neg', 'else_branch')],
  });
  return new Uint8Array(ModelProtoType.encode(ModelProtoType.create(message)).finish());
}

/**
 * A tiny ImageNet-shaped classifier for server tests: input [N, 3, 224, 224]
 * → Conv(4 filters, 8×8, stride 8) → Relu → GlobalAveragePool → Flatten →
 * Gemm(4 → 10) logits. Real preprocessing, next to no compute.
 */
export function tinyImageClassifier(): Uint8Array {
  return graphBytes({
    name: 'tiny-image-classifier',
    nodes: [
      node('Conv', ['input', 'conv.weight', 'conv.bias'], ['c'], 'conv', { kernel_shape: ints([8, 8]), strides: ints([8, 8]) }),
      node('Relu', ['c'], ['r'], 'relu'),
      node('GlobalAveragePool', ['r'], ['p'], 'pool'),
      node('Flatten', ['p'], ['f'], 'flatten', { axis: int(1) }),
      node('Gemm', ['f', 'fc.weight', 'fc.bias'], ['logits'], 'fc', { transB: int(1) }),
    ],
    initializers: [
      floatInitializer(
        'conv.weight',
        [4, 3, 8, 8],
        Float32Array.from({ length: 4 * 3 * 64 }, (_, i) => Math.sin(i * 0.37) * 0.05),
      ),
      floatInitializer('conv.bias', [4]),
      floatInitializer(
        'fc.weight',
        [10, 4],
        Float32Array.from({ length: 40 }, (_, i) => Math.cos(i * 0.91) * 3),
      ),
      floatInitializer('fc.bias', [10]),
    ],
    inputs: [valueInfo('input', ['batch', 3, 224, 224])],
    outputs: [valueInfo('logits', ['batch', 10])],
  });
}
