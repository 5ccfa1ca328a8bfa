/**
 * The image type that data transforms work on: float32 pixels in CHW order
 * (channels, then rows, then columns), the layout torchvision's tensor
 * transforms use. A plain object rather than a Tensor so that it crosses
 * worker threads by structured clone and carries no autograd state.
 */

export interface FloatImage {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** channels × height × width values, row-major. */
  readonly data: Float32Array;
}

/**
 * A float image of width × height × channels (the argument order of
 * image.createImage, the 8-bit record); `data` defaults to zeros.
 */
export function createFloatImage(width: number, height: number, channels: number, data?: Float32Array): FloatImage {
  for (const [name, value] of [
    ['width', width],
    ['height', height],
    ['channels', channels],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`image: ${name} must be a positive integer, got ${value}`);
  }
  const size = channels * height * width;
  if (data === undefined) return { channels, height, width, data: new Float32Array(size) };
  if (data.length !== size) {
    throw new Error(`image: ${data.length} values do not fill ${channels}×${height}×${width} (${size} values)`);
  }
  return { channels, height, width, data };
}

/** @deprecated Use createFloatImage(width, height, channels, data): the same image, in image.createImage's argument order. */
export function createImage(channels: number, height: number, width: number, data?: Float32Array): FloatImage {
  return createFloatImage(width, height, channels, data);
}

/** [1/255 · v for v in 0..255] as float32, so that bytes → [0,1] is a table lookup. */
const BYTE_TO_UNIT = (() => {
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = v / 255;
  return table;
})();

/**
 * Interleaved bytes (height × width × channels, as decoders give them) to a
 * CHW float image scaled to [0, 1]: torchvision's ToTensor. `offset` lets a
 * caller read one image out of a larger buffer (an IDX file) without copying.
 */
export function floatImageFromBytes(bytes: Uint8Array, width: number, height: number, channels: number, offset = 0): FloatImage {
  const plane = height * width;
  const needed = plane * channels;
  if (offset < 0 || offset + needed > bytes.length) {
    throw new Error(`floatImageFromBytes: need ${needed} bytes at offset ${offset} for ${width}×${height}×${channels}, buffer has ${bytes.length}`);
  }
  const image = createFloatImage(width, height, channels);
  const out = image.data as Float32Array;
  if (channels === 1) {
    for (let i = 0; i < plane; i++) out[i] = BYTE_TO_UNIT[bytes[offset + i]];
    return image;
  }
  if (channels === 3) {
    // The common RGB case unrolled: about twice as fast as the general loop.
    for (let i = 0, src = offset; i < plane; i++, src += 3) {
      out[i] = BYTE_TO_UNIT[bytes[src]];
      out[plane + i] = BYTE_TO_UNIT[bytes[src + 1]];
      out[2 * plane + i] = BYTE_TO_UNIT[bytes[src + 2]];
    }
    return image;
  }
  for (let i = 0; i < plane; i++) {
    const src = offset + i * channels;
    for (let c = 0; c < channels; c++) out[c * plane + i] = BYTE_TO_UNIT[bytes[src + c]];
  }
  return image;
}

/** @deprecated Use floatImageFromBytes(bytes, width, height, channels, offset): the same, in createFloatImage's argument order. */
export function bytesHwcToImage(bytes: Uint8Array, height: number, width: number, channels: number, offset = 0): FloatImage {
  return floatImageFromBytes(bytes, width, height, channels, offset);
}

export function imageShapeString(image: FloatImage): string {
  return `[${image.channels}, ${image.height}, ${image.width}]`;
}
