/** Differentiable adaptive average pooling to a fixed output size, torch.nn.functional.adaptive_avg_pool2d. */
import { getBackend } from '../backend/registry.js';
import { shapeToString } from '../tensor/shape.js';
import { attachGrad, Tensor } from '../tensor/tensor.js';
import { checkedPair, type Pair } from './pair.js';
import { takeBuffer } from '../tensor/buffer-pool.js';

/** The output size as [outH, outW]: torch takes non-negative integers (0 gives an empty output). */
export function adaptiveOutputSize(outputSize: Pair, label: string): [number, number] {
  const [outH, outW] = checkedPair(outputSize, 'output size', label);
  if (![outH, outW].every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`${label}: output size must be non-negative integers, got ${JSON.stringify(outputSize)}`);
  }
  return [outH, outW];
}

export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair, label = 'adaptive_avg_pool2d'): Tensor {
  if (x.ndim !== 4 && x.ndim !== 3) throw new Error(`${label}: expected input [N, C, H, W] or [C, H, W], got ${shapeToString(x.shape)}`);
  const [outH, outW] = adaptiveOutputSize(outputSize, label);
  const inH = x.shape[x.ndim - 2],
    inW = x.shape[x.ndim - 1];
  if (inH < 1 || inW < 1) throw new Error(`${label}: input ${shapeToString(x.shape)} has an empty spatial dimension`);
  const planes = x.data.length / (inH * inW);
  const out = Tensor.empty([...x.shape.slice(0, -2), outH, outW]);
  if (inH === outH && inW === outW) {
    // Every window is one value, and its mean (the value over 1) is the value itself, bit for bit: a copy.
    // torchvision's AlexNet pools its 6×6 features to 6×6 at 224×224; the kernel took 1.8 ms of a batch of 32.
    out.data.set(x.data);
    return attachGrad(out, 'AdaptiveAvgPool2dBackward', [x], (gradOut) => {
      const gradX = takeBuffer(x.data.length);
      gradX.set(gradOut);
      return [gradX];
    });
  }
  getBackend().adaptiveAvgPool2dForward(planes, inH, inW, outH, outW, x.data, out.data);
  return attachGrad(out, 'AdaptiveAvgPool2dBackward', [x], (gradOut) => {
    const gradX = takeBuffer(x.data.length);
    getBackend().adaptiveAvgPool2dBackward(planes, inH, inW, outH, outW, gradOut, gradX);
    return [gradX];
  });
}
