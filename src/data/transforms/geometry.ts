/**
 * Geometric transforms with torchvision 0.14's arithmetic on tensors:
 * Resize, CenterCrop, RandomCrop, RandomResizedCrop, RandomHorizontalFlip.
 */
import type { Generator } from '../../tensor/random.js';
import { createFloatImage, imageShapeString, type FloatImage } from '../image.js';
import { resizeBilinear } from '../resize.js';
import { roundHalfEven, toHeightWidth, type Size2d, type Transform, type TransformSpec } from './transform.js';

/** Copies the window [top, top+height) × [left, left+width); the window must lie inside the image. */
export function crop(image: FloatImage, top: number, left: number, height: number, width: number): FloatImage {
  if (top < 0 || left < 0 || top + height > image.height || left + width > image.width || height <= 0 || width <= 0) {
    throw new Error(`crop: window ${height}×${width} at (${top}, ${left}) does not fit image ${imageShapeString(image)}`);
  }
  if (top === 0 && left === 0 && height === image.height && width === image.width) {
    return createFloatImage(width, height, image.channels, new Float32Array(image.data));
  }
  const out = createFloatImage(width, height, image.channels);
  const dst = out.data as Float32Array;
  for (let c = 0; c < image.channels; c++) {
    for (let y = 0; y < height; y++) {
      const src = (c * image.height + top + y) * image.width + left;
      dst.set(image.data.subarray(src, src + width), (c * height + y) * width);
    }
  }
  return out;
}

/** Zero padding on each side (left, top, right, bottom), as torchvision's pad with fill 0. */
export function padZeros(image: FloatImage, left: number, top: number, right: number, bottom: number): FloatImage {
  const height = image.height + top + bottom;
  const width = image.width + left + right;
  const out = createFloatImage(width, height, image.channels);
  const dst = out.data as Float32Array;
  for (let c = 0; c < image.channels; c++) {
    for (let y = 0; y < image.height; y++) {
      const src = (c * image.height + y) * image.width;
      dst.set(image.data.subarray(src, src + image.width), (c * height + top + y) * width + left);
    }
  }
  return out;
}

/** Mirrors the image left–right. */
export function horizontalFlip(image: FloatImage): FloatImage {
  const { channels, height, width, data } = image;
  const out = createFloatImage(width, height, channels);
  const dst = out.data as Float32Array;
  for (let row = 0; row < channels * height; row++) {
    const base = row * width;
    for (let x = 0; x < width; x++) dst[base + x] = data[base + width - 1 - x];
  }
  return out;
}

/** The output size of Resize: an int matches the shorter edge (keeping the aspect ratio), a pair is exact. */
export function resizedSize(height: number, width: number, size: Size2d): [number, number] {
  if (typeof size !== 'number') return toHeightWidth(size, 'Resize');
  toHeightWidth(size, 'Resize');
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [newLong, size] : [size, newLong];
}

export interface ResizeTransformOptions {
  /** PIL-like antialiasing when shrinking (torchvision 0.14 tensors default to false). */
  antialias?: boolean;
}

/** torchvision Resize with bilinear interpolation. */
export class Resize implements Transform {
  readonly size: Size2d;
  readonly antialias: boolean;

  constructor(size: Size2d, options: ResizeTransformOptions = {}) {
    toHeightWidth(size, 'Resize');
    this.size = typeof size === 'number' ? size : [size[0], size[1]];
    this.antialias = options.antialias ?? false;
  }

  apply(image: FloatImage): FloatImage {
    const [h, w] = resizedSize(image.height, image.width, this.size);
    if (h === image.height && w === image.width) return image;
    return resizeBilinear(image, h, w, { antialias: this.antialias });
  }

  toSpec(): TransformSpec {
    return { type: 'Resize', size: this.size, antialias: this.antialias };
  }
}

/** torchvision CenterCrop: pads with zeros when the image is smaller, then takes the central window. */
export class CenterCrop implements Transform {
  readonly height: number;
  readonly width: number;

  constructor(size: Size2d) {
    [this.height, this.width] = toHeightWidth(size, 'CenterCrop');
  }

