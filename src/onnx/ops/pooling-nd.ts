/**
 * AveragePool and MaxPool over any number of spatial axes (input
 * [N, C, D1, ..., Dk]) for the kernels the 2-D layers in pooling.ts do not
 * take: ONNX's 1-D and 3-D models, and torch's LocalResponseNorm export,
 * which averages a 5-D [N, 1, C + 4, H, W] tensor over a [5, 1, 1] window.
 *
 * Each spatial axis's windows are worked out once (the input positions each
 * output position covers, ONNX's output size with ceil_mode and auto_pad);
 * since a window is the product of its axes' windows, the axes then pool
 * one after the other (an axis with a 1-wide window, stride 1 and no pads
 * is skipped: the LRN export pools a single axis).
 */
import { shapeToString } from '../../tensor/shape.js';
import { allocateElements, type OnnxElementType, OnnxTensor } from '../onnx-tensor.js';
import type { NodeAttributes } from './attributes.js';
import { type CompileContext, type CompiledOp, requireInput } from './op.js';
import { checkedElementCount } from './tensor-ops.js';

type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export interface PoolSpec {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** ONNX's order: every axis's begin, then every axis's end. Used when autoPad is NOTSET. */
  pads: number[];
  autoPad: AutoPad;
  ceilMode: boolean;
}

