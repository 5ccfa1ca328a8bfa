/**
 * The generic operators exporters decompose other layers into (torch 1.13
 * exports nn.LocalResponseNorm as Shape, Gather, Unsqueeze, ConstantOfShape,
 * Slice, Cast, Pad, Equal and Pow around a 5-D AveragePool), for every
 * element type we hold:
 *
 * - shapes and indices: Shape, Gather, Unsqueeze, Squeeze, ConstantOfShape,
 *   Slice, Pad (constant, reflect, edge; negative pads crop), Cast;
 * - element-wise with numpy broadcasting: Equal, Less, Greater,
 *   LessOrEqual, GreaterOrEqual (bool out) and Pow;
 * - unary: Neg, Sqrt, Sigmoid, Tanh.
 *
 * Inputs and attributes follow each opset from 7 to 17 (Unsqueeze and
 * Squeeze take axes as an input from 13, Slice its bounds from 10, Pad its
 * pads from 11). Every output's element count is checked before it is
 * allocated, so that a graph asking for an absurd shape fails by name.
 */
import { MAX_TENSOR_ELEMENTS, numel, shapeToString } from '../../tensor/shape.js';
import {
  allocateElements,
  dataTypeName,
  type ElementArray,
  elementTypeOfCode,
  isBigIntType,
  isFloatType,
  type OnnxElementType,
  OnnxTensor,
} from '../onnx-tensor.js';
import { tensorFromProto } from '../tensor-proto.js';
import type { NodeAttributes } from './attributes.js';
import { broadcastIndices, broadcastShape } from './broadcast.js';
import { normalizeAxis, stridesOf } from './layout.js';
import { type CompileContext, type CompiledOp, type OpCompiler, requireInput } from './op.js';

// ---------------------------------------------------------------------------
// Shared helpers: output sizes, index inputs, element conversion, remapping.
// ---------------------------------------------------------------------------

/** The element count of `shape`, after checking each dimension is a count and the total stays within MAX_TENSOR_ELEMENTS. */
export function checkedElementCount(shape: readonly number[], label: string, what = 'output'): number {
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new Error(`${label}: ${what} shape ${shapeToString(shape)} has an invalid dimension ${d} (expected non-negative integers)`);
    }
    if (d > MAX_TENSOR_ELEMENTS) throw new Error(`${label}: ${what} shape ${shapeToString(shape)} has a dimension beyond ${MAX_TENSOR_ELEMENTS}`);
    count *= d;
  }
  if (count > MAX_TENSOR_ELEMENTS) {
    throw new Error(`${label}: ${what} shape ${shapeToString(shape)} would hold ${count} elements (at most ${MAX_TENSOR_ELEMENTS} are allowed)`);
  }
  return count;
}

/**
 * An int32 or int64 input's values as numbers. int64 extremes (Slice's INT64_MAX and INT64_MIN "to the end")
 * become inexact but still beyond any dimension, which is all the callers compare them with.
 */
