/**
 * Ready-made pipelines: the Fashion-MNIST input of this project, and the
 * ImageNet pipelines of the AlexNet paper and of torchvision's recipes.
 *
 * The ImageNet pipelines resize with antialias: torchvision applies them to
 * PIL images, whose resize always antialiases, so that is what their models
 * were trained and evaluated with. (Fashion-MNIST is only ever enlarged,
 * where antialias makes no difference to speak of.)
 */
import { GrayscaleToChannels, Normalize, PcaColorAugmentation } from './color.js';
import { CenterCrop, RandomCrop, RandomHorizontalFlip, RandomResizedCrop, Resize } from './geometry.js';
import { Compose, type Transform } from './transform.js';

/** Fashion-MNIST training-set pixel statistics in [0, 1]. */
export const FASHION_MNIST_MEAN = 0.286;
export const FASHION_MNIST_STD = 0.353;

/** ImageNet RGB statistics in [0, 1], as torchvision's models expect. */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

export interface FashionMnistTransformOptions {
  /** Output side S (28 keeps the native size). */
  size: number;
  /** Output channels; > 1 repeats the gray channel (default 1). */
  channels?: number;
}

/**
 * [1, 28, 28] in [0, 1] → bilinear resize to S×S (interpolate, align_corners
 * False, no antialias) → normalize with the Fashion-MNIST mean/std →
 * optionally repeated to C channels. Output [C, S, S].
 */
export function fashionMnistTransform(options: FashionMnistTransformOptions): Transform {
  const steps: Transform[] = [];
  if (options.size !== 28) steps.push(new Resize([options.size, options.size]));
  steps.push(new Normalize([FASHION_MNIST_MEAN], [FASHION_MNIST_STD]));
  const channels = options.channels ?? 1;
  if (channels !== 1) steps.push(new GrayscaleToChannels(channels));
  return new Compose(steps);
}

export interface PaperTrainOptions {
  /** Add the PCA colour augmentation of Section 4.1 (default true). */
  pcaColor?: boolean;
}

/**
 * The AlexNet paper's training input: the image rescaled so the shorter side
 * is 256 and the central 256×256 kept, then a random 224×224 patch, a random
 * horizontal reflection and (optionally) PCA colour noise, then ImageNet
 * normalization.
 */
export function alexnetPaperTrainTransform(options: PaperTrainOptions = {}): Transform {
  const steps: Transform[] = [new Resize(256, { antialias: true }), new CenterCrop(256), new RandomCrop(224), new RandomHorizontalFlip(0.5)];
  if (options.pcaColor ?? true) steps.push(new PcaColorAugmentation());
  steps.push(new Normalize(IMAGENET_MEAN, IMAGENET_STD));
  return new Compose(steps);
}

/** torchvision's reference ImageNet training recipe: RandomResizedCrop(224) + flip + normalize. */
export function imagenetTrainTransform(): Transform {
  return new Compose([new RandomResizedCrop(224, { antialias: true }), new RandomHorizontalFlip(0.5), new Normalize(IMAGENET_MEAN, IMAGENET_STD)]);
}

/** torchvision's ImageNet evaluation input: Resize(256), CenterCrop(224), normalize. */
export function imagenetEvalTransform(): Transform {
  return new Compose([new Resize(256, { antialias: true }), new CenterCrop(224), new Normalize(IMAGENET_MEAN, IMAGENET_STD)]);
}
