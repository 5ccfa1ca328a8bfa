/**
 * The format and size of a picture from its first bytes, before anything is
 * decoded: so a 30,000 × 30,000 PNG (or a file that is no picture at all) is
 * refused with a message instead of a decoder eating the tab's memory.
 * JPEG, PNG, GIF, BMP, WebP, AVIF/HEIF; null for anything else.
 */

export interface ImageHeader {
  format: string;
  /** null when the header does not say (the picture is then checked after decoding). */
  width: number | null;
  height: number | null;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

function jpegSize(bytes: Uint8Array, view: DataView): { width: number; height: number } | null {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    // Standalone markers carry no length.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      i += 2;
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: view.getUint16(i + 5), width: view.getUint16(i + 7) };
    i += 2 + view.getUint16(i + 2);
  }
  return null;
}

function webpSize(bytes: Uint8Array, view: DataView): { width: number; height: number } | null {
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
function ispeSize(bytes: Uint8Array, view: DataView): { width: number; height: number } | null {
  for (let i = 4; i + 16 <= bytes.length; i++) {
    if (bytes[i] === 0x69 && ascii(bytes, i, 4) === 'ispe') return { width: view.getUint32(i + 8), height: view.getUint32(i + 12) };
  }
  return null;
}

export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sized = (format: string, size: { width: number; height: number } | null): ImageHeader => ({
    format,
    width: size?.width ?? null,
    height: size?.height ?? null,
  });
  if (bytes.length >= 24 && bytes[0] === 0x89 && ascii(bytes, 1, 3) === 'PNG') return sized('PNG', { width: view.getUint32(16), height: view.getUint32(20) });
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return sized('JPEG', jpegSize(bytes, view));
  if (bytes.length >= 10 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a'))
    return sized('GIF', { width: view.getUint16(6, true), height: view.getUint16(8, true) });
  if (bytes.length >= 26 && ascii(bytes, 0, 2) === 'BM') {
    const headerSize = view.getUint32(14, true);
    if (headerSize === 12) return sized('BMP', { width: view.getUint16(18, true), height: view.getUint16(20, true) });
    return sized('BMP', { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) });
  }
  if (bytes.length >= 16 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return sized('WebP', webpSize(bytes, view));
  if (bytes.length >= 12 && ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4);
    if (/^(avif|avis|heic|heix|hevc|mif1|msf1)$/.test(brand)) return sized(brand.startsWith('avi') ? 'AVIF' : 'HEIF', ispeSize(bytes, view));
  }
  return null;
}
