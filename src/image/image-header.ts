/**
 * The format, size and sample layout of a picture from its first bytes,
 * before anything is decoded: so a 30,000 × 30,000 PNG (or a file that is no
 * picture at all) is refused with a message instead of a decoder eating the
 * memory, and a decoder can be told what it will find without parsing the
 * file twice. JPEG, PNG, GIF, BMP, WebP, AVIF/HEIF, and TIFF by its signature
 * only (its size sits wherever its directory is); null for anything else.
 * Used by the demo page (before the browser decodes) and by Node's decoder
 * (src/node/image/decode.ts, in place of a second pass through libvips).
 */

export type ImageFormat = 'JPEG' | 'PNG' | 'GIF' | 'BMP' | 'WebP' | 'AVIF' | 'HEIF' | 'TIFF';

export interface ImageHeader {
  format: ImageFormat;
  /** null when the header does not say (the picture is then checked after decoding). */
  width: number | null;
  height: number | null;
  /**
   * Samples per pixel as stored: a JPEG frame's components (1 gray, 3 YCbCr or RGB, 4 CMYK or YCCK); a PNG's
   * from its colour type (gray 1, gray+alpha 2, RGB 3, RGBA 4, palette 1). null where this parser does not read it.
   */
  channels: number | null;
  /** Bits per sample: a JPEG frame's precision, a PNG's bit depth; null where this parser does not read it. */
  bitDepth: number | null;
  /**
   * A JPEG frame coded with arithmetic coding (SOF9 to SOF15) rather than Huffman codes: it can spend less
   * than a bit on a block, so its size bounds its pixels no better than WebP's or AVIF's. False otherwise.
   */
  arithmeticCoding: boolean;
}

interface Layout {
  width: number;
  height: number;
  channels?: number;
  bitDepth?: number;
  arithmeticCoding?: boolean;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

/** Segments libjpeg reads before a frame header, each skipped by its length: APP0-15, COM, DQT, DHT, DAC, DRI. */
function isTableOrMiscSegment(marker: number): boolean {
  return (marker >= 0xe0 && marker <= 0xef) || marker === 0xfe || marker === 0xdb || marker === 0xc4 || marker === 0xcc || marker === 0xdd;
}

/**
 * The first frame header (SOFn) of a JPEG: precision, height, width, components; null where the bytes before it
 * are not the segments libjpeg would read in the same way. The size must be the one a decoder will find: libjpeg
 * scans over bytes that are no marker ("FF 00", stray bytes) to the next real one, so a "segment" this parser
 * skipped by its length could hide the real frame (a 717-byte file declared 64×64 here and decoded 23000×23000);
 * such a file, and any marker it would refuse, gets no size here and is measured by libvips itself.
 */
function jpegLayout(bytes: Uint8Array, view: DataView): Layout | null {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    // Standalone markers carry no length: TEM, and RST0-7 (which libjpeg passes over outside a scan).
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      return { bitDepth: bytes[i + 4], height: view.getUint16(i + 5), width: view.getUint16(i + 7), channels: bytes[i + 9], arithmeticCoding: marker >= 0xc9 };
    }
    if (!isTableOrMiscSegment(marker)) return null;
    i += 2 + view.getUint16(i + 2);
  }
  return null;
}

/** Samples per pixel of PNG colour types 0 (gray), 2 (RGB), 3 (palette), 4 (gray+alpha), 6 (RGBA). */
const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function pngLayout(bytes: Uint8Array, view: DataView): Layout {
  return { width: view.getUint32(16), height: view.getUint32(20), bitDepth: bytes[24], channels: PNG_CHANNELS[bytes[25]] };
}

function webpLayout(bytes: Uint8Array, view: DataView): Layout | null {
  const chunk = ascii(bytes, 12, 4);
  if (chunk === 'VP8X' && bytes.length >= 30) {
    const u24 = (at: number): number => bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
    return { width: 1 + u24(24), height: 1 + u24(27) };
  }
  if (chunk === 'VP8L' && bytes.length >= 25) {
    const [b0, b1, b2, b3] = bytes.subarray(21, 25);
    return { width: 1 + (b0 | ((b1 & 0x3f) << 8)), height: 1 + ((b1 >> 6) | (b2 << 2) | ((b3 & 0x0f) << 10)) };
  }
  if (chunk === 'VP8 ' && bytes.length >= 30) return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  return null;
}

/** The size in an ISO-BMFF image (AVIF, HEIF): the first 'ispe' property. */
function ispeLayout(bytes: Uint8Array, view: DataView): Layout | null {
  for (let i = 4; i + 16 <= bytes.length; i++) {
    if (bytes[i] === 0x69 && ascii(bytes, i, 4) === 'ispe') return { width: view.getUint32(i + 8), height: view.getUint32(i + 12) };
  }
  return null;
}

function bmpLayout(view: DataView): Layout {
  const headerSize = view.getUint32(14, true);
  if (headerSize === 12) return { width: view.getUint16(18, true), height: view.getUint16(20, true) };
  return { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
}

export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = (format: ImageFormat, layout: Layout | null): ImageHeader => ({
    format,
    width: layout?.width ?? null,
    height: layout?.height ?? null,
    channels: layout?.channels ?? null,
    bitDepth: layout?.bitDepth ?? null,
    arithmeticCoding: layout?.arithmeticCoding ?? false,
  });
  if (bytes.length >= 26 && bytes[0] === 0x89 && ascii(bytes, 1, 3) === 'PNG') return header('PNG', pngLayout(bytes, view));
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return header('JPEG', jpegLayout(bytes, view));
  if (bytes.length >= 10 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a'))
    return header('GIF', { width: view.getUint16(6, true), height: view.getUint16(8, true) });
  if (bytes.length >= 26 && ascii(bytes, 0, 2) === 'BM') return header('BMP', bmpLayout(view));
  if (bytes.length >= 16 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return header('WebP', webpLayout(bytes, view));
  // Little- or big-endian, classic (42) or BigTIFF (43).
  if (bytes.length >= 4 && /^(II[*+]\0|MM\0[*+])$/.test(ascii(bytes, 0, 4))) return header('TIFF', null);
  if (bytes.length >= 12 && ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4);
    if (/^(avif|avis|heic|heix|hevc|mif1|msf1)$/.test(brand)) return header(brand.startsWith('avi') ? 'AVIF' : 'HEIF', ispeLayout(bytes, view));
  }
  return null;
}
