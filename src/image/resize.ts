/**
 * torchvision 0.14's `transforms.Resize` on a PIL image: the output size rule
 * of `_compute_resized_output_size`, then Pillow's bilinear resample.
 */
import { assertImage, type Image8 } from './image.js';
import { resizeBilinear } from './resample.js';

/**
 * As in torchvision: one number is the length the shorter side becomes (the
 * longer side keeps the aspect ratio), a pair is [height, width].
 */
export type ResizeSize = number | readonly [number] | readonly [number, number];

function assertSize(value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`resize: ${what} must be a positive integer, got ${value}`);
}

/**
 * The [height, width] torchvision's Resize(size, max_size) produces for an
 * image of `height` x `width`. For one number the longer side is
 * `int(size * long / short)` (truncated, not rounded); with `maxSize`, a
 * longer side above it is capped and the shorter side scaled down likewise.
 */
export function resizedOutputSize(height: number, width: number, size: ResizeSize, maxSize?: number): [number, number] {
  assertSize(height, 'the image height');
  assertSize(width, 'the image width');
  const sizes: readonly number[] = typeof size === 'number' ? [size] : size;
  if (sizes.length !== 1 && sizes.length !== 2) {
    throw new Error(`resize: size must be a number, [size] or [height, width], got [${sizes.join(', ')}]`);
  }
  for (const s of sizes) assertSize(s, 'size');
  if (sizes.length === 2) {
    if (maxSize !== undefined) throw new Error('resize: maxSize only applies when size is a single number (the shorter side)');
    return [sizes[0], sizes[1]];
  }
  const portrait = width <= height;
  const [short, long] = portrait ? [width, height] : [height, width];
  let newShort = sizes[0];
  let newLong = Math.trunc((newShort * long) / short);
  if (maxSize !== undefined) {
    assertSize(maxSize, 'maxSize');
    if (maxSize <= newShort) {
      throw new Error(`resize: maxSize = ${maxSize} must be greater than the requested shorter side ${newShort}`);
    }
    if (newLong > maxSize) {
      newShort = Math.trunc((maxSize * newShort) / newLong);
      newLong = maxSize;
    }
  }
  return portrait ? [newLong, newShort] : [newShort, newLong];
}

/**
 * torchvision's `Resize(size)(pil_image)` with bilinear interpolation (always
 * antialiased for PIL images). Returns the input itself when the size does
 * not change, as torchvision does.
 */
export function resize(image: Image8, size: ResizeSize, maxSize?: number): Image8 {
  assertImage(image, 'resize');
  const [height, width] = resizedOutputSize(image.height, image.width, size, maxSize);
  if (height === image.height && width === image.width) return image;
  return resizeBilinear(image, width, height);
}
