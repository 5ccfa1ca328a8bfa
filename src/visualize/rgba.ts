/**
 * A RasterImage as the RGBA bytes a canvas takes
 * (`new ImageData(rasterToRgba(r), r.width, r.height)`): gray is copied to
 * R, G and B, and every pixel is opaque.
 */
import type { RasterImage } from '../train/filter-grid.js';

export function rasterToRgba({ width, height, channels, pixels }: RasterImage): Uint8ClampedArray {
  const n = width * height;
  if (pixels.length !== n * channels) throw new Error(`rasterToRgba: expected ${width}×${height}×${channels} bytes, got ${pixels.length}`);
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const src = i * channels;
    const dst = i * 4;
    rgba[dst] = pixels[src];
    rgba[dst + 1] = pixels[src + (channels === 3 ? 1 : 0)];
    rgba[dst + 2] = pixels[src + (channels === 3 ? 2 : 0)];
    rgba[dst + 3] = 255;
  }
  return rgba;
}
