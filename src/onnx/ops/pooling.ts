/**
 * MaxPool, AveragePool and GlobalAveragePool on NCHW input. What PyTorch's
 * layers express exactly (symmetric pads within half the kernel, floor
 * rounding) becomes a MaxPool2d or AvgPool2d layer; the rest pads the input
 * explicitly so that ONNX's output size and window placement hold. Kernels
 * of 1 or 3+ axes pool in pooling-nd.ts.
 */
import { MaxPool2d } from '../../nn/layers/max-pool2d.js';
import { adaptiveAvgPool2d } from '../../ops/adaptive-avg-pool2d.js';
import { avgPool2d } from '../../ops/avg-pool2d.js';
import { maxPool2d } from '../../ops/max-pool2d.js';
import { pad } from '../../ops/pad.js';
import { shapeToString } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { allocateElements, OnnxTensor } from '../onnx-tensor.js';
import { type CompileContext, type CompiledOp, type FunctionOp, requireInput } from './op.js';
import { compileAveragePoolNd, compileMaxPoolNd } from './pooling-nd.js';
import { readWindow, resolveWindow, symmetricPadding } from './window.js';

function nchw(value: OnnxTensor, label: string): void {
  if (value.ndim !== 4) throw new Error(`${label}: only 2-D pooling is supported (input [N, C, H, W]), got ${shapeToString(value.shape)}`);
}

/** Integer inputs (ONNX allows uint8 and friends) pool as float32, which holds them exactly, and convert back. */
function asFloat(value: OnnxTensor, label: string): Tensor {
  if (value.type === 'float32') return value.toTensor(label);
  if (value.type === 'float64' || value.type === 'int64' || value.type === 'uint64' || value.type === 'int32' || value.type === 'uint32') {
    throw new Error(`${label}: ${value.type} input is not supported (float32 and 8/16-bit integers are)`);
  }
  return new Tensor(Float32Array.from(value.data as ArrayLike<number>), value.shape);
}

function backToType(y: Tensor, type: OnnxTensor['type']): OnnxTensor {
  if (type === 'float32') return OnnxTensor.fromTensor(y);
  const out = allocateElements(type, y.numel) as Exclude<ReturnType<typeof allocateElements>, BigInt64Array | BigUint64Array>;
  out.set(y.data);
  return new OnnxTensor(type, y.shape, out);
}

/** Kernels of other than 2 axes (1-D and 3-D pooling, torch's 5-D LocalResponseNorm export) go to pooling-nd.ts. */
function isTwoDimensional({ attributes }: CompileContext): boolean {
  return !attributes.has('kernel_shape') || attributes.ints('kernel_shape').length === 2;
}

export function compileMaxPool(context: CompileContext): CompiledOp {
  if (!isTwoDimensional(context)) return compileMaxPoolNd(context);
  const { attributes, label, node } = context;
  const spec = readWindow(attributes, label);
  if (attributes.int('storage_order', 0) !== 0) throw new Error(`${label}: storage_order=1 (column-major indices) is not supported`);
  if ((node.outputs[1] ?? '') !== '') throw new Error(`${label}: the Indices output is not supported (only Y)`);
  const symmetric = typeof spec.pads === 'string' ? (spec.pads === 'VALID' ? ([0, 0] as [number, number]) : null) : symmetricPadding(spec.pads);
  const torchExact = symmetric !== null && !spec.ceilMode && symmetric[0] <= spec.kernel[0] / 2 && symmetric[1] <= spec.kernel[1] / 2;
  const general: FunctionOp = {
    kind: 'function',
    run(inputs) {
      const input = requireInput(inputs, 0, label, 'X');
      nchw(input, label);
      const x = asFloat(input, `${label} input X`);
      const { pads, outH, outW } = resolveWindow(spec, x.shape[2], x.shape[3], label);
      // Pad with -∞ so that the padded cells never win, and to exactly the extent the output's windows cover.
      const needH = (outH - 1) * spec.strides[0] + (spec.kernel[0] - 1) * spec.dilations[0] + 1;
      const needW = (outW - 1) * spec.strides[1] + (spec.kernel[1] - 1) * spec.dilations[1] + 1;
      const [top, left] = pads;
      const padded = pad(x, [left, needW - x.shape[3] - left, top, needH - x.shape[2] - top], Number.NEGATIVE_INFINITY);
      const y = maxPool2d(padded, spec.kernel, { stride: spec.strides, dilation: spec.dilations, label });
      return [backToType(y, input.type)];
    },
  };
  if (!torchExact) return general;
  const layer = new MaxPool2d(spec.kernel, { stride: spec.strides, padding: symmetric, dilation: spec.dilations });
  return { kind: 'layer', layer, inputRank: 4, otherTypes: general };
}

export function compileAveragePool(context: CompileContext): CompiledOp {
  if (!isTwoDimensional(context)) return compileAveragePoolNd(context);
  const { attributes, label } = context;
  const spec = readWindow(attributes, label);
  const countIncludePad = attributes.int('count_include_pad', 0) !== 0;
  if (spec.dilations[0] !== 1 || spec.dilations[1] !== 1) throw new Error(`${label}: dilations other than 1 are not supported in AveragePool`);
  return {
    kind: 'function',
    run(inputs) {
      const input = requireInput(inputs, 0, label, 'X');
      nchw(input, label);
      const x = asFloat(input, `${label} input X`);
      const { pads } = resolveWindow(spec, x.shape[2], x.shape[3], label);
      const y = avgPool2d(x, spec.kernel, { stride: spec.strides, padding: pads, ceilMode: spec.ceilMode, countIncludePad, label });
      return [backToType(y, input.type)];
    },
  };
}

export function compileGlobalAveragePool(context: CompileContext): CompiledOp {
  const { label } = context;
  return {
    kind: 'function',
    run(inputs) {
      const input = requireInput(inputs, 0, label, 'X');
      if (input.ndim === 4) return [OnnxTensor.fromTensor(adaptiveAvgPool2d(input.toTensor(`${label} input X`), [1, 1], label))];
      if (input.ndim < 3) throw new Error(`${label}: expected input [N, C, ...spatial], got ${shapeToString(input.shape)}`);
      return [meanOverSpatial(input.toTensor(`${label} input X`))];
    },
  };
}

/** GlobalAveragePool for 1-D and 3-D spatial inputs: the mean of each [n, c] plane. */
function meanOverSpatial(x: Tensor): OnnxTensor {
  const planes = x.shape[0] * x.shape[1];
  const size = x.numel / planes;
  const out = new Float32Array(planes);
  for (let p = 0; p < planes; p++) {
    let sum = 0;
    for (let i = 0; i < size; i++) sum += x.data[p * size + i];
    out[p] = sum / size;
  }
  return new OnnxTensor('float32', [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)], out);
}
