/**
 * torchvision's `ToTensor` on an 8-bit image: HWC bytes to CHW float32
 * values in [0, 1], each byte divided by 255 in float32 (dividing in double
 * and rounding once to float32 gives the same, correctly rounded, result).
 */
import { assertImage, type Image8, type ImageTensor } from './image.js';

/** [C, H, W] float32 with every byte divided by 255. */
export function toTensor(image: Image8): ImageTensor {
  assertImage(image, 'toTensor');
  const { width, height, channels, data } = image;
  const plane = width * height;
  const out = new Float32Array(plane * channels);
  for (let c = 0; c < channels; c++) {
    for (let p = 0, src = c; p < plane; p++, src += channels) out[c * plane + p] = data[src] / 255;
  }
  return { data: out, shape: [channels, height, width] };
}
