/**
 * A picture file (picked, dropped or pasted) → a decoded ImageBitmap, or an
 * error that says what is wrong: not a picture, a picture too large to
 * decode sensibly, one the browser cannot decode. The size is read from the
 * header first, so an oversized picture is refused before it is decoded.
 * Decoding itself (createImageBitmap) happens off the main thread.
 */
import { formatBytes } from './format.js';
import { type ImageFormat, readImageHeader } from '../../src/image/image-header.js';

/** The largest picture decoded, in pixels (width × height): 40 MP is a big camera's photo, ~160 MB of RGBA. */
export const MAX_PIXELS = 40_000_000;
/** The largest picture file read at all. */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
/** Enough of the file to find a JPEG's size behind its EXIF block. */
const HEADER_BYTES = 256 * 1024;

export class ImageFileError extends Error {}

/**
 * Formats that only some browsers decode (TIFF and HEIF: Safari; not Chromium or Firefox). When one of these fails
 * to decode, the likely cause is the browser, not the file: "not a readable TIFF picture" wrongly blamed valid files.
 */
const ONLY_SOME_BROWSERS_DECODE: ReadonlySet<ImageFormat> = new Set(['TIFF', 'HEIF']);

const WEIGHTS = /\.(pth|pt|safetensors|onnx)$/i;

/** Whether a dropped file is meant as weights rather than a picture (by its name). */
export function looksLikeWeights(file: File): boolean {
  return WEIGHTS.test(file.name);
}

function megapixels(width: number, height: number): string {
  return `${width.toLocaleString('en')} × ${height.toLocaleString('en')} (${((width * height) / 1e6).toFixed(1)} MP)`;
}

function tooLarge(name: string, width: number, height: number): ImageFileError {
  return new ImageFileError(
    `${name} is too large to decode here: ${megapixels(width, height)}; the page takes pictures up to ${MAX_PIXELS / 1e6} MP. Scale it down first (the model sees 224 × 224 anyway).`,
  );
}

export async function decodeImageFile(file: File): Promise<ImageBitmap> {
  const name = file.name || 'the pasted picture';
  if (file.size === 0) throw new ImageFileError(`${name} is empty`);
  if (file.size > MAX_FILE_BYTES)
    throw new ImageFileError(`${name} is ${formatBytes(file.size)}; the page reads picture files up to ${formatBytes(MAX_FILE_BYTES)}`);
  const head = new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer());
  const header = readImageHeader(head);
  if (header === null && !file.type.startsWith('image/')) {
    throw new ImageFileError(`${name} is not a picture (expected JPEG, PNG, WebP, GIF, BMP or AVIF${file.type ? `; it is ${file.type}` : ''})`);
  }
  if (header?.width != null && header.height != null) {
    if (header.width === 0 || header.height === 0)
      throw new ImageFileError(`${name}: the ${header.format} header says ${header.width} × ${header.height} pixels`);
    if (header.width * header.height > MAX_PIXELS) throw tooLarge(name, header.width, header.height);
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (error) {
    if (header !== null && ONLY_SOME_BROWSERS_DECODE.has(header.format))
      throw new ImageFileError(`${name}: this browser cannot decode ${header.format} pictures: convert it to PNG or JPEG`);
    const what = header === null ? 'a picture this browser can decode' : `a readable ${header.format} picture`;
    throw new ImageFileError(`${name} is not ${what} (${(error as Error).message || 'decoding failed'})`);
  }
  if (bitmap.width * bitmap.height > MAX_PIXELS) {
    const { width, height } = bitmap;
    bitmap.close();
    throw tooLarge(name, width, height);
  }
  return bitmap;
}
