/**
 * An ONNX model file's bytes ⇄ the model in plain terms: opsets, the graph's
 * nodes with typed attributes, initializers (still TensorProto: materialized
 * by the importer, which knows where external data lives), inputs and
 * outputs with their element types and shapes.
 */
import { fail, FormatError } from '../formats/errors.js';
import { int64Value, type Int64 } from './int64.js';
import { dataTypeName, elementTypeOfCode, ONNX_DATA_TYPE, type OnnxElementType } from './onnx-tensor.js';
import { MAX_OPSET, MIN_OPSET } from './ops/index.js';
import { ModelProtoType } from './schema.js';
import type { TensorProtoMessage } from './tensor-proto.js';

export type AttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorProtoMessage }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'graph'; value: OnnxGraphProto }
  | { kind: 'unsupported'; value: string };

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, AttributeValue>;
}

/** One dimension of a declared shape: a size, a symbolic name ('batch'), or unknown. */
export type DeclaredDim = number | string | null;

export interface OnnxValueInfo {
  name: string;
  /** null when the file does not say (or says a type we do not hold). */
  elementType: OnnxElementType | null;
  /** The ONNX name of a declared type we do not hold ('FLOAT16', 'STRING'...); absent otherwise. */
  unsupportedType?: string;
  /** null when the file declares no shape. */
  shape: DeclaredDim[] | null;
}