function indexValues(value: OnnxTensor, label: string, what: string): number[] {
  if (value.type !== 'int64' && value.type !== 'int32') throw new Error(`${label}: ${what} must be int64 or int32, got ${value.type}`);
  return Array.from(value.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Normalized axes, each at most once. */
function distinctAxes(axes: readonly number[], rank: number, label: string, what: string): number[] {
  const normalized = axes.map((a) => normalizeAxis(a, rank, label));
  if (new Set(normalized).size !== normalized.length) throw new Error(`${label}: ${what} [${axes.join(', ')}] repeat an axis`);
  return normalized;
}

type Scalar = number | bigint;

/**
 * How one element converts to `type` under Cast's rules: floats to integers truncate toward zero, to bool is
 * v != 0 (NaN is true). Out-of-range values, which ONNX leaves undefined, wrap modulo 2^bits as typed arrays
 * store them; NaN and ±∞ become 0 in integer types.
 */
export function elementConverter(type: OnnxElementType): (v: Scalar) => Scalar {
  switch (type) {
    case 'bool':
      return (v) => ((typeof v === 'bigint' ? v !== 0n : v !== 0) ? 1 : 0);
    case 'float32':
    case 'float64':
      return (v) => Number(v);
    case 'int64':
    case 'uint64':
      return (v) => (typeof v === 'bigint' ? v : Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n);
    default:
      // The 8-, 16- and 32-bit types: the typed array's store wraps what is left modulo its width.
      return (v) => (typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : Number.isFinite(v) ? Math.trunc(v) : 0);
  }
}

/** `x` with each element converted to `type` (Cast). */
export function castValue(x: OnnxTensor, type: OnnxElementType): OnnxTensor {
  if (x.type === type) return x;
  const convert = elementConverter(type);
  const out = allocateElements(type, x.numel) as unknown as Scalar[];
  const src = x.data as unknown as ArrayLike<Scalar>;
  for (let i = 0; i < src.length; i++) out[i] = convert(src[i]);
  return new OnnxTensor(type, x.shape, out as unknown as ElementArray);
}

/** 0, 1, ..., n - 1: the map of an axis an operator leaves alone. */
function identityMap(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * out[j0, ..., jr] = x[maps[0][j0], ..., maps[r][jr]], or `fill[0]` where any map holds -1: the element
 * moving behind Slice (maps stepping through a range) and Pad (maps clamping, mirroring, or -1 for the constant).
 * The output's shape is the maps' lengths; the caller has checked its element count.
 */
function remap(x: OnnxTensor, maps: readonly Int32Array[], fill?: ElementArray): OnnxTensor {
  const outShape = maps.map((m) => m.length);
  const out = allocateElements(x.type, numel(outShape));
  const src = x.data as Float64Array;
  const dst = out as Float64Array;
  const padValue = fill === undefined ? undefined : (fill as Float64Array)[0];
  const inStrides = stridesOf(x.shape);
  const outStrides = stridesOf(outShape);
  const last = maps.length - 1;
  // An untouched last axis (Pad and Slice usually change the outer ones) copies whole rows at once.
  const lastCopied = last >= 0 && maps[last].length === x.shape[last] && maps[last].every((s, j) => s === j);
  const visit = (axis: number, from: number, to: number): void => {
    const map = maps[axis];
    if (axis === last && lastCopied) {
      dst.set(src.subarray(from, from + map.length), to);
      return;
    }
    const block = outStrides[axis];
    for (let j = 0; j < map.length; j++) {
      const s = map[j];
      const at = to + j * block;
      if (s < 0) dst.fill(padValue as number, at, at + block);
      else if (axis === last) dst[at] = src[from + s];
      else visit(axis + 1, from + s * inStrides[axis], at);
    }
  };
  if (maps.length === 0) dst[0] = src[0];
  else if (dst.length > 0) visit(0, 0, 0);
  return new OnnxTensor(x.type, outShape, out);
}

// ---------------------------------------------------------------------------
// Shape, Gather, Unsqueeze, Squeeze, ConstantOfShape
// ---------------------------------------------------------------------------

/** Shape: the input's dimensions as int64; from opset 15, those in [start, end) (negative counts from the end, clamped to [0, rank]). */
function compileShape({ attributes, label, opset }: CompileContext): CompiledOp {
  const start = opset >= 15 ? attributes.int('start', 0) : 0;
  const end = opset >= 15 && attributes.has('end') ? attributes.int('end') : null;
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'data');
      const rank = x.ndim;
      const clamp = (axis: number): number => Math.min(Math.max(axis < 0 ? axis + rank : axis, 0), rank);
      const from = clamp(start);
      const to = clamp(end ?? rank);
      return [OnnxTensor.fromInt64(x.shape.slice(from, Math.max(from, to)))];
    },
  };
}

/** Gather: out = data[..., indices[...], ...] along `axis`; indices are int32 or int64, negative ones count from the end. */
function compileGather({ attributes, label }: CompileContext): CompiledOp {
  const axisAttribute = attributes.int('axis', 0);
  return {
    kind: 'function',
    run(inputs) {
      const data = requireInput(inputs, 0, label, 'data');
      const indices = requireInput(inputs, 1, label, 'indices');
      if (data.ndim === 0) throw new Error(`${label}: data must have rank 1 or more, got a scalar`);
      const axis = normalizeAxis(axisAttribute, data.ndim, label);
      const size = data.shape[axis];
      const positions = indexValues(indices, label, 'indices').map((v) => {
        if (v < -size || v >= size) throw new Error(`${label}: index ${v} is out of range for axis ${axis} of size ${size} (expected ${-size} to ${size - 1})`);
        return v < 0 ? v + size : v;
      });
      const outShape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
      checkedElementCount(outShape, label);
      const outer = numel(data.shape.slice(0, axis));
      const inner = numel(data.shape.slice(axis + 1));
      const src = data.data as Float64Array;
      const out = allocateElements(data.type, numel(outShape)) as Float64Array;
      let at = 0;
      for (let o = 0; o < outer; o++) {
        for (const p of positions) {
          const from = (o * size + p) * inner;
          out.set(src.subarray(from, from + inner), at);
          at += inner;
        }
      }
      return [new OnnxTensor(data.type, outShape, out as ElementArray)];
    },
  };
}

