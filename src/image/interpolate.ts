/**
 * Bilinear interpolation of float images, matching PyTorch 1.13's
 * `F.interpolate(x, size=(h, w), mode='bilinear', align_corners=False)`
 * (antialias=False) on the CPU: e.g. Fashion-MNIST 28x28 up to 64x64.
 *
 * Unlike Pillow's resize this has no antialiasing: each output pixel mixes
 * the two nearest source pixels per axis. The rounding follows torch's CPU
 * kernels as measured against torch 1.13 (AVX2 build):
 *   - the source coordinate (i + 0.5)·ratio - 0.5 is computed in double
 *     from the float32 ratio in/out, clamped at 0; its fraction, rounded to
 *     float32, is the weight of the second pixel;
 *   - with one channel torch takes its channels-last kernel: four float32
 *     weights (row weight × column weight) summed in double;
 *   - with several channels it takes the generic kernel: a float32 lerp
 *     along each row, then between the two rows, each as a fused
 *     multiply-add (the compiler contracts `a*w0 + b*w1` to fma(a, w0, b*w1)).
 */
import type { ImageTensor } from './image.js';

const f32 = Math.fround;

/**
 * Float32 fused multiply-add: a·b is exact in double, so only the addition
 * rounds twice (double, then float32), which changes the result in about
 * one case in 2^28 — far below the tolerance that matters here.
 */
function fma32(a: number, b: number, c: number): number {
  return f32(a * b + c);
}

/** Source indices and weights of one axis, as torch's compute_source_index_and_lambda. */
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
    const source = Math.max(ratio * (o + 0.5) - 0.5, 0);
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
 * `input` of shape [H, W], [C, H, W] or [N, C, H, W] resampled to
 * [..., outHeight, outWidth] (a 2-D or 3-D input is taken as
 * x[None, None] or x[None], as torch would need it).
 */
export function interpolateBilinear(input: Float32Array, shape: readonly number[], size: readonly [number, number]): ImageTensor {
  if (shape.length < 2 || shape.length > 4 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`interpolateBilinear: expected a shape [H, W], [C, H, W] or [N, C, H, W] of positive integers, got [${shape.join(', ')}]`);
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
  const channels = shape.length >= 3 ? shape[shape.length - 3] : 1;
  // torch's dispatch: an NCHW tensor with one channel (or 1x1 pixels) is also channels-last contiguous.
  const channelsLastKernel = channels === 1 || inHeight * inWidth === 1;
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
        let value: number;
        if (channelsLastKernel) {
          value = input[row0 + x0] * f32(wy0 * wx0) + input[row0 + x1] * f32(wy0 * wx1) + input[row1 + x0] * f32(wy1 * wx0) + input[row1 + x1] * f32(wy1 * wx1);
        } else {
          const top = fma32(input[row0 + x0], wx0, f32(input[row0 + x1] * wx1));
          const bottom = fma32(input[row1 + x0], wx0, f32(input[row1 + x1] * wx1));
          value = fma32(top, wy0, f32(bottom * wy1));
        }
        out[(p * outHeight + y) * outWidth + x] = value;
      }
    }
  }
  return { data: out, shape: [...shape.slice(0, -2), outHeight, outWidth] };
}
