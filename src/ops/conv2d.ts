/** Differentiable 2-D convolution (NCHW input, OIHW weight), torch.nn.functional.conv2d. */
import type { Conv2dGeometry, PackedConv2dWeight } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { MAX_TENSOR_ELEMENTS, shapeToString } from '../tensor/shape.js';
import { attachGrad, assertNoGraphThroughFusedRelu, Tensor } from '../tensor/tensor.js';
import { checkedPair, type Pair } from './pair.js';
import { takeBuffer } from '../tensor/buffer-pool.js';
import { asBatchOfOne, asBatchOfOneAsync } from './unbatched.js';

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** Apply ReLU in the same pass (inference fast path; no autograd through the fused ReLU). */
  fuseRelu?: boolean;
  /** Who is calling, for error messages (e.g. "Conv2d(3→64, k=11, s=4, p=2)"). */
  label?: string;
  /** The weight as the current backend packed it (inference only: no gradient flows to the weight then). */
  packed?: PackedConv2dWeight;
}

/** Output size of a convolution or pooling window sweep along one axis. */
export function convOutputSize(input: number, kernel: number, stride: number, padding: number, dilation: number): number {
  return Math.floor((input + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * The geometry of a convolution of an input [N, C, H, W], or unbatched [C, H, W] (a batch of one, as torch
 * runs it); errors show the shape as given.
 */
export function conv2dGeometry(xShape: readonly number[], wShape: readonly number[], options: Conv2dOptions = {}): Conv2dGeometry {
  const label = options.label ?? 'conv2d';
  const [strideH, strideW] = checkedPair(options.stride ?? 1, 'stride', label);
  const [padH, padW] = checkedPair(options.padding ?? 0, 'padding', label);
  const [dilationH, dilationW] = checkedPair(options.dilation ?? 1, 'dilation', label);
  const groups = options.groups ?? 1;
  if (wShape.length !== 4) throw new Error(`${label}: expected weight [O, C/groups, kH, kW], got ${shapeToString(wShape)}`);
  const [outChannels, cPerGroup, kernelH, kernelW] = wShape;
  if (!Number.isInteger(groups) || groups < 1 || outChannels % groups !== 0) {
    throw new Error(`${label}: groups=${groups} must be a positive integer dividing the ${outChannels} output channels`);
  }
  if (kernelH < 1 || kernelW < 1) throw new Error(`${label}: the kernel size must be at least 1×1, got a weight ${shapeToString(wShape)}`);
  const inChannels = cPerGroup * groups;
  const batched = xShape.length === 3 ? [1, ...xShape] : xShape;
  if (batched.length !== 4 || batched[1] !== inChannels) {
    throw new Error(`${label}: expected input [N, ${inChannels}, H, W] or [${inChannels}, H, W], got ${shapeToString(xShape)}`);
  }
  for (const [name, v, min] of [
    ['stride', strideH, 1],
    ['stride', strideW, 1],
    ['dilation', dilationH, 1],
    ['dilation', dilationW, 1],
    ['padding', padH, 0],
    ['padding', padW, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`${label}: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  const [batch, , inH, inW] = batched;
  const outH = convOutputSize(inH, kernelH, strideH, padH, dilationH);
  const outW = convOutputSize(inW, kernelW, strideW, padW, dilationW);
  if (outH < 1 || outW < 1) {
    throw new Error(
      `${label}: input ${inH}×${inW} (padded by ${padH}, ${padW}) is smaller than the ${kernelH}×${kernelW} kernel (dilation ${dilationH}, ${dilationW})`,
    );
  }
  // The output and the unfolded input (im2col's [C/groups·kH·kW, oH·oW]) must fit a typed array: checked here, before any allocation.
  const largest = Math.max(batch * outChannels * outH * outW, cPerGroup * kernelH * kernelW * outH * outW);
  if (largest > MAX_TENSOR_ELEMENTS) {
    throw new Error(
      `${label}: input ${inH}×${inW} (padded by ${padH}, ${padW}) gives a ${outH}×${outW} output, too large (over ${MAX_TENSOR_ELEMENTS} elements)`,
    );
  }
  return { batch, inChannels, inH, inW, outChannels, outH, outW, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, groups };
}

/** torch.nn.functional.conv2d: input [N, C, H, W], or unbatched [C, H, W]. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  return asBatchOfOne(x, (batched) => conv2dBatched(batched, weight, bias, options, x.shape));
}

/** `inputShape`: x's shape as the caller gave it (unbatched [C, H, W] runs as [1, C, H, W]), for the geometry's errors. */
function conv2dBatched(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions, inputShape: readonly number[]): Tensor {
  const { g, out } = prepare(inputShape, weight, bias, options);
  const fuseRelu = options.fuseRelu ?? false;
  assertNoGraphThroughFusedRelu(fuseRelu, [x, weight, bias], options.label ?? 'conv2d');
  const backend = getBackend();
  if (options.packed !== undefined && backend.conv2dForwardPacked !== undefined) {
    backend.conv2dForwardPacked(g, options.packed, x.data, bias?.data ?? null, out.data, fuseRelu);
  } else {
    backend.conv2dForward(g, x.data, weight.data, bias?.data ?? null, out.data, fuseRelu);
  }
  return fuseRelu ? out : recordBackward(g, x, weight, bias, out);
}

/**
 * conv2d whose kernel runs off the main thread when the backend offers async
 * kernels (native), and synchronously otherwise. Same result as conv2d.
 */
export function conv2dAsync(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Promise<Tensor> {
  return asBatchOfOneAsync(x, (batched) => conv2dBatchedAsync(batched, weight, bias, options, x.shape));
}

async function conv2dBatchedAsync(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions, inputShape: readonly number[]): Promise<Tensor> {
  const kernels = getBackend().async;
  if (kernels === undefined) return conv2dBatched(x, weight, bias, options, inputShape);
  const { g, out } = prepare(inputShape, weight, bias, options);
  const fuseRelu = options.fuseRelu ?? false;
  assertNoGraphThroughFusedRelu(fuseRelu, [x, weight, bias], options.label ?? 'conv2d');
  if (options.packed !== undefined && kernels.conv2dForwardPacked !== undefined) {
    await kernels.conv2dForwardPacked(g, options.packed, x.data, bias?.data ?? null, out.data, fuseRelu);
  } else {
    await kernels.conv2dForward(g, x.data, weight.data, bias?.data ?? null, out.data, fuseRelu);
  }
  return fuseRelu ? out : recordBackward(g, x, weight, bias, out);
}

/** The geometry (of a batch of one for an unbatched `inputShape`) and the batched output tensor. */
function prepare(inputShape: readonly number[], weight: Tensor, bias: Tensor | null, options: Conv2dOptions): { g: Conv2dGeometry; out: Tensor } {
  const g = conv2dGeometry(inputShape, weight.shape, options);
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== g.outChannels)) {
    throw new Error(`${options.label ?? 'conv2d'}: expected bias [${g.outChannels}], got ${shapeToString(bias.shape)}`);
  }
  return { g, out: Tensor.empty([g.batch, g.outChannels, g.outH, g.outW]) };
}

function recordBackward(g: Conv2dGeometry, x: Tensor, weight: Tensor, bias: Tensor | null, out: Tensor): Tensor {
  return attachGrad(
    out,
    'Conv2dBackward',
    [x, weight, bias],
    (gradOut) => {
      const backend = getBackend();
      let gradX: Float32Array | null = null;
      let gradW: Float32Array | null = null;
      let gradB: Float32Array | null = null;
      if (x.requiresGrad) {
        gradX = takeBuffer(x.data.length);
        backend.conv2dBackwardData(g, gradOut, weight.data, gradX);
      }
      if (weight.requiresGrad || bias?.requiresGrad) {
        gradW = takeBuffer(weight.data.length);
        gradB = bias !== null ? new Float32Array(bias.data.length) : null;
        backend.conv2dBackwardWeight(g, x.data, gradOut, gradW, gradB);
      }
      return [gradX, weight.requiresGrad ? gradW : null, bias?.requiresGrad ? gradB : null];
    },
    [x, weight],
  );
}
