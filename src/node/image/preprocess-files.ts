/**
 * Image files straight to a model-ready batch: decode each (like PIL's
 * `.convert('RGB')`), then the ImageNet eval transform, stacked [N, 3, crop, crop].
 */
import { preprocessBatch, type EvalTransformOptions } from '../../image/imagenet.js';
import type { ImageTensor } from '../../image/image.js';
import { readImage } from './decode.js';

export async function preprocessImageFiles(paths: readonly string[], options: EvalTransformOptions = {}): Promise<ImageTensor> {
  if (paths.length === 0) throw new Error('preprocessImageFiles: expected at least one image path');
  const images = await Promise.all(paths.map((path) => readImage(path)));
  return preprocessBatch(images, options);
}
