/**
 * The standard ImageNet evaluation preprocessing of torchvision 0.14:
 *   Compose([Resize(256), CenterCrop(224), ToTensor(),
 *            Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
 * on an RGB image decoded like PIL's `.convert('RGB')`.
 */
import { centerCrop } from './crop.js';
import { assertRgbImage, type Image8, type ImageTensor, type RgbImage } from './image.js';
import { normalize } from './normalize.js';
import { resize } from './resize.js';
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
  return centerCrop(resize(image, options.resize ?? 256), options.crop ?? 224) as RgbImage;
}

/** The full evaluation transform: a normalized float32 tensor of shape [3, crop, crop]. */
export function imagenetEvalTransform(image: Image8, options: EvalTransformOptions = {}): ImageTensor {
  const pixels = imagenetEvalPixels(image, options);
  return normalize(toTensor(pixels), options.mean ?? IMAGENET_MEAN, options.std ?? IMAGENET_STD);
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
