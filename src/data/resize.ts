/**
 * Bilinear resizing of float CHW images with the semantics of
 * torch.nn.functional.interpolate(mode='bilinear', align_corners=False), with
 * or without antialias — what torchvision 0.14's Resize does to tensors.
 *
 * Interim home: a float image-resize module is planned under src/image/; this
 * one keeps the data pipeline working until the two are folded together.
 *
 * Both variants are expressed as per-axis tap tables (source index + weight
 * for every output position), computed once per (input, output) size pair and
 * cached, since a training run resizes the same sizes millions of times.
 */
import { createImage, type FloatImage } from './image.js';

/** Taps along one axis: output i reads `taps` source positions starting at i·taps. */
interface AxisTaps {
  taps: number;
  index: Int32Array;
  weight: Float32Array;
}

const tableCache = new Map<string, AxisTaps>();
const MAX_CACHED_TABLES = 256;

function cached(key: string, build: () => AxisTaps): AxisTaps {
  let table = tableCache.get(key);
  if (table === undefined) {
    if (tableCache.size >= MAX_CACHED_TABLES) tableCache.clear();
    table = build();
    tableCache.set(key, table);
  }
  return table;
}

/**
 * torch's plain linear taps (compute_indices_weights_linear): the source
 * coordinate of output i is scale·(i + 0.5) − 0.5 with scale = in/out in
 * float32, clamped at 0; it blends the pixel at its floor and the next one
 * (the same pixel at the last column).
 */
function linearTaps(inSize: number, outSize: number): AxisTaps {
  return cached(`lin:${inSize}:${outSize}`, () => {
    const index = new Int32Array(outSize * 2);
    const weight = new Float32Array(outSize * 2);
    const scale = Math.fround(inSize / outSize);
    for (let i = 0; i < outSize; i++) {
      // Kept in double until the weights are stored: torch's float kernel
      // evidently carries the source coordinate at higher precision (rounding
      // it to float32 first puts some outputs 1e-6 off).
      const src = Math.max(scale * (i + 0.5) - 0.5, 0);
      const i0 = Math.floor(src);
      const lambda1 = Math.min(Math.max(src - i0, 0), 1);
      index[2 * i] = i0;
      index[2 * i + 1] = i0 < inSize - 1 ? i0 + 1 : i0;
      weight[2 * i] = 1 - lambda1;
      weight[2 * i + 1] = lambda1;
    }
    return { taps: 2, index, weight };
  });
}

/**
 * torch's antialiased taps (_compute_weights_aa, the same filter as PIL's
 * bilinear): when shrinking, the triangle filter is stretched by the scale so
 * every source pixel contributes; weights are normalised to sum to 1.
 */
function antialiasTaps(inSize: number, outSize: number): AxisTaps {
  return cached(`aa:${inSize}:${outSize}`, () => {
    const scale = inSize / outSize;
    const support = scale >= 1 ? scale : 1;
    const invScale = scale >= 1 ? 1 / scale : 1;
    const taps = Math.ceil(support) * 2 + 1;
    const index = new Int32Array(outSize * taps);
    const weight = new Float32Array(outSize * taps);
    const w = new Float64Array(taps);
    for (let i = 0; i < outSize; i++) {
      const center = scale * (i + 0.5);
      const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
      let total = 0;
      for (let j = 0; j < xsize; j++) {
        const x = Math.abs((j + xmin - center + 0.5) * invScale);
        w[j] = x < 1 ? 1 - x : 0;
        total += w[j];
      }
      for (let j = 0; j < taps; j++) {
        // Unused taps point at a valid pixel with weight 0, so the inner loop needs no bounds test.
        index[i * taps + j] = j < xsize ? xmin + j : xmin;
        weight[i * taps + j] = j < xsize && total !== 0 ? w[j] / total : 0;
      }
    }
    return { taps, index, weight };
  });
}

export interface ResizeOptions {
  /** Antialiased (PIL-like) filtering when shrinking; torchvision 0.14's tensor default is false. */
  antialias?: boolean;
}