/** Axes from the attribute (before `inputFrom`) or from input 1 (from `inputFrom`); null when neither is given. */
function axesReader(
  attributes: NodeAttributes,
  opset: number,
  inputFrom: number,
  label: string,
): (inputs: readonly (OnnxTensor | undefined)[]) => number[] | null {
  if (opset < inputFrom) {
    const axes = attributes.has('axes') ? attributes.ints('axes') : null;
    return () => axes;
  }
  return (inputs) => {
    const axes = inputs[1];
    return axes === undefined ? null : indexValues(axes, label, 'axes');
  };
}

/** Unsqueeze: a 1 inserted at each of `axes`, which count in the output's rank (any order, no repeats). */
function compileUnsqueeze({ attributes, label, opset }: CompileContext): CompiledOp {
  const readAxes = axesReader(attributes, opset, 13, label);
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'data');
      const given = readAxes(inputs);
      if (given === null) throw new Error(`${label}: missing axes (${opset < 13 ? "the 'axes' attribute" : 'input 1'})`);
      const rank = x.ndim + given.length;
      const inserted = new Set(distinctAxes(given, rank, label, 'axes'));
      const shape: number[] = [];
      let next = 0;
      for (let axis = 0; axis < rank; axis++) shape.push(inserted.has(axis) ? 1 : x.shape[next++]);
      return [x.withShape(shape)];
    },
  };
}

/** Squeeze: the size-1 axes removed (those in `axes`, which must be 1, or every 1 when axes are omitted). */
function compileSqueeze({ attributes, label, opset }: CompileContext): CompiledOp {
  const readAxes = axesReader(attributes, opset, 13, label);
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'data');
      const given = readAxes(inputs);
      let removed: Set<number>;
      if (given === null) removed = new Set(x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
      else {
        removed = new Set(given.map((a) => normalizeAxis(a, x.ndim, label)));
        for (const axis of removed) {
          if (x.shape[axis] !== 1) {
            throw new Error(`${label}: cannot squeeze axis ${axis} of size ${x.shape[axis]} in ${shapeToString(x.shape)} (expected size 1)`);
          }
        }
      }
      return [x.withShape(x.shape.filter((_, i) => !removed.has(i)))];
    },
  };
}

/** ConstantOfShape: a tensor of the given shape filled with `value` (a one-element tensor; float32 0 by default). */
function compileConstantOfShape({ attributes, label }: CompileContext): CompiledOp {
  const value = attributes.has('value')
    ? tensorFromProto(attributes.tensor('value'), { source: label, what: `${label} attribute 'value'` })
    : new OnnxTensor('float32', [1], new Float32Array(1));
  if (value.numel !== 1) throw new Error(`${label}: attribute 'value' must hold one element, got shape ${shapeToString(value.shape)}`);
  return {
    kind: 'function',
    run(inputs) {
      const shapeInput = requireInput(inputs, 0, label, 'input (the shape)');
      if (shapeInput.ndim !== 1) throw new Error(`${label}: the shape input must be 1-D, got shape ${shapeToString(shapeInput.shape)}`);
      const shape = indexValues(shapeInput, label, 'the shape input');
      const out = allocateElements(value.type, checkedElementCount(shape, label)) as Float64Array;
      out.fill((value.data as Float64Array)[0]);
      return [new OnnxTensor(value.type, shape, out as ElementArray)];
    },
  };
}

// ---------------------------------------------------------------------------
// Slice
// ---------------------------------------------------------------------------

/**
 * One axis of Slice: negative bounds count from the end, then start and end are clamped to [0, dim] for a
 * positive step and to [0, dim - 1] and [-1, dim - 1] for a negative one (so INT64_MAX and INT64_MIN mean
 * "to the end"). The result lists the input positions taken.
 */
