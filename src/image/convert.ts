/**
 * Channel conversions to 8-bit RGB, each one reproducing what PIL's
 * `Image.convert('RGB')` does (torchvision's ImageFolder loader calls it on
 * every image), so that a model sees the same bytes as under PyTorch:
 *   - gray (1 channel): the value is copied to R, G and B;
 *   - gray + alpha, RGBA: the alpha channel is dropped, never composited;
 *   - CMYK: PIL's naive formula, no colour profile;
 *   - 16-bit gray (PIL mode "I"): values are clipped to 255, not scaled.
 */
import { assertImage, type Image8, type RgbImage } from './image.js';

/** 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) channels to RGB. */
export function toRgb(image: Image8): RgbImage {
  assertImage(image, 'toRgb');
  const { width, height, channels, data } = image;
  if (channels === 3) return image as RgbImage;
  if (channels > 4) throw new Error(`toRgb: expected 1, 2, 3 or 4 channels, got ${channels}`);
  const pixels = width * height;
  const out = new Uint8Array(pixels * 3);
  const grayscale = channels <= 2;
  for (let p = 0, src = 0, dst = 0; p < pixels; p++, src += channels, dst += 3) {
    if (grayscale) {
      const v = data[src];
      out[dst] = v;
      out[dst + 1] = v;
      out[dst + 2] = v;
    } else {
      out[dst] = data[src];
      out[dst + 1] = data[src + 1];
      out[dst + 2] = data[src + 2];
    }
  }
  return { width, height, channels: 3, data: out };
}

/**
 * CMYK (4 channels, 0 = no ink) to RGB the way PIL does it: every colour is
 * (255 - K) minus C·(255 - K)/255, with PIL's integer "divide by 255".
 */
export function cmykToRgb(image: Image8): RgbImage {
  assertImage(image, 'cmykToRgb');
  if (image.channels !== 4) throw new Error(`cmykToRgb: expected 4 channels (CMYK), got ${image.channels}`);
  const { width, height, data } = image;
  const pixels = width * height;
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const inkFree = 255 - data[p * 4 + 3];
    for (let c = 0; c < 3; c++) {
      // PIL's MULDIV255: (t + (t >> 8)) >> 8 with t = a·b + 128 equals round(a·b / 255).
      const t = data[p * 4 + c] * inkFree + 128;
      const v = inkFree - ((t + (t >> 8)) >> 8);
      out[p * 3 + c] = v < 0 ? 0 : v;
    }
  }
  return { width, height, channels: 3, data: out };
}

/**
 * A 16-bit grayscale image (one channel) to RGB as PIL does for 16-bit gray
 * PNGs: PIL opens them in mode "I" (32-bit integers) and converting "I" to
 * RGB clips at 255, so anything above 255 turns white. Odd, but it is what a
 * torchvision-trained model saw.
 */
export function gray16ToRgb(width: number, height: number, values: Uint16Array): RgbImage {
  if (values.length !== width * height) {
    throw new Error(`gray16ToRgb: ${values.length} values do not fill ${width}x${height}`);
  }
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < values.length; p++) {
    const v = values[p] > 255 ? 255 : values[p];
    out[p * 3] = v;
    out[p * 3 + 1] = v;
    out[p * 3 + 2] = v;
  }
  return { width, height, channels: 3, data: out };
}
