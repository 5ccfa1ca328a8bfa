/**
 * A value flowing through an imported ONNX graph: an element type, a shape
 * and a typed array. float32 values become engine Tensors (sharing memory)
 * for the heavy ops; the integer types carry shapes, indices and the integer
 * cases of ONNX's element-wise ops.
 */
import { numel, shapeToString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export type OnnxElementType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

export type ElementArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** ONNX's TensorProto.DataType codes of the element types we hold (onnx.proto). */
export const ONNX_DATA_TYPE: Readonly<Record<OnnxElementType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
  uint32: 12,
  uint64: 13,
};

/** The names of the codes we do not hold, for error messages. */
export const UNSUPPORTED_DATA_TYPES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED',
  8: 'STRING',
  10: 'FLOAT16',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
};

export function elementTypeOfCode(code: number): OnnxElementType | null {
  for (const [name, value] of Object.entries(ONNX_DATA_TYPE)) if (value === code) return name as OnnxElementType;
  return null;
}

export function dataTypeName(code: number): string {
  return elementTypeOfCode(code) ?? UNSUPPORTED_DATA_TYPES[code] ?? `data type ${code}`;
}

export const ELEMENT_SIZE: Readonly<Record<OnnxElementType, number>> = {
  float32: 4,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
};

/** A zero-filled array of `length` elements of `type`. */
export function allocateElements(type: OnnxElementType, length: number): ElementArray {
  switch (type) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'uint32':
      return new Uint32Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'uint64':
      return new BigUint64Array(length);
  }
}

/** A typed-array view of little-endian bytes (copied first when misaligned, as typed arrays require). */
export function elementsFromBytes(type: OnnxElementType, bytes: Uint8Array): ElementArray {
  const size = ELEMENT_SIZE[type];
  // Uint8Array's slice copies (Buffer's would not): typed arrays need their start aligned to the element size.
  const aligned = bytes.byteOffset % size === 0 ? bytes : Uint8Array.prototype.slice.call(bytes);
  const count = aligned.byteLength / size;
  const { buffer, byteOffset } = aligned;
  switch (type) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, count);
    case 'float64':
      return new Float64Array(buffer, byteOffset, count);
    case 'int8':
      return new Int8Array(buffer, byteOffset, count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, byteOffset, count);
    case 'int16':
      return new Int16Array(buffer, byteOffset, count);
    case 'uint16':
      return new Uint16Array(buffer, byteOffset, count);
    case 'int32':
      return new Int32Array(buffer, byteOffset, count);
    case 'uint32':
      return new Uint32Array(buffer, byteOffset, count);
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, count);
    case 'uint64':
      return new BigUint64Array(buffer, byteOffset, count);
  }
}

export function isBigIntType(type: OnnxElementType): type is 'int64' | 'uint64' {
  return type === 'int64' || type === 'uint64';
}

export function isFloatType(type: OnnxElementType): type is 'float32' | 'float64' {
  return type === 'float32' || type === 'float64';
}

export class OnnxTensor {
  readonly type: OnnxElementType;
  readonly shape: readonly number[];
  readonly data: ElementArray;

  constructor(type: OnnxElementType, shape: readonly number[], data: ElementArray) {
    if (data.length !== numel(shape)) {
      throw new Error(`${type} tensor: ${data.length} values do not fill shape ${shapeToString(shape)}`);
    }
    this.type = type;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  static zeros(type: OnnxElementType, shape: readonly number[]): OnnxTensor {
    return new OnnxTensor(type, shape, allocateElements(type, numel(shape)));
  }

  /** A float32 value sharing the engine tensor's memory. */
  static fromTensor(t: Tensor): OnnxTensor {
    return new OnnxTensor('float32', t.shape, t.data);
  }

  static fromInt64(values: readonly number[], shape: readonly number[] = [values.length]): OnnxTensor {
    return new OnnxTensor(
      'int64',
      shape,
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  }

  get ndim(): number {
    return this.shape.length;
  }

  get numel(): number {
    return this.data.length;
  }

  /** The same elements under another shape (no copy). */
  withShape(shape: readonly number[]): OnnxTensor {
    return new OnnxTensor(this.type, shape, this.data);
  }

  /** An engine tensor sharing this value's memory; `what` names the value in the error for other types. */
  toTensor(what: string): Tensor {
    if (this.type !== 'float32') throw new Error(`${what}: expected a float32 tensor, got ${this.type}`);
    return new Tensor(this.data as Float32Array, this.shape);
  }

  /** The elements as JavaScript numbers (int64 beyond ±2^53 is refused: it cannot be a size or an index here). */
  toNumbers(what: string): number[] {
    const out: number[] = new Array(this.data.length);
    for (let i = 0; i < this.data.length; i++) {
      const v = Number(this.data[i]);
      if (typeof this.data[i] === 'bigint' && !Number.isSafeInteger(v)) throw new Error(`${what}: value ${this.data[i]} is out of range`);
      out[i] = v;
    }
    return out;
  }

  /** Element i as a number (floats and integers alike). */
  numberAt(i: number): number {
    return Number(this.data[i]);
  }
}