  apply(image: FloatImage): FloatImage {
    let img = image;
    const { height: ch, width: cw } = this;
    if (cw > img.width || ch > img.height) {
      const dw = cw > img.width ? cw - img.width : 0;
      const dh = ch > img.height ? ch - img.height : 0;
      img = padZeros(img, Math.floor(dw / 2), Math.floor(dh / 2), Math.floor((dw + 1) / 2), Math.floor((dh + 1) / 2));
      if (img.width === cw && img.height === ch) return img;
    }
    const top = roundHalfEven((img.height - ch) / 2);
    const left = roundHalfEven((img.width - cw) / 2);
    return crop(img, top, left, ch, cw);
  }

  toSpec(): TransformSpec {
    return { type: 'CenterCrop', size: [this.height, this.width] };
  }
}

/** torchvision RandomCrop without padding: a uniformly placed window of the given size. */
export class RandomCrop implements Transform {
  readonly height: number;
  readonly width: number;

  constructor(size: Size2d) {
    [this.height, this.width] = toHeightWidth(size, 'RandomCrop');
  }

  apply(image: FloatImage, rng: Generator): FloatImage {
    const { height: th, width: tw } = this;
    if (image.height < th || image.width < tw) {
      throw new Error(`RandomCrop: crop size ${th}×${tw} is larger than the image ${imageShapeString(image)}`);
    }
    if (image.height === th && image.width === tw) return image;
    const top = rng.int(image.height - th + 1);
    const left = rng.int(image.width - tw + 1);
    return crop(image, top, left, th, tw);
  }

  toSpec(): TransformSpec {
    return { type: 'RandomCrop', size: [this.height, this.width] };
  }
}

export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's. */
  scale?: readonly [number, number];
  /** Range of the crop's width/height, sampled log-uniformly. */
  ratio?: readonly [number, number];
  antialias?: boolean;
}

/**
 * torchvision's RandomResizedCrop.get_params: up to 10 tries of a random
 * area and log-uniform aspect ratio that fit the image, else a central crop
 * clamped to the ratio range.
 */
export function randomResizedCropBox(
  height: number,
  width: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  rng: Generator,
): CropBox {
  const area = height * width;
  const logLow = Math.log(ratio[0]);
  const logHigh = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniformRange(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniformRange(logLow, logHigh));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  const minRatio = Math.min(ratio[0], ratio[1]);
  const maxRatio = Math.max(ratio[0], ratio[1]);
  let w = width;
  let h = height;
  if (inRatio < minRatio) h = roundHalfEven(w / minRatio);
  else if (inRatio > maxRatio) w = roundHalfEven(h * maxRatio);
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

export class RandomResizedCrop implements Transform {
  readonly height: number;
  readonly width: number;
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
  readonly antialias: boolean;

  constructor(size: Size2d, options: RandomResizedCropOptions = {}) {
    [this.height, this.width] = toHeightWidth(size, 'RandomResizedCrop');
    this.scale = [...(options.scale ?? [0.08, 1])] as [number, number];
    this.ratio = [...(options.ratio ?? [3 / 4, 4 / 3])] as [number, number];
    this.antialias = options.antialias ?? false;
    if (!(this.scale[0] > 0 && this.scale[0] <= this.scale[1]))
      throw new Error(`RandomResizedCrop: scale must satisfy 0 < min <= max, got ${JSON.stringify(this.scale)}`);
    if (!(this.ratio[0] > 0 && this.ratio[0] <= this.ratio[1]))
      throw new Error(`RandomResizedCrop: ratio must satisfy 0 < min <= max, got ${JSON.stringify(this.ratio)}`);
  }

  apply(image: FloatImage, rng: Generator): FloatImage {
    const box = randomResizedCropBox(image.height, image.width, this.scale, this.ratio, rng);
    const window = crop(image, box.top, box.left, box.height, box.width);
    return resizeBilinear(window, this.height, this.width, { antialias: this.antialias });
  }

  toSpec(): TransformSpec {
    return { type: 'RandomResizedCrop', size: [this.height, this.width], scale: this.scale, ratio: this.ratio, antialias: this.antialias };
  }
}

/** Mirrors the image with probability p (one uniform draw per image, as torchvision's torch.rand(1) < p). */
export class RandomHorizontalFlip implements Transform {
  readonly p: number;

  constructor(p = 0.5) {
    if (!(p >= 0 && p <= 1)) throw new Error(`RandomHorizontalFlip: p must be in [0, 1], got ${p}`);
    this.p = p;
  }

  apply(image: FloatImage, rng: Generator): FloatImage {
    return rng.uniform() < this.p ? horizontalFlip(image) : image;
  }

  toSpec(): TransformSpec {
    return { type: 'RandomHorizontalFlip', p: this.p };
  }
}
