/**
 * The standard ImageNet evaluation preprocessing of torchvision 0.14:
 *   Compose([Resize(256), CenterCrop(224), ToTensor(),
 *            Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
 * on an RGB image decoded like PIL's `.convert('RGB')`.
 */
import { centerCrop, centerCropOrigin } from './crop.js';
import { assertRgbImage, type Image8, type ImageTensor, type RgbImage } from './image.js';
import { normalize } from './normalize.js';
import { resize, resizedOutputSize } from './resize.js';
import { resizeBilinearWindow } from './resample.js';
import { toTensor } from './to-tensor.js';

export const IMAGENET_MEAN: readonly number[] = Object.freeze([0.485, 0.456, 0.406]);
export const IMAGENET_STD: readonly number[] = Object.freeze([0.229, 0.224, 0.225]);

export interface EvalTransformOptions {
  /** Length of the shorter side after resizing (default 256). */
  readonly resize?: number;
  /** Side of the square center crop (default 224). */
  readonly crop?: number;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
}

/** Resize + CenterCrop only: the 8-bit RGB pixels ToTensor would read. */
export function imagenetEvalPixels(image: Image8, options: EvalTransformOptions = {}): RgbImage {
  assertRgbImage(image, 'imagenetEvalTransform');
  const size = options.resize ?? 256;
  const side = options.crop ?? 224;
  const [height, width] = resizedOutputSize(image.height, image.width, size);
  if (side > height || side > width) return centerCrop(resize(image, size), side) as RgbImage;
  // The crop lies inside the resized image: only its pixels are resampled (the same bytes, less work).
  const { top, left } = centerCropOrigin(height, width, side, side);
  return resizeBilinearWindow(image, width, height, { left, top, width: side, height: side }) as RgbImage;
}

/**
 * ToTensor then Normalize of every byte value, per channel: running the two
 * transforms themselves on the 256 possible bytes makes the table exact by
 * construction, and turns 150,528 divisions per image into lookups.
 */
function normalizedByteTable(mean: readonly number[], std: readonly number[]): Float32Array[] {
  const bytes = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) bytes.fill(v, v * 3, v * 3 + 3);
  const { data } = normalize(toTensor({ width: 256, height: 1, channels: 3, data: bytes }), mean, std);
  return [0, 1, 2].map((c) => data.slice(c * 256, (c + 1) * 256));
}

const tableCache = new Map<string, Float32Array[]>();

function cachedTable(mean: readonly number[], std: readonly number[]): Float32Array[] {
  const key = `${mean.join(',')}/${std.join(',')}`;
  let table = tableCache.get(key);
  if (table === undefined) {
    table = normalizedByteTable(mean, std);
    // A handful of (mean, std) pairs exist in practice; a client cycling through more only recomputes.
    if (tableCache.size < 16) tableCache.set(key, table);
  }
  return table;
}

/** The full evaluation transform: a normalized float32 tensor of shape [3, crop, crop]. */
export function imagenetEvalTransform(image: Image8, options: EvalTransformOptions = {}): ImageTensor {
  const pixels = imagenetEvalPixels(image, options);
  const mean = options.mean ?? IMAGENET_MEAN;
  const std = options.std ?? IMAGENET_STD;
  if (mean.length !== 3 || std.length !== 3) return normalize(toTensor(pixels), mean, std); // its error names the mismatch
  const [red, green, blue] = cachedTable(mean, std);
  const plane = pixels.width * pixels.height;
  const out = new Float32Array(3 * plane);
  const src = pixels.data;
  for (let p = 0, i = 0; p < plane; p++, i += 3) {
    out[p] = red[src[i]];
    out[plane + p] = green[src[i + 1]];
    out[2 * plane + p] = blue[src[i + 2]];
  }
  return { data: out, shape: [3, pixels.height, pixels.width] };
}

/** Several images through `imagenetEvalTransform`, stacked into [N, 3, crop, crop]. */
export function preprocessBatch(images: readonly Image8[], options: EvalTransformOptions = {}): ImageTensor {
  if (images.length === 0) throw new Error('preprocessBatch: expected at least one image');
  const crop = options.crop ?? 224;
  const size = 3 * crop * crop;
  const data = new Float32Array(images.length * size);
  images.forEach((image, n) => {
    assertRgbImage(image, `preprocessBatch: image ${n}`);
    data.set(imagenetEvalTransform(image, options).data, n * size);
  });
  return { data, shape: [images.length, 3, crop, crop] };
}
