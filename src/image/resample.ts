/**
 * Bilinear resampling of 8-bit images, bit-identical to Pillow's
 * `Image.resize(size, Image.BILINEAR)` (what torchvision's Resize runs on a
 * PIL image).
 *
 * Pillow's algorithm, restated:
 *   - Separable: a horizontal pass, then a vertical pass; a pass is skipped
 *     when that axis keeps its size. The horizontal result is stored as
 *     8-bit values, so the rounding between passes is part of the output.
 *   - The filter is a triangle of half-width 1 source pixel when enlarging;
 *     when shrinking by a factor s it is stretched to half-width s (this is
 *     the antialiasing), with its weights renormalised to sum to 1.
 *   - The weights are computed in double precision, then turned into 22-bit
 *     fixed-point integers; sums start at one half and are truncated, then
 *     clamped to 0..255.
 */
import { getBackend } from '../backend/registry.js';
import { assertImage, type Image8 } from './image.js';

/** Fixed-point fraction bits: Pillow keeps 32 - 8 - 2 so sums cannot overflow an int32. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
/** Any sum at or above 256 in fixed point saturates to 255. */
const SATURATED = 256 * ONE;

/** The resampling taps of one axis: output i reads `count[i]` source pixels from `first[i]`. */
export interface AxisTaps {
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** Taps reserved per output pixel (stride into `weights`). */
  readonly stride: number;
  /** Fixed-point weights, `stride` per output pixel (unused ones are 0). */
  readonly weights: Int32Array;
}

/** The triangle (tent) function of half-width 1. */
function triangle(x: number): number {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
}

/** Pillow's BILINEAR taps for resampling `inSize` pixels to `outSize` along one axis. */
export function bilinearTaps(inSize: number, outSize: number): AxisTaps {
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = filterScale; // the triangle's half-width (1) stretched when shrinking
  const stride = Math.ceil(support) * 2 + 1;
  const invFilterScale = 1 / filterScale;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * stride);
  const real = new Float64Array(stride);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // Pillow rounds the window ends by adding 0.5 and truncating toward zero.
    let lo = Math.trunc(center - support + 0.5);
    if (lo < 0) lo = 0;
    let hi = Math.trunc(center + support + 0.5);
    if (hi > inSize) hi = inSize;
    const n = hi - lo;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      // Distance from the tap's pixel centre to the output centre, in filter units.
      const w = triangle((i + lo - center + 0.5) * invFilterScale);
      real[i] = w;
      sum += w;
    }
    for (let i = 0; i < n; i++) {
      const w = sum !== 0 ? real[i] / sum : real[i];
      // Round half away from zero into fixed point, as Pillow does.
      weights[o * stride + i] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, stride, weights };
}

/** A fixed-point sum back to a byte: truncate, then clamp to 0..255. */
function toByte(sum: number): number {
  if (sum >= SATURATED) return 255;
  if (sum <= 0) return 0;
  return sum >> PRECISION_BITS;
}

/** Resamples rows `rowFirst .. rowFirst + rows` of `src` to `taps.first.length` columns. */
function resampleRows(src: Image8, rowFirst: number, rows: number, taps: AxisTaps): Uint8Array {
  const { width, channels, data } = src;
  const outWidth = taps.first.length;
  const out = new Uint8Array(outWidth * rows * channels);
  for (let y = 0; y < rows; y++) {
    const rowStart = (rowFirst + y) * width * channels;
    const outRow = y * outWidth * channels;
    for (let x = 0; x < outWidth; x++) {
      const n = taps.count[x];
      const k = x * taps.stride;
      const pixel0 = rowStart + taps.first[x] * channels;
      if (channels === 3) {
        // The common RGB case, the three sums in one walk over the taps.
        let r = HALF;
        let g = HALF;
        let b = HALF;
        for (let i = 0, p = pixel0; i < n; i++, p += 3) {
          const weight = taps.weights[k + i];
          r += data[p] * weight;
          g += data[p + 1] * weight;
          b += data[p + 2] * weight;
        }
        const o = outRow + x * 3;
        out[o] = toByte(r);
        out[o + 1] = toByte(g);
        out[o + 2] = toByte(b);
        continue;
      }
      for (let c = 0; c < channels; c++) {
        let sum = HALF;
        for (let i = 0, p = pixel0 + c; i < n; i++, p += channels) sum += data[p] * taps.weights[k + i];
        out[outRow + x * channels + c] = toByte(sum);
      }
    }
  }
  return out;
}

