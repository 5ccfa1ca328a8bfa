/**
 * A bounds-checked cursor over bytes. Every read states what it is reading,
 * so a truncated or corrupted file fails with "truncated: <what> needs N
 * bytes at offset X, only M left" instead of a silent `undefined` or NaN.
 */
import { fail } from './errors.js';

/**
 * Strict, as Python's bytes.decode('utf-8') and safetensors' header parser are: invalid bytes are refused, not turned
 * into U+FFFD (which would merge the keys b'w\xff' and b'w\xfe' into one); a leading BOM is kept as text, not dropped.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class ByteReader {
  readonly bytes: Uint8Array;
  readonly source: string;
  pos: number;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, source: string, start = 0) {
    this.bytes = bytes;
    this.source = source;
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Fails unless `n` more bytes are available. Call before allocating anything sized by the file. */
  need(n: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0) fail(this.source, `${what} has an invalid length ${n}`);
    if (n > this.remaining) {
      fail(this.source, `truncated: ${what} needs ${n} bytes at offset ${this.pos}, only ${this.remaining} left`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** An unsigned 64-bit little-endian length; fails beyond 2^53 (no file we read is that big). */
  u64(what: string): number {
    this.need(8, what);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    if (hi >= 0x200000) fail(this.source, `${what} is ${BigInt(hi) * 2n ** 32n + BigInt(lo)}, far beyond any real file`);
    return hi * 2 ** 32 + lo;
  }

  /** A signed 64-bit little-endian integer, as a number (fails outside the safe range). */
  i64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(this.source, `${what} is ${v}, out of range`);
    return Number(v);
  }

  f64be(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  utf8(n: number, what: string): string {
    const at = this.pos;
    return this.decodeUtf8(this.take(n, what), what, at);
  }

  /** Bytes up to (not including) the next '\n', which is consumed. */
  line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) fail(this.source, `truncated: ${what} at offset ${this.pos} has no terminating newline`);
    const text = this.decodeUtf8(this.bytes.subarray(this.pos, end), what, this.pos);
    this.pos = end + 1;
    return text;
  }

  private decodeUtf8(bytes: Uint8Array, what: string, at: number): string {
    try {
      return utf8.decode(bytes);
    } catch {
      return fail(this.source, `${what} at offset ${at} is not valid UTF-8`);
    }
  }
}

/** Reads a little-endian u32 at an absolute position (caller checked bounds). */
export function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}
