/**
 * The sliding-window attributes Conv, MaxPool and AveragePool share
 * (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode) and ONNX's
 * rules for the output size and the padding they imply.
 */
import type { NodeAttributes } from './attributes.js';

export type Pads4 = [top: number, left: number, bottom: number, right: number];

export interface WindowSpec {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** Explicit pads (ONNX order [top, left, bottom, right]) or an auto_pad rule resolved per input size. */
  pads: Pads4 | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  ceilMode: boolean;
}

function two(values: number[], name: string, label: string): [number, number] {
  if (values.length !== 2) throw new Error(`${label}: '${name}' must have 2 values for a 2-D window (NCHW input), got [${values.join(', ')}]`);
  return [values[0], values[1]];
}

/** Reads the window attributes; `kernel` is the weight's spatial size for Conv (kernel_shape may be omitted there). */
export function readWindow(attributes: NodeAttributes, label: string, kernel?: [number, number]): WindowSpec {
  const declared = attributes.has('kernel_shape') || kernel === undefined ? two(attributes.ints('kernel_shape'), 'kernel_shape', label) : kernel;
  if (kernel !== undefined && (declared[0] !== kernel[0] || declared[1] !== kernel[1])) {
    throw new Error(`${label}: kernel_shape [${declared.join(', ')}] does not match the weight's ${kernel.join('×')} kernel`);
  }
  const strides = two(attributes.ints('strides', [1, 1]), 'strides', label);
  const dilations = two(attributes.ints('dilations', [1, 1]), 'dilations', label);
  const autoPad = attributes.string('auto_pad', 'NOTSET');
  const ceilMode = attributes.int('ceil_mode', 0) !== 0;
  for (const [name, values] of [
    ['kernel_shape', declared],
    ['strides', strides],
    ['dilations', dilations],
  ] as const) {
    if (values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`${label}: '${name}' must be positive integers, got [${values.join(', ')}]`);
  }
  let pads: WindowSpec['pads'];
  if (autoPad === 'NOTSET') {
    const p = attributes.ints('pads', [0, 0, 0, 0]);
    if (p.length !== 4) throw new Error(`${label}: 'pads' must have 4 values [top, left, bottom, right], got [${p.join(', ')}]`);
    if (p.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`${label}: 'pads' must be non-negative integers, got [${p.join(', ')}]`);
    pads = [p[0], p[1], p[2], p[3]];
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER' || autoPad === 'VALID') {
    attributes.ignore('pads'); // ONNX forbids both; a file that has both means auto_pad
    pads = autoPad;
  } else {
    throw new Error(`${label}: auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  return { kernel: declared, strides, dilations, pads, ceilMode };
}

/** The explicit pads for an input of `inH`×`inW`, and ONNX's output size. */
export function resolveWindow(spec: WindowSpec, inH: number, inW: number, label: string): { pads: Pads4; outH: number; outW: number } {
  const extent = (k: number, d: number): number => (k - 1) * d + 1;
  const axes = [0, 1].map((axis) => {
    const size = axis === 0 ? inH : inW;
    const k = extent(spec.kernel[axis], spec.dilations[axis]);
    const s = spec.strides[axis];
    if (spec.pads === 'VALID') return { begin: 0, end: 0, out: Math.floor((size - k) / s) + 1 };
    if (spec.pads === 'SAME_UPPER' || spec.pads === 'SAME_LOWER') {
      const out = Math.ceil(size / s);
      const total = Math.max(0, (out - 1) * s + k - size);
      const small = Math.floor(total / 2);
      return spec.pads === 'SAME_UPPER' ? { begin: small, end: total - small, out } : { begin: total - small, end: small, out };
    }
    const begin = spec.pads[axis];
    const end = spec.pads[axis + 2];
    const span = (size + begin + end - k) / s;
    let out = (spec.ceilMode ? Math.ceil(span) : Math.floor(span)) + 1;
    // ceil_mode never starts a window in the end padding (torch's and onnxruntime's rule): it would see no input.
    if (spec.ceilMode && (out - 1) * s >= size + begin) out--;
    return { begin, end, out };
  });
  const [h, w] = axes;
  if (h.out < 1 || w.out < 1) {
    throw new Error(`${label}: input ${inH}×${inW} is smaller than the ${spec.kernel.join('×')} window (output would be ${h.out}×${w.out})`);
  }
  return { pads: [h.begin, w.begin, h.end, w.end], outH: h.out, outW: w.out };
}

/** Explicit pads equal on both sides of each axis: what PyTorch's layers take. */
export function symmetricPadding(pads: Pads4): [number, number] | null {
  return pads[0] === pads[2] && pads[1] === pads[3] ? [pads[0], pads[1]] : null;
}
