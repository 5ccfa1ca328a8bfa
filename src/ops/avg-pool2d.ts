/** Differentiable 2-D average pooling, torch.nn.functional.avg_pool2d (ceil_mode, count_include_pad, divisor_override). */
import type { AvgPool2dGeometry } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { takeBuffer } from '../tensor/buffer-pool.js';
import { MAX_TENSOR_ELEMENTS, shapeToString } from '../tensor/shape.js';
import { attachGrad, Tensor } from '../tensor/tensor.js';
import { checkedPair, type Pair } from './pair.js';
import { asBatchOfOne } from './unbatched.js';

/**
 * torch's `p` or `[padH, padW]` (both sides alike), or, beyond torch, `[top, left, bottom, right]`: ONNX's
 * pads order [x1_begin, x2_begin, x1_end, x2_end], for the asymmetric padding an imported graph may carry.
 */
export type AvgPool2dPadding = Pair | readonly [number, number, number, number];

export interface AvgPool2dOptions {
  /** Defaults to the kernel size, as in PyTorch. */
  stride?: Pair;
  padding?: AvgPool2dPadding;
  ceilMode?: boolean;
  /** Whether padded cells count in the divisor (default true, as in PyTorch). */
  countIncludePad?: boolean;
  /** When set, every window's sum is divided by this instead. */
  divisorOverride?: number;
  label?: string;
}

/**
 * PyTorch's pooling_output_shape with a pad per side: with ceil_mode the last window must still start inside
 * the input or the begin padding (a window starting in the end padding would average padding only).
 */
export function avgPoolOutputSize(input: number, kernel: number, stride: number, padBegin: number, padEnd: number, ceilMode: boolean): number {
  const span = input + padBegin + padEnd - (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= input + padBegin) out--;
  return out;
}

function isCount(v: number, min: number): boolean {
  return Number.isInteger(v) && v >= min;
}

/** [top, left, bottom, right]; torch's rule "padding at most half the kernel" holds for the symmetric forms only. */
function paddingSides(padding: AvgPool2dPadding, kernelH: number, kernelW: number, label: string): [number, number, number, number] {
  const sides = typeof padding === 'number' ? [padding, padding] : [...padding];
  if (sides.length !== 2 && sides.length !== 4) {
    throw new Error(`${label}: padding must be a number, [padH, padW] or [top, left, bottom, right], got ${JSON.stringify(padding)}`);
  }
  if (!sides.every((p) => isCount(p, 0))) throw new Error(`${label}: padding must be non-negative integers, got ${JSON.stringify(padding)}`);
  if (sides.length === 2) {
    const [padH, padW] = sides;
    if (padH > kernelH / 2 || padW > kernelW / 2) {
      throw new Error(`${label}: padding (${padH}, ${padW}) must be at most half the kernel size (${kernelH}, ${kernelW})`);
    }
    return [padH, padW, padH, padW];
  }
  const [top, left, bottom, right] = sides;
  // Smaller than the kernel (onnxruntime's rule too), so that every window reaches the input.
  if (top >= kernelH || bottom >= kernelH || left >= kernelW || right >= kernelW) {
    throw new Error(`${label}: padding [top, left, bottom, right] = [${sides.join(', ')}] must be smaller than the kernel size (${kernelH}, ${kernelW})`);
  }
  return [top, left, bottom, right];
}

export function avgPool2dGeometry(xShape: readonly number[], kernelSize: Pair, options: AvgPool2dOptions = {}): AvgPool2dGeometry {
  const label = options.label ?? 'avg_pool2d';
  if (xShape.length !== 4) throw new Error(`${label}: expected input [N, C, H, W] or [C, H, W], got ${shapeToString(xShape)}`);
  const [kernelH, kernelW] = checkedPair(kernelSize, 'kernel size', label);
  const [strideH, strideW] = checkedPair(options.stride ?? kernelSize, 'stride', label);
  if (![kernelH, kernelW, strideH, strideW].every((v) => isCount(v, 1))) {
    throw new Error(`${label}: kernel size and stride must be positive integers, got kernel (${kernelH}, ${kernelW}), stride (${strideH}, ${strideW})`);
  }
  const [padTop, padLeft, padBottom, padRight] = paddingSides(options.padding ?? 0, kernelH, kernelW, label);
  const divisorOverride = options.divisorOverride ?? null;
  if (divisorOverride !== null && (!Number.isInteger(divisorOverride) || divisorOverride === 0)) {
    throw new Error(`${label}: divisorOverride must be a non-zero integer, got ${divisorOverride}`);
  }
  const ceilMode = options.ceilMode ?? false;
  const [batch, channels, inH, inW] = xShape;
  const outH = avgPoolOutputSize(inH, kernelH, strideH, padTop, padBottom, ceilMode);
  const outW = avgPoolOutputSize(inW, kernelW, strideW, padLeft, padRight, ceilMode);
  if (outH < 1 || outW < 1) {
    throw new Error(`${label}: input ${inH}×${inW} is too small for a ${kernelH}×${kernelW} window (output would be ${outH}×${outW})`);
  }
  // Checked before allocating: large pads with a larger kernel are valid, and a few bytes of ONNX graph can ask for this.
  const outputElements = batch * channels * outH * outW;
  if (outputElements > MAX_TENSOR_ELEMENTS) {
    throw new Error(`${label}: the output [${batch}, ${channels}, ${outH}, ${outW}] would hold ${outputElements} elements (at most ${MAX_TENSOR_ELEMENTS})`);
  }
  return {
    batch,
    channels,
    inH,
    inW,
    outH,
    outW,
    kernelH,
    kernelW,
    strideH,
    strideW,
    padTop,
    padLeft,
    padBottom,
    padRight,
    countIncludePad: options.countIncludePad ?? true,
    divisorOverride,
  };
}

/** torch.nn.functional.avg_pool2d: input [N, C, H, W], or unbatched [C, H, W]. */
export function avgPool2d(x: Tensor, kernelSize: Pair, options: AvgPool2dOptions = {}): Tensor {
  return asBatchOfOne(x, (batched) => avgPool2dBatched(batched, kernelSize, options));
}

function avgPool2dBatched(x: Tensor, kernelSize: Pair, options: AvgPool2dOptions): Tensor {
  const g = avgPool2dGeometry(x.shape, kernelSize, options);
  const out = Tensor.empty([g.batch, g.channels, g.outH, g.outW]);
  getBackend().avgPool2dForward(g, x.data, out.data);
  return attachGrad(out, 'AvgPool2dBackward', [x], (gradOut) => {
    const gradX = takeBuffer(x.data.length);
    getBackend().avgPool2dBackward(g, gradOut, gradX);
    return [gradX];
  });
}
