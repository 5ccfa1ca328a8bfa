/**
 * The IDX format of (Fashion-)MNIST, parsed from bytes: a 4-byte magic
 * (two zero bytes, a type code, the number of dimensions), one big-endian
 * uint32 per dimension, then the values. Fashion-MNIST uses unsigned bytes
 * (type 0x08): images are 0x00000803 (count, rows, cols), labels are
 * 0x00000801 (count). Gzipped files (as distributed) are inflated first.
 */
import { Gunzip } from 'fflate';
import { concatBytes } from '../formats/byte-writer.js';
import { crc32 } from '../formats/zip/crc32.js';

const UNSIGNED_BYTE = 0x08;
export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes, row-major; 0 is background, 255 is ink. */
  pixels: Uint8Array;
}

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** 1 GiB: far above any IDX data set (Fashion-MNIST's training images are 47 MB inflated). */
export const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

/** The CRC-32 and length (mod 2^32) of the data one gzip member inflated to, as its 8-byte trailer must state. */
interface MemberSums {
  crc: number;
  size: number;
}

/**
 * Why member `index` (1-based) does not match its trailer at `trailerStart`, or null when it does. fflate
 * checks neither value, so without this a flipped byte in the deflate data, a lost trailer or stray bytes after
 * the last member would pass (Python's gzip module, which torchvision reads with, refuses all three; it skips
 * zero padding after the last member, and so does gunzipIfNeeded).
 */
function trailerMismatch(bytes: Uint8Array, trailerStart: number, index: number, sums: MemberSums, name: string): string | null {
  const corrupt = 'the data is corrupt or truncated, or other bytes follow the gzip data';
  if (trailerStart < 0 || trailerStart + 8 > bytes.length) return `${name}: gzip member ${index} has no 8-byte trailer: ${corrupt}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset + trailerStart, 8);
  if (view.getUint32(0, true) !== sums.crc) return `${name}: gzip member ${index} fails its CRC-32 check: ${corrupt}`;
  const size = view.getUint32(4, true);
  if (size !== sums.size % 2 ** 32) {
    return `${name}: gzip member ${index} inflates to ${sums.size} bytes but its trailer says ${size} (mod 2^32): ${corrupt}`;
  }
  return null;
}

/**
 * Inflates gzip data (detected by its magic bytes); other data is returned as
 * is. Streams the input in 256 KiB pieces and stops once the output passes
 * `maxBytes`: a one-shot gunzip sizes its output from the file's own length
 * trailer, which a corrupt 40-byte file can set to 4 GB. Every member's
 * CRC-32 and length are checked against its trailer.
 */
export function gunzipIfNeeded(input: Uint8Array, name: string, maxBytes = MAX_INFLATED_BYTES): Uint8Array {
  if (!isGzip(input)) return input;
  // Zero padding after the last member (some tools pad to a block size) is skipped, as Python's gzip skips it.
  // fflate would take four or more zero bytes for the start of another member, so it sees at most three, and the
  // last trailer is looked for before them. (A trailer ends in at most three zero bytes unless its member holds
  // a multiple of 4 GiB, which no IDX file does.)
  const padding = trailingZeroBytes(input);
  const bytes = padding > 3 ? input.subarray(0, input.length - padding + 3) : input;
  const kept = Math.min(padding, 3);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  let member: MemberSums = { crc: 0, size: 0 };
  let members = 1;
  let mismatch: string | null = null;
  const stream = new Gunzip((chunk, final) => {
    chunks.push(chunk);
    total += chunk.length;
    member = { crc: crc32(chunk, member.crc), size: member.size + chunk.length };
    if (final) ended = true;
  });
  // fflate calls this as member 2, 3, ... begins (at `offset` in the input), after the previous member's data
  // went to the callback above: that member's trailer is the 8 bytes before `offset`.
  stream.onmember = (offset) => {
    mismatch ??= trailerMismatch(bytes, offset - 8, members, member, name);
    member = { crc: 0, size: 0 };
    members++;
  };
  const PIECE = 256 * 1024;
  for (let at = 0; at < bytes.length; at += PIECE) {
    try {
      stream.push(bytes.subarray(at, Math.min(bytes.length, at + PIECE)), at + PIECE >= bytes.length);
    } catch (error) {
      throw new Error(`${name}: gzip data is corrupt or truncated (${(error as Error).message})`);
    }
    if (mismatch !== null) throw new Error(mismatch);
    if (total > maxBytes) throw new Error(`${name}: gzip data inflates to more than ${maxBytes} bytes, more than any IDX data set holds`);
  }
  if (!ended) throw new Error(`${name}: gzip data is corrupt or truncated (the stream ends early)`);
  // The last member's trailer ends the input, or the zero bytes after it do.
  const mismatchWithPadding = (zeros: number): string | null => trailerMismatch(bytes, bytes.length - 8 - zeros, members, member, name);
  const last = mismatchWithPadding(0);
  if (last !== null && !Array.from({ length: kept }, (_, i) => i + 1).some((zeros) => mismatchWithPadding(zeros) === null)) throw new Error(last);
  return chunks.length === 1 ? chunks[0] : concatBytes(chunks);
}

function trailingZeroBytes(bytes: Uint8Array): number {
  let n = 0;
  while (n < bytes.length && bytes[bytes.length - 1 - n] === 0) n++;
  return n;
}

/** Reads the header and checks the magic and size of an unsigned-byte IDX file with `ndims` dimensions. */
function readUnsignedByteIdx(raw: Uint8Array, name: string, expectedMagic: number, what: string): { dims: number[]; values: Uint8Array } {
  const bytes = gunzipIfNeeded(raw, name);
  if (bytes.length < 4) throw new Error(`${name}: file is truncated (${bytes.length} bytes, an IDX header needs at least 4)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const ndims = bytes[3];
    const hint =
      bytes[0] === 0 && bytes[1] === 0 && bytes[2] === UNSIGNED_BYTE
        ? ` (an unsigned-byte IDX file with ${ndims} dimension${ndims === 1 ? '' : 's'}: is this the ${ndims === 1 ? 'labels' : 'images'} file?)`
        : '';
    throw new Error(`${name}: wrong magic number 0x${hex(magic)}, expected 0x${hex(expectedMagic)} for IDX ${what}${hint}`);
  }
  const ndims = expectedMagic & 0xff;
  const headerSize = 4 + 4 * ndims;
  if (bytes.length < headerSize) throw new Error(`${name}: file is truncated (${bytes.length} bytes, the header needs ${headerSize})`);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const available = bytes.length - headerSize;
  if (available < size) {
    throw new Error(`${name}: file is truncated: header declares ${dims.join('×')} = ${size} bytes of data, found ${available}`);
  }
  if (available > size) {
    throw new Error(`${name}: ${available - size} unexpected bytes after the ${dims.join('×')} values the header declares`);
  }
  return { dims, values: bytes.subarray(headerSize, headerSize + size) };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Parses an IDX images file (magic 0x00000803), raw or gzipped. `name` labels errors (e.g. the file path). */
export function parseIdxImages(bytes: Uint8Array, name = 'IDX images'): IdxImages {
  const { dims, values } = readUnsignedByteIdx(bytes, name, IDX_IMAGES_MAGIC, 'images');
  const [count, rows, cols] = dims;
  if (count > 0 && (rows === 0 || cols === 0)) throw new Error(`${name}: images of size ${rows}×${cols} are empty`);
  return { count, rows, cols, pixels: values };
}

/** Parses an IDX labels file (magic 0x00000801), raw or gzipped. */
export function parseIdxLabels(bytes: Uint8Array, name = 'IDX labels'): Uint8Array {
  return readUnsignedByteIdx(bytes, name, IDX_LABELS_MAGIC, 'labels').values;
}

/** Builds an uncompressed IDX file (used by tests and tools that write subsets). */
export function encodeIdx(magic: typeof IDX_IMAGES_MAGIC | typeof IDX_LABELS_MAGIC, dims: readonly number[], values: Uint8Array): Uint8Array {
  if (dims.length !== (magic & 0xff)) throw new Error(`encodeIdx: magic 0x${hex(magic)} needs ${magic & 0xff} dimensions, got ${dims.length}`);
  const size = dims.reduce((a, b) => a * b, 1);
  if (values.length !== size) throw new Error(`encodeIdx: ${values.length} values do not fill ${dims.join('×')}`);
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d, false);
  out.set(values, 4 + 4 * dims.length);
  return out;
}