/** Resizes every channel of `image` to outHeight × outWidth. */
export function resizeBilinear(image: FloatImage, outHeight: number, outWidth: number, options: ResizeOptions = {}): FloatImage {
  if (!Number.isInteger(outHeight) || !Number.isInteger(outWidth) || outHeight <= 0 || outWidth <= 0) {
    throw new Error(`resize: output size must be positive integers, got ${outHeight}×${outWidth}`);
  }
  const { channels, height, width } = image;
  if (height === outHeight && width === outWidth) return createImage(channels, height, width, new Float32Array(image.data));
  if (options.antialias) return resizeSeparable(image, outHeight, outWidth);
  return resizeLinear2d(image, outHeight, outWidth);
}

/** One pass over the output: each value blends four source pixels, rows first as torch does. */
function resizeLinear2d(image: FloatImage, outHeight: number, outWidth: number): FloatImage {
  const { channels, height, width, data } = image;
  const rows = linearTaps(height, outHeight);
  const cols = linearTaps(width, outWidth);
  const out = createImage(channels, outHeight, outWidth);
  const dst = out.data as Float32Array;
  const inPlane = height * width;
  let o = 0;
  for (let c = 0; c < channels; c++) {
    const base = c * inPlane;
    for (let y = 0; y < outHeight; y++) {
      const r0 = base + rows.index[2 * y] * width;
      const r1 = base + rows.index[2 * y + 1] * width;
      const h0 = rows.weight[2 * y];
      const h1 = rows.weight[2 * y + 1];
      for (let x = 0; x < outWidth; x++) {
        const c0 = cols.index[2 * x];
        const c1 = cols.index[2 * x + 1];
        const w0 = cols.weight[2 * x];
        const w1 = cols.weight[2 * x + 1];
        const top = data[r0 + c0] * w0 + data[r0 + c1] * w1;
        const bottom = data[r1 + c0] * w0 + data[r1 + c1] * w1;
        dst[o++] = top * h0 + bottom * h1;
      }
    }
  }
  return out;
}

/**
 * Antialiased resize as torch does it: along the width first into a float32
 * buffer, then along the height; an axis whose size does not change is skipped.
 */
function resizeSeparable(image: FloatImage, outHeight: number, outWidth: number): FloatImage {
  let current = image;
  if (image.width !== outWidth) current = resizeAxis(current, antialiasTaps(image.width, outWidth), 'width', outWidth);
  if (image.height !== outHeight) current = resizeAxis(current, antialiasTaps(image.height, outHeight), 'height', outHeight);
  return current;
}

function resizeAxis(image: FloatImage, table: AxisTaps, axis: 'width' | 'height', outSize: number): FloatImage {
  const { channels, height, width, data } = image;
  const { taps, index, weight } = table;
  if (axis === 'width') {
    const out = createImage(channels, height, outSize);
    const dst = out.data as Float32Array;
    let o = 0;
    for (let row = 0; row < channels * height; row++) {
      const base = row * width;
      for (let x = 0; x < outSize; x++) {
        let sum = 0;
        for (let t = x * taps, end = t + taps; t < end; t++) sum += data[base + index[t]] * weight[t];
        dst[o++] = sum;
      }
    }
    return out;
  }
  const out = createImage(channels, outSize, width);
  const dst = out.data as Float32Array;
  const acc = new Float64Array(width);
  for (let c = 0; c < channels; c++) {
    const base = c * height * width;
    for (let y = 0; y < outSize; y++) {
      acc.fill(0);
      // Row-by-row accumulation keeps the inner loop contiguous in memory.
      for (let t = y * taps, end = t + taps; t < end; t++) {
        const wt = weight[t];
        if (wt === 0) continue;
        const src = base + index[t] * width;
        for (let x = 0; x < width; x++) acc[x] += data[src + x] * wt;
      }
      dst.set(acc, (c * outSize + y) * width);
    }
  }
  return out;
}