function sliceAxis(dim: number, start: number, end: number, step: number): Int32Array {
  if (dim === 0) return new Int32Array(0);
  let from = start < 0 ? start + dim : start;
  let to = end < 0 ? end + dim : end;
  let count: number;
  if (step > 0) {
    from = Math.min(Math.max(from, 0), dim);
    to = Math.min(Math.max(to, 0), dim);
    count = Math.max(0, Math.ceil((to - from) / step));
  } else {
    from = Math.min(Math.max(from, 0), dim - 1);
    to = Math.min(Math.max(to, -1), dim - 1);
    count = Math.max(0, Math.ceil((from - to) / -step));
  }
  return Int32Array.from({ length: count }, (_, i) => from + i * step);
}

interface SliceBounds {
  starts: number[];
  ends: number[];
  axes: number[] | null;
  steps: number[] | null;
}

/** Slice: attributes starts, ends, axes before opset 10; inputs starts, ends, axes?, steps? from 10. */
function compileSlice({ attributes, label, opset }: CompileContext): CompiledOp {
  let fromAttributes: SliceBounds | null = null;
  if (opset < 10) {
    fromAttributes = {
      starts: attributes.ints('starts'),
      ends: attributes.ints('ends'),
      axes: attributes.has('axes') ? attributes.ints('axes') : null,
      steps: null,
    };
  }
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'data');
      const optional = (i: number, what: string): number[] | null => (inputs[i] === undefined ? null : indexValues(inputs[i], label, what));
      const bounds = fromAttributes ?? {
        starts: indexValues(requireInput(inputs, 1, label, 'starts'), label, 'starts'),
        ends: indexValues(requireInput(inputs, 2, label, 'ends'), label, 'ends'),
        axes: optional(3, 'axes'),
        steps: optional(4, 'steps'),
      };
      const { starts, ends } = bounds;
      const axes = bounds.axes ?? starts.map((_, i) => i);
      const steps = bounds.steps ?? starts.map(() => 1);
      if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
        throw new Error(
          `${label}: starts, ends, axes and steps must have the same length, got ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`,
        );
      }
      const maps = x.shape.map((d) => identityMap(d));
      distinctAxes(axes, x.ndim, label, 'axes').forEach((axis, i) => {
        if (steps[i] === 0) throw new Error(`${label}: steps must not be 0 (axis ${axis})`);
        maps[axis] = sliceAxis(x.shape[axis], starts[i], ends[i], steps[i]);
      });
      return [remap(x, maps)];
    },
  };
}

// ---------------------------------------------------------------------------
// Cast
// ---------------------------------------------------------------------------

/** Cast-1's `to` was a type name; from opset 6 it is TensorProto.DataType's code. */
const DATA_TYPE_CODES_BY_NAME: Readonly<Record<string, number>> = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
};

function compileCast({ attributes, label, opset }: CompileContext): CompiledOp {
  let code: number;
  if (opset < 6) {
    const name = attributes.string('to');
    code = DATA_TYPE_CODES_BY_NAME[name.toUpperCase()] ?? -1;
    if (code < 0) throw new Error(`${label}: 'to' names an unknown type '${name}'`);
  } else code = attributes.int('to');
  const to = elementTypeOfCode(code);
  if (to === null) throw new Error(`${label}: casting to ${dataTypeName(code)} is not supported (float32, float64, the integer types and bool are)`);
  return { kind: 'function', run: (inputs) => [castValue(requireInput(inputs, 0, label, 'input'), to)] };
}

// ---------------------------------------------------------------------------
// Pad
// ---------------------------------------------------------------------------

type PadMode = 'constant' | 'reflect' | 'edge';

/** Mirrors i into [0, n) about the first and last elements without repeating them (numpy's 'reflect'), however far outside it is. */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const k = ((i % period) + period) % period;
  return k < n ? k : period - k;
}

/**
 * One axis of Pad: negative pads crop first, then the kept range [lo, hi) is padded by the positive ones in
 * `mode` (onnxruntime's order). -1 marks a constant cell.
 */
function padAxis(dim: number, begin: number, end: number, mode: PadMode, axis: number, label: string): Int32Array {
  const lo = Math.max(0, -begin);
  const kept = dim - lo - Math.max(0, -end);
  if (kept < 0) throw new Error(`${label}: pads ${begin}, ${end} crop more than the ${dim} elements of axis ${axis}`);
  const before = Math.max(0, begin);
  const length = kept + before + Math.max(0, end);
  if (mode !== 'constant' && kept === 0 && length > 0) throw new Error(`${label}: ${mode} padding needs at least one element on axis ${axis}, which has none`);
  return Int32Array.from({ length }, (_, j) => {
    const k = j - before;
    if (k >= 0 && k < kept) return lo + k;
    if (mode === 'constant') return -1;
    return lo + (mode === 'edge' ? Math.min(Math.max(k, 0), kept - 1) : reflectIndex(k, kept));
  });
}