export interface OnnxGraphProto {
  name: string;
  nodes: OnnxNode[];
  initializers: TensorProtoMessage[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModelProto {
  irVersion: number;
  /** domain ('' is the default ai.onnx) → version. */
  opsets: Map<string, number>;
  producerName: string;
  producerVersion: string;
  docString: string;
  metadata: Map<string, string>;
  graph: OnnxGraphProto;
}

// ---- decoding ---------------------------------------------------------------

/** protobufjs' decoded messages, loosely typed: only what the conversion reads. */
interface Message {
  [field: string]: unknown;
}

const textDecoder = new TextDecoder();

export function decodeModel(bytes: Uint8Array, source: string): OnnxModelProto {
  if (bytes.length === 0) fail(source, 'empty file: expected an ONNX model (ModelProto)');
  let message: Message;
  try {
    message = ModelProtoType.decode(bytes) as unknown as Message;
  } catch (error) {
    if (error instanceof FormatError) throw error;
    fail(source, `not a valid ONNX model (truncated or corrupt protobuf: ${(error as Error).message})`);
  }
  const graph = message.graph as Message | undefined;
  if (graph === undefined || graph === null) fail(source, 'not an ONNX model: the file has no graph');
  const opsets = new Map<string, number>();
  for (const entry of (message.opsetImport as Message[] | undefined) ?? []) {
    const domain = normalizeDomain((entry.domain as string | undefined) ?? '');
    opsets.set(domain, int64Value(entry.version as Int64));
  }
  const irVersion = int64Value(message.irVersion as Int64);
  // IR version 3 and later name their opsets; earlier files are older than any opset we run.
  if (opsets.size === 0)
    fail(source, `the model imports no operator set (IR version ${irVersion}); expected opset ${MIN_OPSET} to ${MAX_OPSET} of the default domain`);
  const metadata = new Map<string, string>();
  for (const entry of (message.metadataProps as Message[] | undefined) ?? []) metadata.set(String(entry.key ?? ''), String(entry.value ?? ''));
  return {
    irVersion,
    opsets,
    producerName: String(message.producerName ?? ''),
    producerVersion: String(message.producerVersion ?? ''),
    docString: String(message.docString ?? ''),
    metadata,
    graph: decodeGraph(graph, source, 0),
  };
}

/** 'ai.onnx' and '' both name the default domain. */
export function normalizeDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}

/** Subgraphs (If's branches) nest; deeper than this is not a model anyone wrote by hand or by exporter. */
const MAX_GRAPH_DEPTH = 16;

function decodeGraph(graph: Message, source: string, depth: number): OnnxGraphProto {
  if (depth > MAX_GRAPH_DEPTH) fail(source, `subgraphs nest deeper than ${MAX_GRAPH_DEPTH} levels`);
  const nodes = ((graph.node as Message[] | undefined) ?? []).map((node, index) => decodeNode(node, index, source, depth));
  return {
    name: String(graph.name ?? ''),
    nodes,
    initializers: (graph.initializer as TensorProtoMessage[] | undefined) ?? [],
    inputs: ((graph.input as Message[] | undefined) ?? []).map(decodeValueInfo),
    outputs: ((graph.output as Message[] | undefined) ?? []).map(decodeValueInfo),
  };
}

function decodeNode(node: Message, index: number, source: string, depth: number): OnnxNode {
  const opType = String(node.opType ?? '');
  const name = String(node.name ?? '') || `${opType || 'node'}_${index}`;
  if (opType === '') fail(source, `node ${index} ('${name}') has no op_type`);
  const attributes = new Map<string, AttributeValue>();
  for (const attribute of (node.attribute as Message[] | undefined) ?? []) {
    const attrName = String(attribute.name ?? '');
    attributes.set(attrName, decodeAttribute(attribute, source, depth));
  }
  return {
    name,
    opType,
    domain: normalizeDomain(String(node.domain ?? '')),
    inputs: ((node.input as string[] | undefined) ?? []).map(String),
    outputs: ((node.output as string[] | undefined) ?? []).map(String),
    attributes,
  };
}

/** AttributeProto.AttributeType codes (onnx.proto); protobufjs gives enum values as numbers. */
const ATTRIBUTE_KINDS: Record<number, string> = {
  1: 'float',
  2: 'int',
  3: 'string',
  4: 'tensor',
  5: 'graph',
  6: 'floats',
  7: 'ints',
  8: 'strings',
  9: 'tensors',
  10: 'graphs',
  11: 'sparse_tensor',
  12: 'sparse_tensors',
  13: 'type_proto',
  14: 'type_protos',
};

function decodeAttribute(attribute: Message, source: string, depth: number): AttributeValue {
  let kind = ATTRIBUTE_KINDS[Number(attribute.type ?? 0)];
  // IR version 1 files leave `type` unset: infer it from the field that is present.
  if (kind === undefined) kind = inferAttributeKind(attribute);
  switch (kind) {
    case 'float':
      return { kind, value: Number(attribute.f ?? 0) };
    case 'int':
      return { kind, value: int64Value(attribute.i as Int64) };
    case 'string':
      // An absent bytes field decodes to protobufjs' default, an empty plain array (not a Uint8Array).
      return { kind, value: attribute.s instanceof Uint8Array ? textDecoder.decode(attribute.s) : '' };
    case 'tensor':
      return { kind, value: (attribute.t as TensorProtoMessage | undefined) ?? {} };
    case 'floats':
      return { kind, value: ((attribute.floats as number[] | undefined) ?? []).map(Number) };
    case 'ints':
      return { kind, value: ((attribute.ints as Int64[] | undefined) ?? []).map((v) => int64Value(v)) };
    case 'strings':
      return { kind, value: ((attribute.strings as Uint8Array[] | undefined) ?? []).map((s) => textDecoder.decode(s)) };
    case 'graph':
      return { kind, value: decodeGraph((attribute.g as Message | undefined) ?? {}, source, depth + 1) };
    default:
      return { kind: 'unsupported', value: kind ?? 'undefined' };
  }
}

function inferAttributeKind(attribute: Message): string {
  const nonEmpty = (field: string): boolean => Array.isArray(attribute[field]) && (attribute[field] as unknown[]).length > 0;
  if (nonEmpty('floats')) return 'floats';
  if (nonEmpty('ints')) return 'ints';
  if (nonEmpty('strings')) return 'strings';
  if (attribute.t !== undefined && attribute.t !== null) return 'tensor';
  if (attribute.g !== undefined && attribute.g !== null) return 'graph';
  if (attribute.s !== undefined && (attribute.s as Uint8Array).length > 0) return 'string';
  if (attribute.i !== undefined && int64Value(attribute.i as Int64) !== 0) return 'int';
  if (attribute.f !== undefined && attribute.f !== 0) return 'float';
  return 'undefined';
}

function decodeValueInfo(info: Message): OnnxValueInfo {
  const name = String(info.name ?? '');
  const tensorType = (info.type as Message | undefined)?.tensorType as Message | undefined;
  if (tensorType === undefined || tensorType === null) return { name, elementType: null, shape: null };
  const code = Number(tensorType.elemType ?? 0);
  const shapeMessage = tensorType.shape as Message | undefined;
  const shape =
    shapeMessage === undefined || shapeMessage === null
      ? null
      : ((shapeMessage.dim as Message[] | undefined) ?? []).map((d): DeclaredDim => {
          // Decoded messages carry defaults on their prototype: only own properties were in the file.
          if (Object.hasOwn(d, 'dimValue')) return int64Value(d.dimValue as Int64);
          if (Object.hasOwn(d, 'dimParam') && d.dimParam !== '') return String(d.dimParam);
          return null;
        });
  const elementType = elementTypeOfCode(code);
  return { name, elementType, shape, ...(elementType === null && code !== 0 ? { unsupportedType: dataTypeName(code) } : {}) };
}

/** "float32", or the ONNX name of a type we do not hold, for messages. */
export function describeElementType(info: OnnxValueInfo, code?: number): string {
  return info.elementType ?? (code === undefined ? 'unknown' : dataTypeName(code));
}

// ---- encoding ---------------------------------------------------------------

function encodeAttribute(name: string, attribute: AttributeValue): Message {
  switch (attribute.kind) {
    case 'float':
      return { name, type: 1, f: attribute.value };
    case 'int':
      return { name, type: 2, i: attribute.value };
    case 'string':
      return { name, type: 3, s: new TextEncoder().encode(attribute.value) };
    case 'tensor':
      return { name, type: 4, t: attribute.value };
    case 'floats':
      return { name, type: 6, floats: attribute.value };
    case 'ints':
      return { name, type: 7, ints: attribute.value };
    case 'strings':
      return { name, type: 8, strings: attribute.value.map((s) => new TextEncoder().encode(s)) };
    case 'graph':
    case 'unsupported':
      throw new Error(`attribute '${name}': the exporter does not write ${attribute.kind === 'graph' ? 'subgraphs' : `attributes of kind ${attribute.value}`}`);
  }
}

function encodeValueInfo(info: OnnxValueInfo): Message {
  if (info.elementType === null) return { name: info.name };
  const tensorType: Message = { elemType: ONNX_DATA_TYPE[info.elementType] };
  if (info.shape !== null) {
    tensorType.shape = { dim: info.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) };
  }
  return { name: info.name, type: { tensorType } };
}

/** The model as ONNX bytes (ModelProto). */
export function encodeModel(model: OnnxModelProto): Uint8Array {
  const message = {
    irVersion: model.irVersion,
    opsetImport: [...model.opsets].map(([domain, version]) => ({ domain, version })),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    docString: model.docString,
    metadataProps: [...model.metadata].map(([key, value]) => ({ key, value })),
    graph: {
      name: model.graph.name,
      node: model.graph.nodes.map((node) => ({
        name: node.name,
        opType: node.opType,
        domain: node.domain,
        input: node.inputs,
        output: node.outputs,
        attribute: [...node.attributes].map(([name, value]) => encodeAttribute(name, value)),
      })),
      initializer: model.graph.initializers,
      input: model.graph.inputs.map(encodeValueInfo),
      output: model.graph.outputs.map(encodeValueInfo),
    },
  };
  return ModelProtoType.encode(ModelProtoType.create(message)).finish();
}
