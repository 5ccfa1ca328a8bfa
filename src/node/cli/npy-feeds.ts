/**
 * The value an ONNX graph input is fed from a .npy file. An index input
 * (Gather's int64 indices) needs integers, not the float32 every image model
 * takes: the file's values are cast to the input's declared element type when
 * each one is exactly representable there, and refused with the first that is
 * not. A float32 input takes any numeric file, rounded as `alexnet run`
 * always has (the help says "converted to float32").
 */
import { type DType, toFloat32 } from '../../formats/dtypes.js';
import type { RawNpy } from '../../formats/npy.js';
import { allocateElements, elementsFromBytes, isBigIntType, type OnnxElementType, OnnxTensor } from '../../onnx/onnx-tensor.js';

/** The integer range of each integer element type (bool: 0 and 1). */
const INTEGER_RANGE: Partial<Record<OnnxElementType, readonly [bigint, bigint]>> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  uint8: [0n, 2n ** 8n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  bool: [0n, 1n],
};

/** The npy dtypes ONNX holds under the same name (float16 and bfloat16 are read as float32). */
const SAME_NAME: ReadonlySet<DType> = new Set(['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool']);

/** `declared`: the graph input's element type, or null where the graph leaves it open (the file's own dtype is used). */
export function onnxFeedFromNpy(raw: RawNpy, declared: OnnxElementType | null, what: string): OnnxTensor {
  const numel = raw.shape.reduce((a, b) => a * b, 1);
  const target = declared ?? (SAME_NAME.has(raw.dtype) ? (raw.dtype as OnnxElementType) : 'float32');
  if (target === 'float32') return new OnnxTensor('float32', raw.shape, toFloat32(raw.data, 0, numel, raw.dtype, { copy: true }));
  if (raw.dtype === target) return new OnnxTensor(target, raw.shape, elementsFromBytes(target, raw.data.slice()));
  const values = fileValues(raw, numel);
  const out = allocateElements(target, numel);
  for (let i = 0; i < numel; i++) {
    const exact = exactIn(target, values[i]);
    if (exact === undefined) {
      throw new Error(
        `${what}: holds ${raw.dtype} value ${String(values[i])} at element ${i}, not exactly a ${target} (the graph input's type); save the array as ${target}`,
      );
    }
    out[i] = exact as never;
  }
  return new OnnxTensor(target, raw.shape, out);
}

/** The file's values as numbers (floats, integers below 2^53) or bigints (64-bit integers). */
function fileValues(raw: RawNpy, numel: number): ArrayLike<number | bigint> {
  if (raw.dtype === 'float16' || raw.dtype === 'bfloat16') return toFloat32(raw.data, 0, numel, raw.dtype, { copy: true });
  return elementsFromBytes(raw.dtype as OnnxElementType, raw.data);
}

/** `value` as an element of `target`, or undefined when it would change (a fraction, out of range, a 64-bit integer a double rounds). */
function exactIn(target: OnnxElementType, value: number | bigint): number | bigint | undefined {
  if (target === 'float64') {
    if (typeof value === 'number') return value;
    return BigInt(Number(value)) === value ? Number(value) : undefined;
  }
  if (typeof value === 'number' && !Number.isInteger(value)) return undefined;
  const integer = BigInt(value);
  const [min, max] = INTEGER_RANGE[target]!;
  if (integer < min || integer > max) return undefined;
  return isBigIntType(target) ? integer : Number(integer);
}