/** Reads kernel_shape, strides, dilations (when the operator has them), pads, auto_pad and ceil_mode for any number of spatial axes. */
export function readPoolSpec(attributes: NodeAttributes, label: string, withDilations: boolean): PoolSpec {
  const kernel = attributes.ints('kernel_shape');
  const rank = kernel.length;
  if (rank === 0) throw new Error(`${label}: 'kernel_shape' must not be empty`);
  const positive = (name: string, values: number[]): number[] => {
    if (values.some((v) => !Number.isSafeInteger(v) || v < 1)) throw new Error(`${label}: '${name}' must be positive integers, got [${values.join(', ')}]`);
    return values;
  };
  const perAxis = (name: string, fallback: number): number[] => {
    const values = attributes.ints(name, new Array<number>(rank).fill(fallback));
    if (values.length !== rank) throw new Error(`${label}: '${name}' must have ${rank} values like kernel_shape, got [${values.join(', ')}]`);
    return positive(name, values);
  };
  positive('kernel_shape', kernel);
  const strides = perAxis('strides', 1);
  const dilations = withDilations ? perAxis('dilations', 1) : new Array<number>(rank).fill(1);
  const autoPad = attributes.string('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER' && autoPad !== 'VALID') {
    throw new Error(`${label}: auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  let pads = new Array<number>(2 * rank).fill(0);
  if (autoPad === 'NOTSET') {
    pads = attributes.ints('pads', pads);
    if (pads.length !== 2 * rank) throw new Error(`${label}: 'pads' must have ${2 * rank} values (begin and end per axis), got [${pads.join(', ')}]`);
    pads.forEach((p, i) => {
      const extent = (kernel[i % rank] - 1) * dilations[i % rank] + 1;
      // onnxruntime's rule too: every window then reaches the input.
      if (!Number.isSafeInteger(p) || p < 0 || p >= extent) {
        throw new Error(`${label}: 'pads' must be non-negative integers smaller than the window (${extent}), got [${pads.join(', ')}]`);
      }
    });
  } else attributes.ignore('pads'); // ONNX forbids both; a file that has both means auto_pad
  const ceilMode = attributes.int('ceil_mode', 0) !== 0;
  return { kernel, strides, dilations, pads, autoPad, ceilMode };
}

/** The windows of one spatial axis. */
interface AxisWindows {
  /** For each output position, the input positions its window covers. */
  taps: number[][];
  /** For each output position, how many of its window's positions lie within the padded axis (count_include_pad's divisor). */
  padded: number[];
}

/**
 * ONNX's output size and pads for one axis. Explicit pads: floor (or with ceil_mode ceil) of
 * (size + pads - extent) / stride, plus 1, less a last window that would start in the end padding.
 * auto_pad: ceil(size / stride) for SAME (the padding split, the odd one at the end for SAME_UPPER, at
 * the start for SAME_LOWER), floor((size - extent) / stride) + 1 for VALID.
 */
function axisWindows(spec: PoolSpec, axis: number, size: number, label: string): AxisWindows {
  const rank = spec.kernel.length;
  const kernel = spec.kernel[axis];
  const stride = spec.strides[axis];
  const dilation = spec.dilations[axis];
  const extent = (kernel - 1) * dilation + 1;
  let begin = spec.pads[axis];
  let end = spec.pads[axis + rank];
  let out: number;
  if (spec.autoPad === 'VALID') {
    [begin, end] = [0, 0];
    out = Math.floor((size - extent) / stride) + 1;
  } else if (spec.autoPad === 'SAME_UPPER' || spec.autoPad === 'SAME_LOWER') {
    out = Math.ceil(size / stride);
    const total = Math.max(0, (out - 1) * stride + extent - size);
    const small = Math.floor(total / 2);
    [begin, end] = spec.autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
  } else {
    const span = size + begin + end - extent;
    out = (spec.ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
    if (spec.ceilMode && (out - 1) * stride >= size + begin) out--;
  }
  if (out < 1) throw new Error(`${label}: spatial axis ${axis} of size ${size} is smaller than the window (${extent} with pads ${begin}, ${end})`);
  const taps: number[][] = [];
  const padded: number[] = [];
  for (let o = 0; o < out; o++) {
    const start = o * stride - begin;
    const inside: number[] = [];
    let count = 0;
    for (let k = 0; k < kernel; k++) {
      const at = start + k * dilation;
      if (at >= -begin && at < size + end) count++;
      if (at >= 0 && at < size) inside.push(at);
    }
    taps.push(inside);
    padded.push(count);
  }
  return { taps, padded };
}

type Reduction = { kind: 'average'; countIncludePad: boolean } | { kind: 'max' };

/** The smallest value of a type: what a max over no input cells gives. */
function lowest(type: OnnxElementType): number {
  if (type === 'int8') return -128;
  if (type === 'uint8') return 0;
  return Number.NEGATIVE_INFINITY;
}

/** True when an axis's windows take each input position once and alone (kernel 1, stride 1, no pads): pooling it changes nothing. */
function isIdentity(windows: AxisWindows, size: number): boolean {
  return windows.taps.length === size && windows.taps.every((taps, o) => taps.length === 1 && taps[0] === o && windows.padded[o] === 1);
}

/**
 * Pools `values` (shape `shape`, float64) along axis `dim` only: each output position averages (sum / that
 * axis's divisor) or maxes the input positions its window covers, for every index of the other axes at once.
 */
function poolAxis(values: Float64Array, shape: readonly number[], dim: number, windows: AxisWindows, reduction: Reduction): Float64Array {
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const size = shape[dim];
  const outSize = windows.taps.length;
  const out = new Float64Array(outer * outSize * inner);
  for (let o1 = 0; o1 < outer; o1++) {
    for (let o = 0; o < outSize; o++) {
      const taps = windows.taps[o];
      const to = (o1 * outSize + o) * inner;
      if (reduction.kind === 'max') {
        out.fill(Number.NEGATIVE_INFINITY, to, to + inner);
        for (const t of taps) {
          const from = (o1 * size + t) * inner;
          for (let i = 0; i < inner; i++) {
            const v = values[from + i];
            if (v > out[to + i] || Number.isNaN(v)) out[to + i] = v;
          }
        }
        continue;
      }
      for (const t of taps) {
        const from = (o1 * size + t) * inner;
        for (let i = 0; i < inner; i++) out[to + i] += values[from + i];
      }
      // A window with no input cell averages to 0, as torch's (and the 2-D path's) does.
      const divisor = reduction.countIncludePad ? windows.padded[o] : taps.length;
      for (let i = 0; i < inner; i++) out[to + i] = taps.length === 0 ? 0 : out[to + i] / divisor;
    }
  }
  return out;
}

/**
 * Pools x ([N, C, ...spatial]) over `spec`'s windows. A window is a box, so its sum (or max) is the sum (max)
 * along one axis of those along the others, and either divisor is a product of per-axis counts: the spatial
 * axes pool one after the other, in float64, and the result is stored in x's type.
 */
export function poolNd(x: OnnxTensor, spec: PoolSpec, reduction: Reduction, label: string): OnnxTensor {
  const rank = spec.kernel.length;
  if (x.ndim !== rank + 2) throw new Error(`${label}: a ${rank}-D window needs input [N, C, ${rank} spatial axes], got ${shapeToString(x.shape)}`);
  const windows = x.shape.slice(2).map((size, axis) => axisWindows(spec, axis, size, label));
  const outShape = [x.shape[0], x.shape[1], ...windows.map((w) => w.taps.length)];
  checkedElementCount(outShape, label);
  let shape = [...x.shape];
  let values: Float64Array = Float64Array.from(x.data as ArrayLike<number>);
  windows.forEach((w, axis) => {
    const dim = axis + 2;
    if (isIdentity(w, shape[dim])) return;
    const pooled = [...shape];
    pooled[dim] = w.taps.length;
    checkedElementCount(pooled, label, 'intermediate');
    values = poolAxis(values, shape, dim, w, reduction);
    shape = pooled;
  });
  const out = allocateElements(x.type, values.length) as Float64Array;
  const floor = lowest(x.type);
  for (let i = 0; i < values.length; i++) out[i] = values[i] === Number.NEGATIVE_INFINITY ? floor : values[i];
  return new OnnxTensor(x.type, outShape, out);
}

/** AveragePool for kernels of other than 2 axes (float32 and float64, as ONNX's AveragePool takes). */
export function compileAveragePoolNd({ attributes, label }: CompileContext): CompiledOp {
  const spec = readPoolSpec(attributes, label, attributes.has('dilations'));
  if (spec.dilations.some((d) => d !== 1)) throw new Error(`${label}: dilations other than 1 are not supported in AveragePool`);
  const reduction: Reduction = { kind: 'average', countIncludePad: attributes.int('count_include_pad', 0) !== 0 };
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'X');
      if (x.type !== 'float32' && x.type !== 'float64') throw new Error(`${label}: expected a float32 or float64 input, got ${x.type}`);
      return [poolNd(x, spec, reduction, label)];
    },
  };
}

/** MaxPool for kernels of other than 2 axes (floats and 8-bit integers; the Indices output is not supported). */
export function compileMaxPoolNd({ attributes, label, node }: CompileContext): CompiledOp {
  const spec = readPoolSpec(attributes, label, true);
  if (attributes.int('storage_order', 0) !== 0) throw new Error(`${label}: storage_order=1 (column-major indices) is not supported`);
  if ((node.outputs[1] ?? '') !== '') throw new Error(`${label}: the Indices output is not supported (only Y)`);
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'X');
      if (x.type !== 'float32' && x.type !== 'float64' && x.type !== 'int8' && x.type !== 'uint8') {
        throw new Error(`${label}: expected a float32, float64, int8 or uint8 input, got ${x.type}`);
      }
      return [poolNd(x, spec, { kind: 'max' }, label)];
    },
  };
}
