/**
 * Per-pixel value transforms: Normalize, the AlexNet paper's PCA colour
 * augmentation, and grayscale → N channels.
 */
import type { Generator } from '../../tensor/random.js';
import { createFloatImage, imageShapeString, type FloatImage } from '../image.js';
import type { Transform, TransformSpec } from './transform.js';

function checkPerChannel(values: readonly number[], what: string): number[] {
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new Error(`${what}: expected finite numbers, got ${JSON.stringify(values)}`);
  return [...values];
}

/** (x − mean[c]) / std[c] per channel, as torchvision.transforms.Normalize (float32 sub, then div). */
export class Normalize implements Transform {
  readonly mean: readonly number[];
  readonly std: readonly number[];

  constructor(mean: readonly number[], std: readonly number[]) {
    this.mean = checkPerChannel(mean, 'Normalize mean');
    this.std = checkPerChannel(std, 'Normalize std');
    if (this.std.some((s) => s === 0)) throw new Error(`Normalize: std contains a zero, got ${JSON.stringify(std)}`);
    if (this.mean.length !== this.std.length) throw new Error(`Normalize: mean has ${mean.length} values, std ${std.length}`);
  }

  apply(image: FloatImage): FloatImage {
    const { channels, height, width, data } = image;
    // One value broadcasts to every channel, as torch broadcasting would.
    if (this.mean.length !== 1 && this.mean.length !== channels) {
      throw new Error(`Normalize: ${this.mean.length} mean/std values for an image with ${channels} channels ${imageShapeString(image)}`);
    }
    const out = createFloatImage(width, height, channels);
    const dst = out.data as Float32Array;
    const plane = height * width;
    for (let c = 0; c < channels; c++) {
      const k = this.mean.length === 1 ? 0 : c;
      const mean = Math.fround(this.mean[k]);
      const std = Math.fround(this.std[k]);
      for (let i = c * plane, end = i + plane; i < end; i++) dst[i] = Math.fround(data[i] - mean) / std;
    }
    return out;
  }

  toSpec(): TransformSpec {
    return { type: 'Normalize', mean: this.mean, std: this.std };
  }
}

/** Eigenvalues of the RGB covariance of ImageNet pixels in [0, 1] (the values commonly used with AlexNet-style lighting). */
export const IMAGENET_PCA_EIGENVALUES: readonly number[] = [0.2175, 0.0188, 0.0045];
/** The matching eigenvectors, one per column: column i belongs to eigenvalue i. */
export const IMAGENET_PCA_EIGENVECTORS: readonly (readonly number[])[] = [
  [-0.5675, 0.7192, 0.4009],
  [-0.5808, -0.0045, -0.814],
  [-0.5836, -0.6948, 0.4203],
];

export interface PcaColorAugmentationOptions {
  /** Standard deviation of the random coefficients α_i (the paper's 0.1). */
  alphaStd?: number;
  eigenvalues?: readonly number[];
  eigenvectors?: readonly (readonly number[])[];
}

/**
 * AlexNet (Krizhevsky et al. 2012, Section 4.1): adds Σ_i α_i λ_i p_i to
 * every RGB pixel, one α ~ N(0, alphaStd) draw per eigenvector per image.
 * Works on [0, 1] images, before Normalize.
 */
export class PcaColorAugmentation implements Transform {
  readonly alphaStd: number;
  readonly eigenvalues: readonly number[];
  readonly eigenvectors: readonly (readonly number[])[];

  constructor(options: PcaColorAugmentationOptions = {}) {
    this.alphaStd = options.alphaStd ?? 0.1;
    this.eigenvalues = [...(options.eigenvalues ?? IMAGENET_PCA_EIGENVALUES)];
    this.eigenvectors = (options.eigenvectors ?? IMAGENET_PCA_EIGENVECTORS).map((row) => [...row]);
    if (!(this.alphaStd >= 0)) throw new Error(`PcaColorAugmentation: alphaStd must be >= 0, got ${this.alphaStd}`);
    if (this.eigenvalues.length !== 3 || this.eigenvectors.length !== 3 || this.eigenvectors.some((r) => r.length !== 3)) {
      throw new Error('PcaColorAugmentation: expected 3 eigenvalues and a 3×3 eigenvector matrix');
    }
  }

  /** The RGB offset for coefficients α (exposed so tests can check the formula). */
  offset(alpha: readonly number[]): [number, number, number] {
    const rgb: [number, number, number] = [0, 0, 0];
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 3; i++) rgb[c] += this.eigenvectors[c][i] * alpha[i] * this.eigenvalues[i];
    }
    return rgb;
  }

  apply(image: FloatImage, rng: Generator): FloatImage {
    if (image.channels !== 3) throw new Error(`PcaColorAugmentation: needs an RGB image, got ${imageShapeString(image)}`);
    const alpha = [0, 1, 2].map(() => rng.normal() * this.alphaStd);
    const rgb = this.offset(alpha);
    const out = createFloatImage(image.width, image.height, 3);
    const dst = out.data as Float32Array;
    const plane = image.height * image.width;
    for (let c = 0; c < 3; c++) {
      const add = rgb[c];
      for (let i = c * plane, end = i + plane; i < end; i++) dst[i] = image.data[i] + add;
    }
    return out;
  }

  toSpec(): TransformSpec {
    return { type: 'PcaColorAugmentation', alphaStd: this.alphaStd, eigenvalues: this.eigenvalues, eigenvectors: this.eigenvectors };
  }
}

/** Repeats a one-channel image into `channels` identical channels (e.g. Fashion-MNIST into a 3-channel AlexNet). */
export class GrayscaleToChannels implements Transform {
  readonly channels: number;

  constructor(channels: number) {
    if (!Number.isInteger(channels) || channels <= 0) throw new Error(`GrayscaleToChannels: channels must be a positive integer, got ${channels}`);
    this.channels = channels;
  }

  apply(image: FloatImage): FloatImage {
    if (image.channels !== 1) throw new Error(`GrayscaleToChannels: needs a one-channel image, got ${imageShapeString(image)}`);
    if (this.channels === 1) return image;
    const plane = image.height * image.width;
    const out = createFloatImage(image.width, image.height, this.channels);
    const dst = out.data as Float32Array;
    for (let c = 0; c < this.channels; c++) dst.set(image.data.subarray(0, plane), c * plane);
    return out;
  }

  toSpec(): TransformSpec {
    return { type: 'GrayscaleToChannels', channels: this.channels };
  }
}
