/**
 * From a decoded picture to the model's input tensor, as the command line
 * prepares it: for an RGB model torchvision's ImageNet evaluation transform
 * (Resize 256, CenterCrop to the input size, Normalize), with the library's
 * PIL-exact resize; for a one-channel Fashion-MNIST model the picture becomes
 * a 28×28 Fashion-MNIST-like image (PIL's gray, the central square, light
 * clothes on a dark ground) and then goes through `alexnet train`'s
 * Fashion-MNIST transform. Also returns the pixels the model sees, to show.
 */
import { data, defaultGenerator, image, Tensor } from 'alexnet-ts';
import type { RgbaPicture } from '../protocol.js';

type Image8 = image.Image8;

export interface PreparedInput {
  tensor: Tensor;
  picture: RgbaPicture;
  description: string;
}

/**
 * The ImageBitmap's pixels as 8-bit RGB (alpha dropped, as PIL's convert('RGB'): the stored colour of a
 * transparent pixel is kept, not blended). A 2D canvas stores colour premultiplied by alpha, which loses
 * it where alpha is below 255 (black where it is 0): such a picture is read again through a WebGL
 * texture, which keeps the bitmap's unpremultiplied bytes.
 */
export function bitmapToRgb(bitmap: ImageBitmap): Image8 {
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context === null) throw new Error('this browser cannot read image pixels in a worker (no 2d OffscreenCanvas)');
  context.drawImage(bitmap, 0, 0);
  let rgba: Uint8Array | Uint8ClampedArray = context.getImageData(0, 0, width, height).data;
  if (!opaque(rgba)) rgba = unpremultipliedPixels(bitmap) ?? rgba;
  bitmap.close();
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return image.createImage(width, height, 3, rgb);
}

function opaque(rgba: Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/** The bitmap's RGBA bytes as stored (not premultiplied), read from a WebGL2 texture; null where WebGL2 cannot. */
function unpremultipliedPixels(bitmap: ImageBitmap): Uint8Array | null {
  const { width, height } = bitmap;
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  if (gl === null) return null;
  try {
    if (width > gl.getParameter(gl.MAX_TEXTURE_SIZE) || height > gl.getParameter(gl.MAX_TEXTURE_SIZE)) return null;
    gl.bindTexture(gl.TEXTURE_2D, gl.createTexture());
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    gl.bindFramebuffer(gl.FRAMEBUFFER, gl.createFramebuffer());
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, gl.getParameter(gl.TEXTURE_BINDING_2D), 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return null;
    // Texture row 0 is the picture's top row, and readPixels starts at row 0: no flip.
    const pixels = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    return gl.getError() === gl.NO_ERROR ? pixels : null;
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

function pictureOf(img: Image8): RgbaPicture {
  const n = img.width * img.height;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const src = i * img.channels;
    rgba[i * 4] = img.data[src];
    rgba[i * 4 + 1] = img.data[src + (img.channels === 3 ? 1 : 0)];
    rgba[i * 4 + 2] = img.data[src + (img.channels === 3 ? 2 : 0)];
    rgba[i * 4 + 3] = 255;
  }
  return { width: img.width, height: img.height, rgba };
}

/** torchvision's eval transform for an RGB model of input side `side`. */
export function imagenetInput(rgb: Image8, side: number): PreparedInput {
  const pixels = image.imagenetEvalPixels(rgb, { resize: 256, crop: side });
  const chw = image.normalize(image.toTensor(pixels), image.IMAGENET_MEAN, image.IMAGENET_STD);
  return {
    tensor: new Tensor(chw.data, [1, 3, side, side]),
    picture: pictureOf(pixels),
    description: `resize to 256, center crop ${side}×${side}, ImageNet mean/std`,
  };
}

/** PIL's convert('L'): ITU-R 601-2 luma in 16-bit fixed point. */
function toGray(rgb: Image8): Image8 {
  if (rgb.channels === 1) return rgb;
  const n = rgb.width * rgb.height;
  const gray = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = i * rgb.channels;
    gray[i] = (rgb.data[s] * 19595 + rgb.data[s + 1] * 38470 + rgb.data[s + 2] * 7471 + 0x8000) >> 16;
  }
  return image.createImage(rgb.width, rgb.height, 1, gray);
}

/** Fashion-MNIST shows light clothes on black: a picture whose border is light is inverted. */
function darkGround(gray: Image8): { image: Image8; inverted: boolean } {
  const { width, height, data: px } = gray;
  let sum = 0;
  let count = 0;
  for (let x = 0; x < width; x++) {
    sum += px[x] + px[(height - 1) * width + x];
    count += 2;
  }
  for (let y = 1; y < height - 1; y++) {
    sum += px[y * width] + px[y * width + width - 1];
    count += 2;
  }
  if (sum / count <= 127) return { image: gray, inverted: false };
  const out = new Uint8Array(px.length);
  for (let i = 0; i < px.length; i++) out[i] = 255 - px[i];
  return { image: image.createImage(width, height, 1, out), inverted: true };
}

/** A 28×28 Fashion-MNIST image (bytes) through the training transform: [1, C, side, side]. */
export function fashionTensor(pixels28: Uint8Array, side: number, channels: number): Tensor {
  const transform = data.fashionMnistTransform({ size: side, channels });
  const out = transform.apply(data.floatImageFromBytes(pixels28, 28, 28, 1), defaultGenerator);
  return new Tensor(out.data as Float32Array, [1, channels, side, side]);
}

/** Any picture → the input of a Fashion-MNIST model of input side `side`. */
export function fashionInput(rgb: Image8, side: number, channels: number): PreparedInput {
  const gray = toGray(rgb);
  const square = image.centerCrop(gray, Math.min(gray.width, gray.height));
  const small = image.resize(square, [28, 28]);
  const { image: ground, inverted } = darkGround(small);
  return {
    tensor: fashionTensor(ground.data as Uint8Array, side, channels),
    picture: pictureOf(ground),
    description: `gray, central square to 28×28${inverted ? ', inverted (Fashion-MNIST is light on dark)' : ''}, then ${side}×${side} as in training`,
  };
}

/** A Fashion-MNIST test image as it is: 28×28 bytes. */
export function fashionSampleInput(pixels28: Uint8Array, side: number, channels: number): PreparedInput {
  return {
    tensor: fashionTensor(pixels28, side, channels),
    picture: pictureOf(image.createImage(28, 28, 1, new Uint8Array(pixels28))),
    description: `a Fashion-MNIST test image, 28×28 resized to ${side}×${side} as in training`,
  };
}
