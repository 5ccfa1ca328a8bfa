/**
 * Bilinear interpolation of float images, matching PyTorch 1.13's
 * `F.interpolate(x, size=(h, w), mode='bilinear', align_corners=False)`
 * (antialias=False) on the CPU: e.g. Fashion-MNIST 28x28 up to 64x64.
 *
 * Unlike Pillow's resize this has no antialiasing: each output pixel mixes
 * the two nearest source pixels per axis. Following torch, the source
 * coordinate (i + 0.5)·(in/out) - 0.5 is computed in double from a float32
 * ratio, stored as float32 and clamped at 0; the weights and the weighted
 * sums are float32.
 */
import type { ImageTensor } from './image.js';

const f32 = Math.fround;

/** Source indices and weights of one axis, as torch's compute_indices_weights_linear. */
interface LinearTaps {
  readonly index0: Int32Array;
  readonly index1: Int32Array;
  readonly weight0: Float32Array;
  readonly weight1: Float32Array;
}

function linearTaps(inSize: number, outSize: number): LinearTaps {
  const index0 = new Int32Array(outSize);
  const index1 = new Int32Array(outSize);
  const weight0 = new Float32Array(outSize);
  const weight1 = new Float32Array(outSize);
  const ratio = f32(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    if (inSize === outSize) {
      // torch copies when the size is unchanged.
      index0[o] = o;
      index1[o] = o;
      weight0[o] = 1;
      weight1[o] = 0;
      continue;
    }
    let source = f32(ratio * (o + 0.5) - 0.5);
    if (source < 0) source = 0;
    const i0 = Math.trunc(source);
    index0[o] = i0;
    index1[o] = i0 < inSize - 1 ? i0 + 1 : i0;
    const lambda = Math.min(Math.max(f32(source - i0), 0), 1);
    weight1[o] = lambda;
    weight0[o] = f32(1 - lambda);
  }
  return { index0, index1, weight0, weight1 };
}

/**
 * `input` of shape [..., H, W] (any leading dimensions, e.g. [N, C, H, W])
 * resampled to [..., outHeight, outWidth].
 */
export function interpolateBilinear(
  input: Float32Array,
  shape: readonly number[],
  size: readonly [number, number],
): ImageTensor {
  if (shape.length < 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`interpolateBilinear: expected a shape [..., H, W] of positive integers, got [${shape.join(', ')}]`);
  }
  const [outHeight, outWidth] = size;
  if (![outHeight, outWidth].every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`interpolateBilinear: size must be [height, width] positive integers, got [${size.join(', ')}]`);
  }
  const inHeight = shape[shape.length - 2];
  const inWidth = shape[shape.length - 1];
  const planes = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  if (input.length !== planes * inHeight * inWidth) {
    throw new Error(`interpolateBilinear: ${input.length} values do not fill shape [${shape.join(', ')}]`);
  }
  const rows = linearTaps(inHeight, outHeight);
  const cols = linearTaps(inWidth, outWidth);
  const out = new Float32Array(planes * outHeight * outWidth);
  for (let p = 0; p < planes; p++) {
    const plane = p * inHeight * inWidth;
    for (let y = 0; y < outHeight; y++) {
      const row0 = plane + rows.index0[y] * inWidth;
      const row1 = plane + rows.index1[y] * inWidth;
      const wy0 = rows.weight0[y];
      const wy1 = rows.weight1[y];
      for (let x = 0; x < outWidth; x++) {
        const x0 = cols.index0[x];
        const x1 = cols.index1[x];
        const wx0 = cols.weight0[x];
        const wx1 = cols.weight1[x];
        // torch nests the axes this way: rows outside, columns inside.
        const top = f32(f32(input[row0 + x0] * wx0) + f32(input[row0 + x1] * wx1));
        const bottom = f32(f32(input[row1 + x0] * wx0) + f32(input[row1 + x1] * wx1));
        out[(p * outHeight + y) * outWidth + x] = f32(top * wy0) + f32(bottom * wy1);
      }
    }
  }
  return { data: out, shape: [...shape.slice(0, -2), outHeight, outWidth] };
}
