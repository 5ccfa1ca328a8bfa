/**
 * Image files to 8-bit RGB with sharp (libvips), giving the bytes PIL's
 * `Image.open(path).convert('RGB')` gives (torchvision's ImageFolder loader):
 *   - no EXIF auto-rotation (PIL does not rotate either);
 *   - embedded ICC profiles are ignored (PIL does not colour-manage);
 *   - alpha is dropped, not composited; gray is replicated to R, G, B;
 *     palette images are expanded through their palette;
 *   - 16-bit RGB(A) and gray+alpha keep the high byte, like PIL;
 *   - 16-bit gray PNG is clipped at 255, like PIL's mode "I", with or
 *     without a tRNS chunk (libvips makes tRNS an alpha channel; PIL's mode
 *     "I" keeps no alpha, so convert('RGB') still clips);
 *   - CMYK JPEGs use PIL's naive CMYK formula, not a colour profile;
 *   - for animated GIF/WebP, the first frame.
 * JPEG (libjpeg-turbo in PIL, mozjpeg in sharp and, for small clean files,
 * in WebAssembly: ./jpeg-wasm.ts), PNG and WebP decode to the same bytes;
 * other formats sharp reads (GIF, TIFF, AVIF...) are accepted but not
 * checked against PIL.
 */
import { readFile } from 'node:fs/promises';
import sharp, { type SharpOptions } from 'sharp';
import { cmykToRgb, gray16ToRgb, toRgb } from '../../image/convert.js';
import type { RgbImage, RgbOrRgbaImage } from '../../image/image.js';
import { readImageHeader } from '../../image/image-header.js';
import { decodeSmallJpeg } from './jpeg-wasm.js';

/** PIL's decompression-bomb limit (2 × Image.MAX_IMAGE_PIXELS): larger images are refused, as PIL refuses them. */
export const MAX_IMAGE_PIXELS = 178_956_970;

/** ignoreIcc: keep the stored values; autoOrient off: no EXIF rotation; reject truncated/corrupt data as PIL does. */
const INPUT_OPTIONS: SharpOptions = { ignoreIcc: true, autoOrient: false, failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS };

/**
 * The most pixels a file can encode per byte, where its coding bounds that:
 * a Huffman-coded JPEG spends at least one bit on each 8×8 block's DC term
 * (512 gray pixels a byte, less in color); PNG's deflate expands at most
 * 1,032 times, at most 8 pixels a byte at 1 bit per pixel. A header
 * declaring more than this (plus 1 M pixels of slack for tiny files) is
 * corrupt or a decompression bomb, and is refused before anything is
 * decoded: an 841-byte JPEG with a mutated header otherwise decoded into
 * 669 MB of pixels. Arithmetic coders (WebP's, AVIF's, arithmetic-coded
 * JPEG's) and WebP lossless's one-symbol codes spend next to nothing on a
 * uniform area (a 3000×3000 white lossless WebP is 422 bytes, a 4000×4000
 * white AVIF 437): those formats, and any other, are bounded by the pixel
 * limit alone (MAX_IMAGE_PIXELS, or a server's lower one).
 */
const PIXELS_PER_BYTE: ReadonlyMap<string, number> = new Map([
  ['jpeg', 600],
  ['png', 8300],
]);

/** The largest width × height decodeImage accepts from `byteLength` bytes of `format` data. */
export function maxDecodablePixels(format: string | undefined, byteLength: number, arithmeticCoding = false): number {
  const perByte = format === undefined || arithmeticCoding ? undefined : PIXELS_PER_BYTE.get(format);
  if (perByte === undefined) return MAX_IMAGE_PIXELS;
  return Math.min(MAX_IMAGE_PIXELS, perByte * byteLength + 1024 * 1024);
}

/** The formats decodeImage reads (those sharp's libvips is built with; a server takes only the first three). */
const DECODABLE_FORMATS = 'JPEG, PNG, WebP, GIF, TIFF or AVIF';

function notDecodable(name: string, reason?: string): Error {
  return new Error(reason ? `${name} is not a decodable image: ${reason}` : `${name} is not a decodable image (expected ${DECODABLE_FORMATS} data)`);
}

/** The first line of an error's message, without libvips' prefixes. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim();
}

/** A plain Uint8Array view of a Buffer (no copy), so records hold no Node types. */
function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

/** How the pixels are read: 16-bit gray and CMYK need their own conversions to PIL's RGB; everything else is RGB(A) from libvips. */
type PixelPath = 'gray16' | 'cmyk' | 'rgb';

/** What decoding needs to know before it starts. */
interface Layout {
  /** sharp's name of the format ('jpeg', 'png', 'webp', ...), for the pixel bound and messages. */
  format: string | undefined;
  width: number;
  height: number;
  path: PixelPath;
  /** A JPEG with arithmetic coding, whose size does not bound its pixels (see PIXELS_PER_BYTE). */
  arithmeticCoding?: boolean;
}

/**
 * The layout from the file's header where src/image/image-header.ts reads all of it: JPEG, PNG and WebP, the
 * formats a server sees. This saves a second pass through libvips (sharp's metadata(): a third of the time of
 * decoding a 224×224 JPEG). Any other format, and any header this parser cannot read, goes to libvips.
 */
function layoutFromHeader(bytes: Uint8Array): Layout | null {
  const header = readImageHeader(bytes);
  if (header === null || header.width === null || header.height === null) return null;
  const { width, height } = header;
  if (header.format === 'JPEG' && header.channels !== null)
    return { format: 'jpeg', width, height, path: header.channels === 4 ? 'cmyk' : 'rgb', arithmeticCoding: header.arithmeticCoding };
  // One channel at 16 bits is colour type 0 (palettes go to 8 bits at most): PIL's mode "I", whatever tRNS says.
  if (header.format === 'PNG' && header.channels !== null)
    return { format: 'png', width, height, path: header.channels === 1 && header.bitDepth === 16 ? 'gray16' : 'rgb' };
  if (header.format === 'WebP') return { format: 'webp', width, height, path: 'rgb' };
  return null;
}

