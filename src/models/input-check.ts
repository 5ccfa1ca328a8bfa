/** Friendly input validation shared by the models: one message that says what the model accepts. */
import { shapeToString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export interface InputSpec {
  model: string;
  channels: number;
  /** Smallest height/width the layers can reduce to a valid output. */
  minSize: number;
  /** Largest height/width, when the classifier needs an exact feature size. */
  maxSize?: number;
}

export function checkImageInput(x: Tensor, spec: InputSpec): void {
  const sizeRule =
    spec.maxSize === undefined
      ? `H, W ≥ ${spec.minSize}`
      : spec.minSize === spec.maxSize
        ? `H = W = ${spec.minSize}`
        : `${spec.minSize} ≤ H, W ≤ ${spec.maxSize}`;
  const expected = `expected input [N, ${spec.channels}, H, W] with ${sizeRule}, got ${shapeToString(x.shape)}`;
  if (x.ndim !== 4 || x.shape[1] !== spec.channels) throw new Error(`${spec.model}: ${expected}`);
  const [, , h, w] = x.shape;
  if (h < spec.minSize || w < spec.minSize) {
    throw new Error(`${spec.model}: input ${h}×${w} is too small, the minimum is ${spec.minSize}×${spec.minSize} (${expected})`);
  }
  if (spec.maxSize !== undefined && (h > spec.maxSize || w > spec.maxSize)) {
    throw new Error(`${spec.model}: input ${h}×${w} is too large for the fixed 6×6 classifier input (${expected})`);
  }
}