/** Resamples the columns of `src` (whose row 0 is source row `rowOffset`) to `taps.first.length` rows. */
function resampleColumns(src: Image8, rowOffset: number, taps: AxisTaps): Uint8Array {
  const rowLength = src.width * src.channels;
  const data = src.data;
  const weights = taps.weights;
  const outHeight = taps.first.length;
  const out = new Uint8Array(outHeight * rowLength);
  for (let y = 0; y < outHeight; y++) {
    const n = taps.count[y];
    const k = y * taps.stride;
    const start = (taps.first[y] - rowOffset) * rowLength;
    const outRow = y * rowLength;
    // One sum per output value in a local: the taps' rows stay in cache, and
    // nothing is written back between taps. Sums are integers below 2^53, so
    // the order of the additions does not change them.
    for (let j = 0; j < rowLength; j++) {
      let sum = HALF;
      for (let i = 0, p = start + j; i < n; i++, p += rowLength) sum += data[p] * weights[k + i];
      out[outRow + j] = toByte(sum);
    }
  }
  return out;
}

/** A window of an image: `width` × `height` pixels from column `left`, row `top`. */
export interface PixelWindow {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** The taps of outputs `first .. first + count` only. */
function sliceTaps(taps: AxisTaps, first: number, count: number): AxisTaps {
  return {
    first: taps.first.subarray(first, first + count),
    count: taps.count.subarray(first, first + count),
    stride: taps.stride,
    weights: taps.weights.subarray(first * taps.stride, (first + count) * taps.stride),
  };
}

/** Taps that copy source pixels `first .. first + count` (weight one each): (p·2^22 + 2^21) >> 22 is p. */
function copyTaps(first: number, count: number): AxisTaps {
  return {
    first: Int32Array.from({ length: count }, (_, i) => first + i),
    count: new Int32Array(count).fill(1),
    stride: 1,
    weights: new Int32Array(count).fill(ONE),
  };
}

/** Rows `top .. top + height`, columns `left .. left + width` of `image`, copied. */
function copyWindow(image: Image8, window: PixelWindow): Image8 {
  const { channels } = image;
  const out = new Uint8Array(window.width * window.height * channels);
  for (let y = 0; y < window.height; y++) {
    const src = ((window.top + y) * image.width + window.left) * channels;
    out.set(image.data.subarray(src, src + window.width * channels), y * window.width * channels);
  }
  return { width: window.width, height: window.height, channels, data: out };
}

/**
 * `image` resized to `width` x `height` exactly as Pillow's
 * `Image.resize((width, height), Image.BILINEAR)` for modes L, RGB and CMYK:
 * every channel on its own. (For RGBA and LA Pillow premultiplies by alpha
 * first; this function does not, a fourth channel is just another channel.)
 */
export function resizeBilinear(image: Image8, width: number, height: number): Image8 {
  return resizeBilinearWindow(image, width, height, { left: 0, top: 0, width, height });
}

/** Throws unless `image` is an 8-bit image, `width` × `height` a positive size and `window` inside it. */
function checkWindow(image: Image8, width: number, height: number, window: PixelWindow): void {
  assertImage(image, 'resizeBilinear');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`resizeBilinear: the target size must be positive integers, got ${width}x${height}`);
  }
  const { left, top } = window;
  const inside = [left, top, window.width, window.height].every(Number.isInteger) && left >= 0 && top >= 0;
  if (!inside || window.width <= 0 || window.height <= 0 || left + window.width > width || top + window.height > height) {
    throw new Error(`resizeBilinear: window ${window.width}x${window.height} at (${left}, ${top}) is not inside the ${width}x${height} result`);
  }
}

