/**
 * Differentiable constant padding of the last one or two dimensions, torch.nn.functional.pad(x, pads, 'constant', value).
 * Negative pads crop, as in torch. The value may be ±Infinity: padding with −∞ before a max pooling emulates
 * asymmetric max-pool padding, which torch's max_pool2d cannot express.
 */
import { takeBuffer, takeZeroedBuffer } from '../tensor/buffer-pool.js';
import { MAX_TENSOR_ELEMENTS, numel, shapeToString } from '../tensor/shape.js';
import { attachGrad, Tensor } from '../tensor/tensor.js';

/** torch's order, last dimension first: [left, right] pads the last dimension, [left, right, top, bottom] the last two. */
export type Pads = readonly [number, number] | readonly [number, number, number, number];

/**
 * Copies the overlap of src [outer, srcH, srcW] into dst [outer, dstH, dstW] with src cell (h, w) landing on
 * dst cell (h + top, w + left); offsets may be negative. Forward pads with it, backward crops with the opposite offsets.
 */
function copyShifted(
  src: Float32Array,
  dst: Float32Array,
  outer: number,
  srcH: number,
  srcW: number,
  dstH: number,
  dstW: number,
  top: number,
  left: number,
): void {
  const h0 = Math.max(0, -top),
    h1 = Math.min(srcH, dstH - top);
  const w0 = Math.max(0, -left),
    w1 = Math.min(srcW, dstW - left);
  if (h0 >= h1 || w0 >= w1) return;
  for (let o = 0; o < outer; o++) {
    for (let h = h0; h < h1; h++) {
      const from = (o * srcH + h) * srcW;
      dst.set(src.subarray(from + w0, from + w1), (o * dstH + h + top) * dstW + w0 + left);
    }
  }
}

export function pad(x: Tensor, pads: Pads, value = 0): Tensor {
  if ((pads.length !== 2 && pads.length !== 4) || !pads.every((p) => Number.isInteger(p))) {
    throw new Error(`pad: expected integer pads [left, right] or [left, right, top, bottom], got ${JSON.stringify(pads)}`);
  }
  const padded = pads.length / 2;
  if (x.ndim < padded) throw new Error(`pad: ${pads.length} pads need a tensor of at least ${padded} dimensions, got shape ${shapeToString(x.shape)}`);
  const [left, right, top = 0, bottom = 0] = pads;
  const inW = x.shape[x.ndim - 1];
  const inH = padded === 2 ? x.shape[x.ndim - 2] : 1;
  const outW = inW + left + right;
  const outH = inH + top + bottom;
  if (outW < 0 || outH < 0) {
    throw new Error(`pad: pads ${JSON.stringify(pads)} crop more than the input holds (shape ${shapeToString(x.shape)}, padded size ${outH}×${outW})`);
  }
  const lead = x.shape.slice(0, x.ndim - padded);
  const outer = numel(lead);
  // Checked before allocating: huge pads (an imported model's) must fail with a message, not a RangeError from Float32Array.
  if (outer * outH * outW > MAX_TENSOR_ELEMENTS) {
    throw new Error(
      `pad: pads ${JSON.stringify(pads)} on shape ${shapeToString(x.shape)} would make ${outer * outH * outW} elements (at most ${MAX_TENSOR_ELEMENTS})`,
    );
  }
  const out = new Tensor(takeBuffer(outer * outH * outW).fill(value), padded === 2 ? [...lead, outH, outW] : [...lead, outW]);
  copyShifted(x.data, out.data, outer, inH, inW, outH, outW, top, left);
  return attachGrad(out, 'ConstantPadNdBackward', [x], (gradOut) => {
    // The gradient of a pad is the crop back to the input; cropped-away input cells get 0.
    const gradX = takeZeroedBuffer(x.data.length);
    copyShifted(gradOut, gradX, outer, outH, outW, inH, inW, -top, -left);
    return [gradX];
  });
}