/** Pad: pads (and Pad-2's float `value`) as attributes before opset 11; pads and an optional constant_value as inputs from 11. */
function compilePad({ attributes, label, opset }: CompileContext): CompiledOp {
  const mode = attributes.string('mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') {
    throw new Error(`${label}: mode '${mode}' is not supported (constant, reflect and edge are)`);
  }
  let padsAttribute: number[] | null = null;
  let valueAttribute = 0;
  if (opset < 11) {
    padsAttribute = attributes.ints(opset < 2 ? 'paddings' : 'pads');
    valueAttribute = attributes.float('value', 0);
  }
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'data');
      if (inputs[3] !== undefined) throw new Error(`${label}: the axes input (opset 18) is not supported`);
      const pads = padsAttribute ?? indexValues(requireInput(inputs, 1, label, 'pads'), label, 'pads');
      const rank = x.ndim;
      if (pads.length !== 2 * rank) {
        throw new Error(`${label}: pads [${pads.join(', ')}] must have ${2 * rank} values (begin and end for each of the ${rank} axes)`);
      }
      const outShape = x.shape.map((d, axis) => d + pads[axis] + pads[axis + rank]);
      if (outShape.some((d) => d < 0)) throw new Error(`${label}: pads [${pads.join(', ')}] crop ${shapeToString(x.shape)} below zero`);
      checkedElementCount(outShape, label);
      let fill = allocateElements(x.type, 1);
      const given = inputs[2];
      if (padsAttribute !== null) (fill as unknown as Scalar[])[0] = elementConverter(x.type)(valueAttribute);
      else if (given !== undefined && mode === 'constant') {
        if (given.type !== x.type) throw new Error(`${label}: constant_value is ${given.type}, expected ${x.type} like the data`);
        if (given.numel !== 1) throw new Error(`${label}: constant_value must be a scalar, got shape ${shapeToString(given.shape)}`);
        fill = given.data;
      }
      if (numel(outShape) === 0) return [OnnxTensor.zeros(x.type, outShape)];
      const maps = x.shape.map((d, axis) => padAxis(d, pads[axis], pads[axis + rank], mode, axis, label));
      return [remap(x, maps, fill)];
    },
  };
}

// ---------------------------------------------------------------------------
// Broadcasting comparisons and Pow
// ---------------------------------------------------------------------------

/** Both inputs, the broadcast output shape (its size checked) and where each output element's operands are. */
function broadcastOperands(inputs: readonly (OnnxTensor | undefined)[], label: string, names: [string, string]) {
  const a = requireInput(inputs, 0, label, names[0]);
  const b = requireInput(inputs, 1, label, names[1]);
  const shape = broadcastShape(a.shape, b.shape, label);
  checkedElementCount(shape, label);
  return { a, b, shape, ia: broadcastIndices(a.shape, shape), ib: broadcastIndices(b.shape, shape) };
}

/** A comparison of two same-typed inputs (numbers or bigints alike), bool out. */
function comparison(test: (a: Scalar, b: Scalar) => boolean): OpCompiler {
  return ({ label }: CompileContext): CompiledOp => ({
    kind: 'function',
    run(inputs) {
      const { a, b, shape, ia, ib } = broadcastOperands(inputs, label, ['A', 'B']);
      if (a.type !== b.type) throw new Error(`${label}: inputs A (${a.type}) and B (${b.type}) must have the same element type`);
      const x = a.data as unknown as ArrayLike<Scalar>;
      const y = b.data as unknown as ArrayLike<Scalar>;
      const out = new Uint8Array(ia.length);
      for (let i = 0; i < out.length; i++) out[i] = test(x[ia[i]], y[ib[i]]) ? 1 : 0;
      return [new OnnxTensor('bool', shape, out)];
    },
  });
}

/** base^exponent in 64-bit two's complement, by repeated squaring (64 steps at most, however large the exponent). */
function integerPower(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let factor = BigInt.asIntN(64, base);
  let e = BigInt.asUintN(64, exponent);
  while (e > 0n) {
    if (e & 1n) result = BigInt.asIntN(64, result * factor);
    factor = BigInt.asIntN(64, factor * factor);
    e >>= 1n;
  }
  return result;
}