/** The layout as libvips reads it (any format sharp can open); throws when it cannot. */
async function layoutFromLibvips(bytes: Uint8Array): Promise<Layout> {
  // No pixel limit for the header alone: the checks in decodeImage name the size they refuse.
  const metadata = await sharp(bytes, { ...INPUT_OPTIONS, limitInputPixels: false }).metadata();
  const path: PixelPath = metadata.space === 'grey16' && metadata.channels === 1 ? 'gray16' : metadata.space === 'cmyk' ? 'cmyk' : 'rgb';
  return { format: metadata.format, width: metadata.width ?? 0, height: metadata.height ?? 0, path };
}

/** Decodes with libvips refusing more than `maxPixels`: the bound holds even where the header parser and libvips disagree. */
async function decodePixels(bytes: Uint8Array, path: PixelPath, maxPixels: number): Promise<RgbOrRgbaImage> {
  const options: SharpOptions = { ...INPUT_OPTIONS, limitInputPixels: Math.max(1, Math.floor(maxPixels)) };
  if (path === 'gray16') {
    // libvips turns a tRNS chunk into an alpha band, which PIL's mode "I" does not have: drop it.
    const { data, info } = await sharp(bytes, options).removeAlpha().toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    // A copy when the buffer is not 2-byte aligned; raw output is in the machine's byte order.
    const aligned = data.byteOffset % 2 === 0 ? data : Buffer.from(data);
    const values = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
    if (info.channels !== 1) throw new Error(`expected 1 channel of 16-bit gray, got ${info.channels}`);
    return gray16ToRgb(info.width, info.height, values);
  }
  if (path === 'cmyk') {
    // Keep the ink values; PIL's formula turns them into RGB below.
    const { data, info } = await sharp(bytes, options).pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`expected 4 CMYK channels, got ${info.channels}`);
    return cmykToRgb({ width: info.width, height: info.height, channels: 4, data: asBytes(data) });
  }
  // libvips hands back 8-bit sRGB with 3 channels, or 4 with alpha (gray is already replicated).
  const { data, info } = await sharp(bytes, options).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const image = { width: info.width, height: info.height, channels: info.channels, data: asBytes(data) };
  return image.channels === 4 ? (image as RgbOrRgbaImage) : toRgb(image);
}

/**
 * Decodes image file bytes; `name` (a path or label) appears in error
 * messages. `maxPixels` lowers the pixel limit (a server bounds the memory
 * one request can take).
 */
export async function decodeImage(bytes: Uint8Array, name = 'image data', maxPixels = MAX_IMAGE_PIXELS): Promise<RgbImage> {
  return toRgb(await decodeImageForModel(bytes, name, maxPixels));
}

/**
 * decodeImage for the model's transform (imagenetEvalTransform drops an
 * alpha channel itself): RGB, or RGBA as the decoder emitted it (the
 * WebAssembly JPEG decoder's, a PNG's with alpha), which saves copying every
 * pixel to RGB first (0.25 ms of a 224×224 JPEG's 1.2 ms of preprocessing).
 */
export async function decodeImageForModel(bytes: Uint8Array, name = 'image data', maxPixels = MAX_IMAGE_PIXELS): Promise<RgbOrRgbaImage> {
  let layout = layoutFromHeader(bytes);
  if (layout === null) {
    try {
      layout = await layoutFromLibvips(bytes);
    } catch {
      throw notDecodable(name);
    }
  }
  const { width, height, format } = layout;
  const pixels = width * height;
  const limit = Math.min(maxPixels, MAX_IMAGE_PIXELS);
  if (pixels > limit) {
    const why = limit === MAX_IMAGE_PIXELS ? "PIL's decompression-bomb limit" : "the reader's limit, such as alexnet serve's --max-image-pixels";
    throw new Error(`${name} is too large: ${width}×${height} is ${pixels} pixels, above the limit of ${limit} (${why})`);
  }
  const decodable = maxDecodablePixels(format, bytes.length, layout.arithmeticCoding);
  if (pixels > decodable) {
    throw notDecodable(
      name,
      `its header declares ${width}×${height} pixels, more than ${bytes.length} bytes of ${format ?? 'image'} data can hold (corrupt, or a decompression bomb)`,
    );
  }
  // Small JPEGs, the common upload to a classifier, skip sharp's per-call cost (src/node/image/jpeg-wasm.ts); it
  // answers null for anything but a clean file, which then goes to sharp.
  if (format === 'jpeg' && layout.path === 'rgb') {
    const image = await decodeSmallJpeg(bytes, width, height);
    if (image !== null) return image;
  }
  try {
    return await decodePixels(bytes, layout.path, Math.min(limit, decodable));
  } catch (error) {
    throw notDecodable(name, `corrupt or unsupported ${format ?? 'image'} data (${firstLine(error)})`);
  }
}

/**
 * The bytes of the image file at `path`; errors say "cannot read image PATH: reason". A Buffer path (a file
 * name that is not UTF-8) is shown as UTF-8, each invalid byte as U+FFFD.
 */
export async function readImageFile(path: string | Buffer): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : firstLine(error);
    throw new Error(`cannot read image ${path.toString()}: ${reason}`);
  }
}

/** Reads and decodes the image file at `path` to 8-bit RGB. */
export async function readImage(path: string | Buffer): Promise<RgbImage> {
  return decodeImage(await readImageFile(path), path.toString());
}
