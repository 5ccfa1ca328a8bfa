/**
 * TensorProto ⇄ OnnxTensor. A tensor's data can sit in raw_data (little-
 * endian bytes), in the typed repeated field its type uses (float_data,
 * int32_data for the small integer types and bool, int64_data, double_data,
 * uint64_data for uint32/uint64), or in an external file beside the model.
 * Sizes are checked against the dims before anything is allocated.
 */
import { fail } from '../formats/errors.js';
import { MAX_TENSOR_ELEMENTS, shapeToString } from '../tensor/shape.js';
import { allocateElements, dataTypeName, ELEMENT_SIZE, elementsFromBytes, elementTypeOfCode, isBigIntType, OnnxTensor, ONNX_DATA_TYPE } from './onnx-tensor.js';
import { int64Value, type Int64 } from './int64.js';

/** TensorProto as protobufjs decodes it (fields absent from the file are absent or empty). */
export interface TensorProtoMessage {
  name?: string;
  dims?: Int64[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
  uint64Data?: Int64[];
  rawData?: Uint8Array;
  externalData?: { key?: string; value?: string }[];
  dataLocation?: number;
  stringData?: Uint8Array[];
}

/** Where external data lives: the bytes [offset, offset + length) of a file named relative to the model's folder. */
export interface ExternalDataRef {
  location: string;
  offset: number;
  /** Absent: to the end of the file. */
  length: number | undefined;
}

/** Reads external data; the Node side supplies it (the core has no file system). */
export type ExternalDataReader = (ref: ExternalDataRef) => Uint8Array;

export interface TensorFromProtoOptions {
  /** The model file, for error messages. */
  source: string;
  /** What the tensor is (e.g. "initializer 'conv1_w_0'"), for error messages. */
  what: string;
  externalData?: ExternalDataReader;
}

export function tensorDims(proto: TensorProtoMessage, source: string, what: string): number[] {
  const dims = (proto.dims ?? []).map((d) => int64Value(d));
  for (const d of dims) if (!Number.isSafeInteger(d) || d < 0) fail(source, `${what}: invalid dimension ${d} in shape [${dims.join(', ')}]`);
  if (dims.includes(0)) return dims; // empty, whatever the other dimensions
  let count = 1;
  for (const d of dims) {
    count *= d;
    if (count > MAX_TENSOR_ELEMENTS) fail(source, `${what}: shape [${dims.join(', ')}] holds more than ${MAX_TENSOR_ELEMENTS} elements`);
  }
  return dims;
}

export function tensorFromProto(proto: TensorProtoMessage, options: TensorFromProtoOptions): OnnxTensor {
  const { source, what } = options;
  const code = proto.dataType ?? 0;
  const type = elementTypeOfCode(code);
  if (type === null) fail(source, `${what}: element type ${dataTypeName(code)} is not supported (float32, float64, integers and bool are)`);
  const shape = tensorDims(proto, source, what);
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = `${count} elements for shape ${shapeToString(shape)}`;

  if (proto.dataLocation === 1) {
    const bytes = readExternal(proto, options, count * ELEMENT_SIZE[type]);
    return new OnnxTensor(type, shape, elementsFromBytes(type, bytes));
  }
  if (proto.rawData !== undefined && proto.rawData.length > 0) {
    const size = ELEMENT_SIZE[type];
    if (proto.rawData.length !== count * size) fail(source, `${what}: raw_data holds ${proto.rawData.length} bytes, expected ${count * size} (${expected})`);
    return new OnnxTensor(type, shape, elementsFromBytes(type, proto.rawData));
  }
  const field = typedField(proto, type);
  if (field.values.length !== count) fail(source, `${what}: ${field.name} holds ${field.values.length} values, expected ${expected}`);
  const data = allocateElements(type, count);
  if (isBigIntType(type)) {
    const out = data as BigInt64Array | BigUint64Array;
    for (let i = 0; i < count; i++) out[i] = BigInt(int64Text(field.values[i]));
  } else {
    const out = data as Exclude<typeof data, BigInt64Array | BigUint64Array>;
    for (let i = 0; i < count; i++) out[i] = int64Value(field.values[i]);
  }
  return new OnnxTensor(type, shape, data);
}

/** The repeated field that holds elements of `type` when raw_data is not used (onnx.proto's comments). */
function typedField(proto: TensorProtoMessage, type: ReturnType<typeof elementTypeOfCode> & string): { name: string; values: (number | Int64)[] } {
  switch (type) {
    case 'float32':
      return { name: 'float_data', values: proto.floatData ?? [] };
    case 'float64':
      return { name: 'double_data', values: proto.doubleData ?? [] };
    case 'int64':
      return { name: 'int64_data', values: proto.int64Data ?? [] };
    case 'uint32':
    case 'uint64':
      return { name: 'uint64_data', values: proto.uint64Data ?? [] };
    default:
      return { name: 'int32_data', values: proto.int32Data ?? [] };
  }
}

/** An int64 as decimal text, exact (BigInt takes it from there). */
function int64Text(v: number | Int64): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return v.toString();
}

function readExternal(proto: TensorProtoMessage, options: TensorFromProtoOptions, byteLength: number): Uint8Array {
  const { source, what } = options;
  const entries = new Map((proto.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (location === undefined || location === '') fail(source, `${what}: external data without a 'location'`);
  const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
  const length = entries.has('length') ? Number(entries.get('length')) : undefined;
  if (!Number.isSafeInteger(offset) || offset < 0) fail(source, `${what}: invalid external data offset '${entries.get('offset')}'`);
  if (length !== undefined && length !== byteLength) {
    fail(source, `${what}: external data length ${entries.get('length')} does not match the ${byteLength} bytes its shape needs`);
  }
  if (options.externalData === undefined) fail(source, `${what}: the data is in an external file (${location}); load the model from a file path to read it`);
  const bytes = options.externalData({ location, offset, length: byteLength });
  if (bytes.length !== byteLength) fail(source, `${what}: external file ${location} holds ${bytes.length} bytes from offset ${offset}, expected ${byteLength}`);
  return bytes;
}

/** A TensorProto with the data in raw_data (what onnxruntime and torch write for initializers). */
export function tensorToProto(name: string, tensor: OnnxTensor): TensorProtoMessage {
  const { data } = tensor;
  return {
    name,
    dims: [...tensor.shape],
    dataType: ONNX_DATA_TYPE[tensor.type],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}
