/**
 * Bilinear resizing of float CHW images with the semantics of
 * torch.nn.functional.interpolate(mode='bilinear', align_corners=False), with
 * or without antialias — what torchvision 0.14's Resize does to tensors.
 *
 * Without antialias this is src/image's interpolateBilinear (bit-exact with
 * torch's CPU kernels). The antialiased variant lives here: per-axis tap
 * tables (first source pixel, count, weights for every output position),
 * computed once per (input, output) size pair and cached, since a training
 * run resizes the same sizes millions of times.
 */
import { interpolateBilinear } from '../image/interpolate.js';
import { createFloatImage, type FloatImage } from './image.js';

/** Antialias taps: output i reads count[i] consecutive pixels from start[i], weights at weight[i·stride...]. */
interface FilterTaps {
  stride: number;
  start: Int32Array;
  count: Int32Array;
  weight: Float32Array;
}

const tableCache = new Map<string, FilterTaps>();
const MAX_CACHED_TABLES = 256;

function cached(key: string, build: () => FilterTaps): FilterTaps {
  let table = tableCache.get(key);
  if (table === undefined) {
    if (tableCache.size >= MAX_CACHED_TABLES) tableCache.clear();
    table = build();
    tableCache.set(key, table);
  }
  return table;
}

/**
 * torch's antialiased taps (_compute_weights_aa, the same filter as PIL's
 * bilinear): when shrinking, the triangle filter is stretched by the scale so
 * every source pixel contributes; weights are normalised to sum to 1.
 */
function antialiasTaps(inSize: number, outSize: number): FilterTaps {
  return cached(`aa:${inSize}:${outSize}`, () => {
    // float32 throughout, step by step, as torch's float kernel computes it.
    const f = Math.fround;
    const scale = f(inSize / outSize);
    const support = scale >= 1 ? f(scale) : 1;
    const invScale = scale >= 1 ? f(1 / scale) : 1;
    const stride = Math.ceil(support) * 2 + 1;
    const weight = new Float32Array(outSize * stride);
    const w = new Float32Array(stride);
    const start = new Int32Array(outSize);
    const count = new Int32Array(outSize);
    for (let i = 0; i < outSize; i++) {
      const center = f(scale * (i + 0.5));
      const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
      let total = 0;
      for (let j = 0; j < xsize; j++) {
        const x = Math.abs(f(f(f(j + xmin - center) + 0.5) * invScale));
        w[j] = x < 1 ? f(1 - x) : 0;
        total = f(total + w[j]);
      }
      start[i] = xmin;
      count[i] = xsize;
      for (let j = 0; j < xsize; j++) weight[i * stride + j] = total !== 0 ? f(w[j] / total) : 0;
    }
    return { stride, start, count, weight };
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
  if (height === outHeight && width === outWidth) return createFloatImage(width, height, channels, new Float32Array(image.data));
  if (options.antialias) return resizeSeparable(image, outHeight, outWidth);
  const { data } = interpolateBilinear(image.data, [channels, height, width], [outHeight, outWidth]);
  return createFloatImage(outWidth, outHeight, channels, data);
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

function resizeAxis(image: FloatImage, table: FilterTaps, axis: 'width' | 'height', outSize: number): FloatImage {
  const { channels, height, width, data } = image;
  const { stride, start, count, weight } = table;
  if (axis === 'width') {
    const out = createFloatImage(outSize, height, channels);
    const dst = out.data as Float32Array;
    let o = 0;
    for (let row = 0; row < channels * height; row++) {
      const base = row * width;
      for (let x = 0; x < outSize; x++) {
        const from = base + start[x];
        const w = x * stride;
        let sum = 0;
        for (let j = 0, n = count[x]; j < n; j++) sum += data[from + j] * weight[w + j];
        dst[o++] = sum;
      }
    }
    return out;
  }
  const out = createFloatImage(width, outSize, channels);
  const dst = out.data as Float32Array;
  const acc = new Float64Array(width);
  for (let c = 0; c < channels; c++) {
    const base = c * height * width;
    for (let y = 0; y < outSize; y++) {
      acc.fill(0);
      // Row-by-row accumulation keeps the inner loop contiguous in memory.
      for (let j = 0, n = count[y]; j < n; j++) {
        const wt = weight[y * stride + j];
        if (wt === 0) continue;
        const src = base + (start[y] + j) * width;
        for (let x = 0; x < width; x++) acc[x] += data[src + x] * wt;
      }
      dst.set(acc, (c * outSize + y) * width);
    }
  }
  return out;
}