/** Both axes' taps of `window` of the resize (an axis that keeps its size gets taps that copy), for a backend kernel. */
function windowTaps(image: Image8, width: number, height: number, window: PixelWindow): { cols: AxisTaps; rows: AxisTaps } {
  const cols = width !== image.width ? sliceTaps(bilinearTaps(image.width, width), window.left, window.width) : copyTaps(window.left, window.width);
  const rows = height !== image.height ? sliceTaps(bilinearTaps(image.height, height), window.top, window.height) : copyTaps(window.top, window.height);
  return { cols, rows };
}

/**
 * `window` of `resizeBilinear(image, width, height)` as float32 planes (planes × window height × window width),
 * each byte of channel c mapped through `table[c * 256 + byte]`, in one backend kernel, into `out` (returned);
 * null when the backend has none (the caller then resizes and maps the bytes itself). The table's length sets the
 * planes, 256 values each: the leading 1 to `image.channels` channels (3 of an RGBA image leave its alpha out).
 */
export function resizeBilinearWindowToPlanes(
  image: Image8,
  width: number,
  height: number,
  window: PixelWindow,
  table: Float32Array,
  out?: Float32Array,
): Float32Array | null {
  checkWindow(image, width, height, window);
  const backend = getBackend();
  if (backend.resampleBilinearToPlanes === undefined) return null;
  const planes = table.length / 256;
  if (!Number.isInteger(planes) || planes < 1 || planes > image.channels)
    throw new Error(`resizeBilinear: expected a table of 256 values for each of 1 to ${image.channels} planes, got ${table.length} values`);
  const size = planes * window.width * window.height;
  if (out !== undefined && out.length !== size) throw new Error(`resizeBilinear: expected an output of ${size} values, got ${out.length}`);
  const { cols, rows } = windowTaps(image, width, height, window);
  const planesOut = out ?? new Float32Array(size);
  backend.resampleBilinearToPlanes(image.data, image.width, image.height, image.channels, cols, rows, table, planesOut);
  return planesOut;
}

/**
 * Only `window` of `resizeBilinear(image, width, height)`, computed without
 * the rest: the same bytes as resizing and then cropping, for the cost of
 * the window (a center crop of 224 from 256 saves a quarter of the work).
 */
export function resizeBilinearWindow(image: Image8, width: number, height: number, window: PixelWindow): Image8 {
  checkWindow(image, width, height, window);
  const { left, top } = window;
  const needHorizontal = width !== image.width;
  const needVertical = height !== image.height;
  if (!needHorizontal && !needVertical) return copyWindow(image, window);
  const backend = getBackend();
  if (backend.resampleBilinear !== undefined) {
    // Both passes in the backend (native: about ten times faster).
    const { cols, rows } = windowTaps(image, width, height, window);
    const out = new Uint8Array(window.width * window.height * image.channels);
    backend.resampleBilinear(image.data, image.width, image.height, image.channels, cols, rows, out);
    return { width: window.width, height: window.height, channels: image.channels, data: out };
  }
  const vertical = sliceTaps(bilinearTaps(image.height, height), top, window.height);
  let current: Image8 = image;
  // The source rows the vertical pass will read; the horizontal pass skips the others.
  let rowOffset = 0;
  if (needHorizontal) {
    const rowFirst = needVertical ? vertical.first[0] : top;
    const rowEnd = needVertical ? vertical.first[window.height - 1] + vertical.count[window.height - 1] : top + window.height;
    const rows = rowEnd - rowFirst;
    const data = resampleRows(image, rowFirst, rows, sliceTaps(bilinearTaps(image.width, width), left, window.width));
    current = { width: window.width, height: rows, channels: image.channels, data };
    rowOffset = rowFirst;
  } else {
    // Only the rows change: the columns of the window are cut out first.
    current = copyWindow(image, { left, top: 0, width: window.width, height: image.height });
  }
  if (!needVertical) return current;
  return { width: window.width, height: window.height, channels: image.channels, data: resampleColumns(current, rowOffset, vertical) };
}
