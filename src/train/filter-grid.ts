/**
 * The AlexNet paper's Figure 3: the learned first-layer kernels laid out as
 * a grid of small images. Each kernel is stretched to the full 0..255 range
 * on its own (kernels differ in scale, and what matters is their pattern),
 * then enlarged by pixel repetition so an 11×11 kernel is visible.
 */
import type { Tensor } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/shape.js';

export interface FilterGridOptions {
  /** Each kernel pixel becomes scale×scale output pixels (default 6). */
  scale?: number;
  /** Pixels between kernels (default 2). */
  gap?: number;
  /** Kernels per row (default ⌈√count⌉). */
  columns?: number;
  /** Gap colour, 0..255 (default 255, white). */
  background?: number;
}

/** Interleaved 8-bit pixels, height × width × channels. */
export interface RasterImage {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Uint8Array;
}

/**
 * Conv weight [O, C, kH, kW] → one picture of its O kernels. Kernels with 3
 * input channels are shown in colour (RGB), 1-channel kernels in gray, and
 * any other count as the mean over channels.
 */
export function filterGrid(weight: Tensor, options: FilterGridOptions = {}): RasterImage {
  if (weight.ndim !== 4) throw new Error(`filterGrid: expected a convolution weight [out, in, kH, kW], got ${shapeToString(weight.shape)}`);
  const [count, inChannels, kh, kw] = weight.shape;
  const scale = options.scale ?? 6;
  const gap = options.gap ?? 2;
  const columns = options.columns ?? Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / columns);
  const channels: 1 | 3 = inChannels === 3 ? 3 : 1;
  const cellW = kw * scale;
  const cellH = kh * scale;
  const width = columns * cellW + (columns + 1) * gap;
  const height = rows * cellH + (rows + 1) * gap;
  const pixels = new Uint8Array(width * height * channels).fill(options.background ?? 255);
  const plane = kh * kw;
  const kernel = new Float32Array(plane * channels);
  for (let o = 0; o < count; o++) {
    const base = o * inChannels * plane;
    if (channels === 3) {
      kernel.set(weight.data.subarray(base, base + 3 * plane));
    } else {
      for (let i = 0; i < plane; i++) {
        let s = 0;
        for (let c = 0; c < inChannels; c++) s += weight.data[base + c * plane + i];
        kernel[i] = s / inChannels;
      }
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of kernel) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const range = hi - lo;
    const x0 = gap + (o % columns) * (cellW + gap);
    const y0 = gap + Math.floor(o / columns) * (cellH + gap);
    for (let y = 0; y < cellH; y++) {
      for (let x = 0; x < cellW; x++) {
        const src = Math.floor(y / scale) * kw + Math.floor(x / scale);
        const dst = ((y0 + y) * width + (x0 + x)) * channels;
        for (let c = 0; c < channels; c++) {
          const v = kernel[c * plane + src];
          // A constant kernel (range 0) is shown mid-gray rather than dividing by zero.
          pixels[dst + c] = range > 0 ? Math.round(((v - lo) / range) * 255) : 128;
        }
      }
    }
  }
  return { width, height, channels, pixels };
}
