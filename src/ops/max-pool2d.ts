/** Differentiable 2-D max pooling, torch.nn.functional.max_pool2d (ceil_mode and dilation included). */
import type { Pool2dGeometry } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { shapeToString } from '../tensor/shape.js';
import { attachGrad, needsGrad, Tensor } from '../tensor/tensor.js';
import { checkedPair, type Pair } from './pair.js';
import { recycleBuffer, takeBuffer } from '../tensor/buffer-pool.js';
import { asBatchOfOne, asBatchOfOneAsync } from './unbatched.js';

export interface MaxPool2dOptions {
  /** Defaults to the kernel size, as in PyTorch. */
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
  label?: string;
}

/** PyTorch's pooling_output_shape: with ceil_mode the last window must still start inside the input or left padding. */
export function poolOutputSize(input: number, kernel: number, stride: number, pad: number, dilation: number, ceilMode: boolean): number {
  const span = input + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= input + pad) out--;
  return out;
}

export function maxPool2dGeometry(xShape: readonly number[], kernelSize: Pair, options: MaxPool2dOptions = {}): Pool2dGeometry {
  const label = options.label ?? 'max_pool2d';
  if (xShape.length !== 4) throw new Error(`${label}: expected input [N, C, H, W] or [C, H, W], got ${shapeToString(xShape)}`);
  const [kernelH, kernelW] = checkedPair(kernelSize, 'kernel size', label);
  const [strideH, strideW] = checkedPair(options.stride ?? kernelSize, 'stride', label);
  const [padH, padW] = checkedPair(options.padding ?? 0, 'padding', label);
  const [dilationH, dilationW] = checkedPair(options.dilation ?? 1, 'dilation', label);
  const ceilMode = options.ceilMode ?? false;
  if (![kernelH, kernelW, strideH, strideW, dilationH, dilationW].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(
      `${label}: kernel size, stride and dilation must be positive integers, got kernel (${kernelH}, ${kernelW}), stride (${strideH}, ${strideW}), dilation (${dilationH}, ${dilationW})`,
    );
  }
  if (![padH, padW].every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`${label}: padding must be non-negative integers, got (${padH}, ${padW})`);
  }
  if (padH > kernelH / 2 || padW > kernelW / 2) {
    throw new Error(`${label}: padding (${padH}, ${padW}) must be at most half the kernel size (${kernelH}, ${kernelW})`);
  }
  const [batch, channels, inH, inW] = xShape;
  const outH = poolOutputSize(inH, kernelH, strideH, padH, dilationH, ceilMode);
  const outW = poolOutputSize(inW, kernelW, strideW, padW, dilationW, ceilMode);
  if (outH < 1 || outW < 1) {
    throw new Error(`${label}: input ${inH}×${inW} is too small for a ${kernelH}×${kernelW} window (output would be ${outH}×${outW})`);
  }
  return { batch, channels, inH, inW, outH, outW, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW };
}

/**
 * maxPool2d whose kernel runs off the main thread when no graph is recorded and the backend offers an async
 * kernel for it (native): the same result as maxPool2d.
 */
export function maxPool2dAsync(x: Tensor, kernelSize: Pair, options: MaxPool2dOptions = {}): Promise<Tensor> {
  return asBatchOfOneAsync(x, (batched) => maxPool2dBatchedAsync(batched, kernelSize, options));
}

async function maxPool2dBatchedAsync(x: Tensor, kernelSize: Pair, options: MaxPool2dOptions): Promise<Tensor> {
  const kernels = getBackend().async;
  if (kernels?.maxPool2dForward === undefined || needsGrad([x])) return maxPool2dBatched(x, kernelSize, options);
  const { g, out } = prepare(x, kernelSize, options);
  await kernels.maxPool2dForward(g, x.data, out.data);
  return out;
}

function prepare(x: Tensor, kernelSize: Pair, options: MaxPool2dOptions): { g: Pool2dGeometry; out: Tensor } {
  const g = maxPool2dGeometry(x.shape, kernelSize, options);
  return { g, out: Tensor.empty([g.batch, g.channels, g.outH, g.outW]) };
}

/** torch.nn.functional.max_pool2d: input [N, C, H, W], or unbatched [C, H, W]. */
export function maxPool2d(x: Tensor, kernelSize: Pair, options: MaxPool2dOptions = {}): Tensor {
  return asBatchOfOne(x, (batched) => maxPool2dBatched(batched, kernelSize, options));
}

function maxPool2dBatched(x: Tensor, kernelSize: Pair, options: MaxPool2dOptions): Tensor {
  const { g, out } = prepare(x, kernelSize, options);
  // The indices exist only for the backward pass: inference skips them (less memory, a faster kernel).
  if (!needsGrad([x])) {
    getBackend().maxPool2dForward(g, x.data, out.data, null);
    return out;
  }
  // Stored in a pooled array (int32 and float32 have the same size): fresh memory would cost page faults on
  // every training step, and the graph's node runs once (it is freed by backward), after which they can go back.
  const argmaxStore = takeBuffer(out.data.length);
  const argmax = new Int32Array(argmaxStore.buffer, argmaxStore.byteOffset, out.data.length);
  getBackend().maxPool2dForward(g, x.data, out.data, argmax);
  return attachGrad(out, 'MaxPool2dBackward', [x], (gradOut) => {
    const gradX = takeBuffer(x.data.length);
    getBackend().maxPool2dBackward(g, gradOut, argmax, gradX);
    recycleBuffer(argmaxStore);
    return [gradX];
  });
}
