/**
 * The 8-bit image record every image function works on: interleaved pixels
 * (row-major, channels last, "HWC"), one byte per channel, like a PIL image's
 * bytes. Images are treated as immutable: functions return new records (or
 * the input itself when there is nothing to do, as torchvision does).
 */
export interface Image8 {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

/** An 8-bit RGB image, what PIL's `.convert('RGB')` yields. */
export interface RgbImage extends Image8 {
  readonly channels: 3;
}

/**
 * An 8-bit RGB image, or RGBA whose alpha is to be dropped as PIL's
 * `.convert('RGB')` drops it: what a decoder that emits RGBA (a WebAssembly
 * JPEG decoder does) hands to the model's transform without a copy to RGB.
 */
export interface RgbOrRgbaImage extends Image8 {
  readonly channels: 3 | 4;
}

/** A float32 tensor as plain data (CHW or NCHW), ready for `new Tensor(data, shape)`. */
export interface ImageTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

function isPositiveInteger(value: number): boolean {
  return Number.isInteger(value) && value > 0;
}

/** Throws unless `image` is a well-formed Image8; `what` names it in the message. */
export function assertImage(image: Image8, what = 'image'): void {
  if (image === null || typeof image !== 'object') {
    throw new Error(`${what}: expected an image record { width, height, channels, data }, got ${String(image)}`);
  }
  const { width, height, channels, data } = image;
  if (!isPositiveInteger(width) || !isPositiveInteger(height)) {
    throw new Error(`${what}: width and height must be positive integers, got ${width}x${height}`);
  }
  if (!isPositiveInteger(channels)) {
    throw new Error(`${what}: channels must be a positive integer, got ${channels}`);
  }
  if (!(data instanceof Uint8Array)) {
    throw new Error(`${what}: data must be a Uint8Array`);
  }
  if (data.length !== width * height * channels) {
    throw new Error(`${what}: ${data.length} bytes do not fill ${width}x${height}x${channels} (${width * height * channels} expected)`);
  }
}

/** Builds a validated image record; `data` defaults to zeros (black). */
export function createImage(width: number, height: number, channels: number, data?: Uint8Array): Image8 {
  const image: Image8 = { width, height, channels, data: data ?? new Uint8Array(Math.max(0, width * height * channels)) };
  assertImage(image, 'createImage');
  return image;
}

/** Throws unless `image` is a well-formed 3-channel image; `what` names the caller. */
export function assertRgbImage(image: Image8, what: string): asserts image is RgbImage {
  assertImage(image, what);
  if (image.channels !== 3) {
    throw new Error(`${what}: expected an RGB image (3 channels), got ${image.channels} channel(s); convert it with toRgb() first`);
  }
}

/** Throws unless `image` is a well-formed 3- or 4-channel image (RGB, or RGBA whose alpha is ignored). */
export function assertRgbOrRgbaImage(image: Image8, what: string): asserts image is RgbOrRgbaImage {
  assertImage(image, what);
  if (image.channels !== 3 && image.channels !== 4) {
    throw new Error(`${what}: expected an RGB or RGBA image (3 or 4 channels), got ${image.channels} channel(s); convert it with toRgb() first`);
  }
}
