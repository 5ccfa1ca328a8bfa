/**
 * Cropping as PIL and torchvision 0.14 do it: `crop` is PIL's
 * `Image.crop(box)` (area outside the image reads as zeros), `centerCrop`
 * is `transforms.CenterCrop`, padding with zeros when the image is smaller.
 */
import { assertImage, type Image8 } from './image.js';

/** A crop size as torchvision takes it: one number (square) or [height, width]. */
export type CropSize = number | readonly [number] | readonly [number, number];

function cropSizeOf(size: CropSize): [number, number] {
  const sizes: readonly number[] = typeof size === 'number' ? [size, size] : size.length === 1 ? [size[0], size[0]] : size;
  if (sizes.length !== 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
    throw new Error(`centerCrop: size must be a positive integer or [height, width], got ${JSON.stringify(size)}`);
  }
  return [sizes[0], sizes[1]];
}

/** Python's round() on a number: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Where CenterCrop's window starts in an image at least as large as the crop: Python's round() of half the difference. */
export function centerCropOrigin(height: number, width: number, cropHeight: number, cropWidth: number): { top: number; left: number } {
  return { top: roundHalfEven((height - cropHeight) / 2), left: roundHalfEven((width - cropWidth) / 2) };
}

/**
 * The `height` x `width` window whose top-left corner is (`top`, `left`),
 * which may reach outside the image; pixels outside read as 0.
 */
export function crop(image: Image8, top: number, left: number, height: number, width: number): Image8 {
  assertImage(image, 'crop');
  if (![top, left].every(Number.isInteger) || ![height, width].every((s) => Number.isInteger(s) && s > 0)) {
    throw new Error(`crop: top/left must be integers and height/width positive integers, got ${top}, ${left}, ${height}, ${width}`);
  }
  const { channels } = image;
  const out = new Uint8Array(height * width * channels);
  // The part of the window that overlaps the image, in window coordinates.
  const x0 = Math.max(0, -left);
  const x1 = Math.min(width, image.width - left);
  if (x1 > x0) {
    for (let y = Math.max(0, -top); y < Math.min(height, image.height - top); y++) {
      const src = ((top + y) * image.width + left + x0) * channels;
      out.set(image.data.subarray(src, src + (x1 - x0) * channels), (y * width + x0) * channels);
    }
  }
  return { width, height, channels, data: out };
}

/**
 * torchvision's `CenterCrop(size)`: an image smaller than the crop is first
 * padded with zeros (the odd pixel of padding going right/bottom), then the
 * window starts at round((side - crop) / 2) with Python's half-to-even round.
 */
export function centerCrop(image: Image8, size: CropSize): Image8 {
  assertImage(image, 'centerCrop');
  const [cropHeight, cropWidth] = cropSizeOf(size);
  let offsetTop = 0;
  let offsetLeft = 0;
  let height = image.height;
  let width = image.width;
  if (cropWidth > width || cropHeight > height) {
    // Padding shifts the image right/down by the left/top padding.
    const padLeft = cropWidth > width ? Math.floor((cropWidth - width) / 2) : 0;
    const padTop = cropHeight > height ? Math.floor((cropHeight - height) / 2) : 0;
    const padRight = cropWidth > width ? Math.floor((cropWidth - width + 1) / 2) : 0;
    const padBottom = cropHeight > height ? Math.floor((cropHeight - height + 1) / 2) : 0;
    offsetLeft = -padLeft;
    offsetTop = -padTop;
    width += padLeft + padRight;
    height += padTop + padBottom;
  }
  // The image itself only when it is the crop: one padded by a single row or column has offsets 0 too.
  if (cropWidth === image.width && cropHeight === image.height) return image;
  const { top, left } = centerCropOrigin(height, width, cropHeight, cropWidth);
  return crop(image, offsetTop + top, offsetLeft + left, cropHeight, cropWidth);
}
