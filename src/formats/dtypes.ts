/**
 * Element types found in weight files, and their conversion to float32 (the
 * only type a Tensor holds). float32 data that is suitably aligned is used
 * in place (a view, no copy); everything else is converted into a new array.
 *
 * Conversions follow C casts as torch does: float64 and integers round to the
 * nearest float32 (ties to even); float16/bfloat16 widen exactly; bool is 0/1.
 * int64/uint64 round once, as torch's .float() and numpy's astype do: beyond
 * 2^53 a detour through float64 would round twice (2^60 + 2^36 + 1 would
 * land on 2^60 instead of the float32 above it).
 */

export type DType = 'float64' | 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint64' | 'uint32' | 'uint16' | 'uint8' | 'bool';

export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint64: 8,
  uint32: 4,
  uint16: 2,
  uint8: 1,
  bool: 1,
};

/** True on every platform that runs JavaScript today; checked so a big-endian one fails loudly. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function assertLittleEndianHost(what: string): void {
  if (!LITTLE_ENDIAN_HOST) throw new Error(`${what}: big-endian hosts are not supported`);
}

let halfTable: Float32Array | null = null;

/** All 65536 float16 values as float32, built once on first use (256 KB). */
function float16Table(): Float32Array {
  if (halfTable !== null) return halfTable;
  halfTable = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) halfTable[bits] = float16BitsToNumber(bits);
  return halfTable;
}

/** Decodes IEEE 754 binary16 bits (sign, 5-bit exponent, 10-bit fraction). */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * `count` elements of `dtype` starting at `bytes[byteOffset]` (little-endian
 * unless `bigEndian`) as float32. float32 input is returned as a view of the
 * same memory when it is little-endian and 4-byte aligned, unless `copy`.
 * The caller has checked that the bytes are present.
 */
export function toFloat32(
  bytes: Uint8Array,
  byteOffset: number,
  count: number,
  dtype: DType,
  options: { bigEndian?: boolean; copy?: boolean } = {},
): Float32Array {
  const size = DTYPE_SIZE[dtype];
  const byteLength = count * size;
  let src = bytes.subarray(byteOffset, byteOffset + byteLength);
  if (options.bigEndian === true && size > 1) src = swapBytes(src, size);
  else if (src.byteOffset % size !== 0) src = Uint8Array.prototype.slice.call(src); // typed-array views need alignment (a copy even when src is a Buffer, whose slice() is a view)
  const buffer = src.buffer;
  const at = src.byteOffset;
  switch (dtype) {
    case 'float32': {
      const view = new Float32Array(buffer, at, count);
      const sharesInput = buffer === bytes.buffer; // not already copied for alignment or byte order
      return options.copy === true && sharesInput ? view.slice() : view;
    }
    case 'float64':
      return new Float32Array(new Float64Array(buffer, at, count));
    case 'int32':
      return new Float32Array(new Int32Array(buffer, at, count));
    case 'int16':
      return new Float32Array(new Int16Array(buffer, at, count));
    case 'int8':
      return new Float32Array(new Int8Array(buffer, at, count));
    case 'uint32':
      return new Float32Array(new Uint32Array(buffer, at, count));
    case 'uint16':
      return new Float32Array(new Uint16Array(buffer, at, count));
    case 'uint8':
      return new Float32Array(new Uint8Array(buffer, at, count));
    case 'bool': {
      const raw = new Uint8Array(buffer, at, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = raw[i] !== 0 ? 1 : 0;
      return out;
    }
    case 'int64':
    case 'uint64': {
      // Two 32-bit halves; their double is exact below 2^53, where storing it rounds once.
      const words = new Uint32Array(buffer, at, count * 2);
      const out = new Float32Array(count);
      const signed = dtype === 'int64';
      for (let i = 0; i < count; i++) {
        const lo = words[2 * i];
        const hi = signed ? words[2 * i + 1] | 0 : words[2 * i + 1];
        const value = hi * 4294967296 + lo;
        out[i] = Math.abs(value) < 2 ** 53 ? value : roundBigIntToFloat32((BigInt(hi) << 32n) + BigInt(lo));
      }
      return out;
    }
    case 'float16': {
      const table = float16Table();
      const halves = new Uint16Array(buffer, at, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[halves[i]];
      return out;
    }
    case 'bfloat16': {
      // bfloat16 is the top half of a float32: shift the bits into place.
      const halves = new Uint16Array(buffer, at, count);
      const words = new Uint32Array(count);
      for (let i = 0; i < count; i++) words[i] = halves[i] << 16;
      return new Float32Array(words.buffer);
    }
  }
}

/** A copy with each `size`-byte element reversed (big-endian → little-endian). */
function swapBytes(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += size) {
    for (let j = 0; j < size; j++) out[i + j] = src[i + size - 1 - j];
  }
  return out;
}

/** The bytes of a float32 array, without copying (little-endian host). */
export function float32Bytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** An integer rounded to float32 once: to 24 significant bits, ties to even (the result is exact as a double). */
export function roundBigIntToFloat32(value: bigint): number {
  const negative = value < 0n;
  let magnitude = negative ? -value : value;
  const bits = magnitude.toString(2).length;
  if (bits > 24) {
    const shift = BigInt(bits - 24);
    const kept = magnitude >> shift;
    const rest = magnitude - (kept << shift);
    const half = 1n << (shift - 1n);
    const roundUp = rest > half || (rest === half && (kept & 1n) === 1n);
    magnitude = (roundUp ? kept + 1n : kept) << shift;
  }
  const rounded = Number(magnitude);
  return negative ? -rounded : rounded;
}