/**
 * Pow: base^exponent with numpy broadcasting, typed as the base. A float base computes in float64 and rounds
 * to its type; an integer base raised to a non-negative integer is exact (wrapping like the type), otherwise the
 * float result converts as Cast does (truncated toward zero).
 */
function compilePow({ label }: CompileContext): CompiledOp {
  return {
    kind: 'function',
    run(inputs) {
      // The usual case (torch's LRN: x ** 0.75): a float32 base and one float exponent, without index arrays.
      const [base, power] = inputs;
      if (base?.type === 'float32' && power !== undefined && isFloatType(power.type) && power.numel === 1 && power.ndim <= base.ndim) {
        const e = power.numberAt(0);
        const x = base.data as Float32Array;
        const out = new Float32Array(x.length);
        for (let i = 0; i < out.length; i++) out[i] = x[i] ** e;
        return [new OnnxTensor('float32', base.shape, out)];
      }
      const { a, b, shape, ia, ib } = broadcastOperands(inputs, label, ['X', 'Y']);
      for (const [name, value] of [
        ['X', a],
        ['Y', b],
      ] as const) {
        if (value.type === 'bool') throw new Error(`${label}: input ${name} must be numeric, got bool`);
      }
      const x = a.data as unknown as ArrayLike<Scalar>;
      const y = b.data as unknown as ArrayLike<Scalar>;
      const out = allocateElements(a.type, ia.length) as unknown as Scalar[];
      if (isFloatType(a.type)) {
        const base = x as Float64Array;
        const exponent = isBigIntType(b.type) ? Float64Array.from(y, Number) : (y as Float64Array);
        const result = out as unknown as Float64Array;
        for (let i = 0; i < result.length; i++) result[i] = base[ia[i]] ** exponent[ib[i]];
      } else {
        const convert = elementConverter(a.type);
        const integerExponent = !isFloatType(b.type);
        for (let i = 0; i < out.length; i++) {
          const base = x[ia[i]];
          const exponent = y[ib[i]];
          const exact = integerExponent && exponent >= 0;
          out[i] = convert(exact ? integerPower(BigInt(base), BigInt(exponent)) : Number(base) ** Number(exponent));
        }
      }
      return [new OnnxTensor(a.type, shape, out as unknown as ElementArray)];
    },
  };
}

// ---------------------------------------------------------------------------
// Unary
// ---------------------------------------------------------------------------

const SIGNED_TYPES: ReadonlySet<OnnxElementType> = new Set(['float32', 'float64', 'int8', 'int16', 'int32', 'int64']);

/** A function of each element, for float inputs (and, where `bigintFn` is given, the signed integer types). */
function unary(numberFn: (v: number) => number, bigintFn?: (v: bigint) => bigint): OpCompiler {
  return ({ label }: CompileContext): CompiledOp => ({
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'X');
      const allowed = bigintFn === undefined ? isFloatType(x.type) : SIGNED_TYPES.has(x.type);
      if (!allowed) throw new Error(`${label}: expected a ${bigintFn === undefined ? 'float' : 'float or signed integer'} input, got ${x.type}`);
      const out = allocateElements(x.type, x.numel);
      if (isBigIntType(x.type) && bigintFn !== undefined) {
        const [src, dst] = [x.data, out] as BigInt64Array[];
        for (let i = 0; i < dst.length; i++) dst[i] = bigintFn(src[i]);
      } else {
        const [src, dst] = [x.data, out] as Float64Array[];
        for (let i = 0; i < dst.length; i++) dst[i] = numberFn(src[i]);
      }
      return [new OnnxTensor(x.type, x.shape, out)];
    },
  });
}

export const TENSOR_OPS: Record<string, OpCompiler> = {
  Shape: compileShape,
  Gather: compileGather,
  Unsqueeze: compileUnsqueeze,
  Squeeze: compileSqueeze,
  ConstantOfShape: compileConstantOfShape,
  Slice: compileSlice,
  Cast: compileCast,
  Pad: compilePad,
  Equal: comparison((a, b) => a === b),
  Less: comparison((a, b) => a < b),
  Greater: comparison((a, b) => a > b),
  LessOrEqual: comparison((a, b) => a <= b),
  GreaterOrEqual: comparison((a, b) => a >= b),
  Pow: compilePow,
  Neg: unary(
    (v) => -v,
    (v) => -v,
  ),
  Sqrt: unary(Math.sqrt),
  Sigmoid: unary((v) => 1 / (1 + Math.exp(-v))),
  Tanh: unary(Math.tanh),
};
