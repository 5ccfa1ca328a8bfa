/**
 * Structure-aware mutations of a valid file: bit flips, truncation, inserted
 * and deleted bytes, extreme or off-by-one values written into the fields
 * that hold lengths, counts and sizes (zip records, pickle opcodes, IDX, PNG
 * and JPEG headers, every varint of a protobuf such as ONNX's), and huge numbers in text headers (safetensors JSON,
 * .npy dicts). Each case draws from its own seeded generator, so any case can
 * be replayed alone.
 */
import { concatBytes } from '../../src/formats/byte-writer.js';

/** A deterministic uniform [0, 1) source (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of case `index` of a format in a run seeded with `seed`. */
export function caseSeed(seed: number, format: string, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ index;
  for (let i = 0; i < format.length; i++) h = Math.imul(h ^ format.charCodeAt(i), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const u32le = (b: Uint8Array, i: number): number => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
const u32be = (b: Uint8Array, i: number): number => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

/** Offsets of fields that hold lengths, counts, sizes or shapes, in every format fuzzed. */
export function lengthFields(bytes: Uint8Array): number[] {
  const at: number[] = [0, 4, 8]; // IDX dims / safetensors header length / .npy header length
  for (let i = 0; i + 4 <= bytes.length; i++) {
    const sig = u32le(bytes, i);
    if (sig === 0x04034b50) at.push(i + 18, i + 22, i + 26, i + 28); // zip local header: sizes, name/extra lengths
    if (sig === 0x02014b50) at.push(i + 20, i + 24, i + 28, i + 30, i + 42); // central directory: sizes, lengths, offset
    if (sig === 0x06054b50) at.push(i + 10, i + 12, i + 16); // end record: count, directory size and offset
    if (sig === 0x06064b50) at.push(i + 32, i + 40, i + 48); // zip64 end record
    // Pickle opcodes followed by an integer or a length: BININT1/2, BININT, BINUNICODE, LONG1, BINGET/BINPUT.
    if ([0x4b, 0x4d, 0x4a, 0x58, 0x8a, 0x68, 0x71].includes(bytes[i])) at.push(i + 1);
    const tag = u32be(bytes, i);
    if (tag === 0x49484452) at.push(i - 4, i + 4, i + 8); // PNG IHDR: chunk length, width, height
    if (tag === 0x49444154) at.push(i - 4); // PNG IDAT length
    if (bytes[i] === 0xff && (bytes[i + 1] === 0xc0 || bytes[i + 1] === 0xc2)) at.push(i + 2, i + 5, i + 7); // JPEG SOF: length, height, width
    if (bytes[i] === 0xff && bytes[i + 1] === 0xda) at.push(i + 2); // JPEG SOS length
    if (tag === 0x56503820 || tag === 0x5650384c) at.push(i + 4); // WebP VP8 / VP8L chunk size
  }
  if (bytes.length >= 4) at.push(bytes.length - 4); // gzip's ISIZE trailer
  return at.filter((i) => i >= 0 && i < bytes.length);
}

/** A varint at `at` (at most 10 bytes, not past `end`): its value (inexact beyond 2^53) and where it ends; null when cut off. */
function readVarint(bytes: Uint8Array, at: number, end: number): { value: number; next: number } | null {
  let value = 0;
  for (let i = 0; i < 10 && at + i < end; i++) {
    value += (bytes[at + i] & 0x7f) * 2 ** (7 * i);
    if ((bytes[at + i] & 0x80) === 0) return { value, next: at + i + 1 };
  }
  return null;
}

/** Walks protobuf fields in [start, end), collecting varint offsets; false when the bytes are not a message. */
function walkMessage(bytes: Uint8Array, start: number, end: number, depth: number, out: number[]): boolean {
  let i = start;
  while (i < end) {
    const tag = readVarint(bytes, i, end);
    if (tag === null || tag.value < 8) return false; // field number 0 is not a field
    i = tag.next;
    switch (tag.value % 8) {
      case 0: {
        out.push(i);
        const v = readVarint(bytes, i, end);
        if (v === null) return false;
        i = v.next;
        break;
      }
      case 1:
        i += 8;
        break;
      case 5:
        i += 4;
        break;
      case 2: {
        out.push(i);
        const length = readVarint(bytes, i, end);
        if (length === null || length.next + length.value > end) return false;
        const [from, to] = [length.next, length.next + length.value];
        const before = out.length;
        if (depth >= 32 || !walkMessage(bytes, from, to, depth + 1, out)) {
          out.length = before;
          // Not a message: short packed varints (dims, ints attributes) are fields worth mutating; long data is not.
          const packed: number[] = [];
          let j = from;
          while (j < to && to - from <= 64) {
            const v = readVarint(bytes, j, to);
            if (v === null) break;
            packed.push(j);
            j = v.next;
          }
          if (j === to) out.push(...packed);
        }
        i = to;
        break;
      }
      default:
        return false;
    }
  }
  return i === end;
}

/**
 * Offsets of every varint in a protobuf message (ONNX's ModelProto), nested
 * messages included: tags' values, lengths, dims, attribute integers, opset
 * versions. Strings and raw bytes are left to the other mutations.
 */
export function protobufFields(bytes: Uint8Array): number[] {
  const out: number[] = [];
  walkMessage(bytes, 0, bytes.length, 0, out);
  return out.length > 0 ? out : [0];
}

const EXTREMES = [0, 1, 0x7f, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff, 1e12];

export function mutate(base: Uint8Array, fields: readonly number[], rand: () => number): Uint8Array {
  const pick = (n: number): number => Math.floor(rand() * n);
  const bytes = base.slice();
  switch (pick(6)) {
    case 0:
      for (let k = 1 + pick(4); k > 0; k--) bytes[pick(bytes.length)] ^= 1 << pick(8);
      return bytes;
    case 1:
      return bytes.slice(0, pick(bytes.length));
    case 2: {
      const at = pick(bytes.length + 1);
      const junk = Uint8Array.from({ length: 1 + pick(16) }, () => pick(256));
      return concatBytes([bytes.subarray(0, at), junk, bytes.subarray(at)]);
    }
    case 3: {
      const at = pick(bytes.length);
      return concatBytes([bytes.subarray(0, at), bytes.subarray(at + 1 + pick(32))]);
    }
    case 4: {
      const at = fields[pick(fields.length)];
      const width = [1, 2, 4, 8][pick(4)];
      const bigEndian = rand() < 0.5;
      const old = at + 4 <= bytes.length ? (bigEndian ? u32be(bytes, at) : u32le(bytes, at)) : bytes[at];
      const value = rand() < 0.5 ? EXTREMES[pick(EXTREMES.length)] : old + (rand() < 0.5 ? 1 : -1);
      let v = BigInt(Math.max(0, Math.floor(value)));
      const order = Array.from({ length: width }, (_, i) => (bigEndian ? width - 1 - i : i));
      for (const i of order) {
        if (at + i < bytes.length) bytes[at + i] = Number(v & 0xffn);
        v >>= 8n;
      }
      return bytes;
    }
    default: {
      const text = new TextDecoder('latin1').decode(bytes.subarray(0, 400));
      const runs = [...text.matchAll(/\d+/g)];
      if (runs.length === 0) return bytes;
      const run = runs[pick(runs.length)];
      const replacement = new TextEncoder().encode(rand() < 0.5 ? '9'.repeat(run[0].length) : '1000000000000');
      const start = run.index ?? 0;
      return concatBytes([bytes.subarray(0, start), replacement, bytes.subarray(start + run[0].length)]);
    }
  }
}
