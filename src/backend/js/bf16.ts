/**
 * Rounding to bfloat16 exactly as the CPUs' vcvtneps2bf16 does it: round to
 * nearest even on the upper 16 bits, denormal inputs to signed zero, NaN kept
 * (quiet). The result is returned as float32 values (the low 16 bits zero), so
 * float32 arithmetic on them is the reference for the bf16 kernels, whose
 * products of two bf16 values are exact in float32.
 */

const scratch = new Float32Array(1);
const bits = new Uint32Array(scratch.buffer);

/** The float32 value of x rounded to bfloat16. */
export function roundToBf16(x: number): number {
  scratch[0] = x;
  bits[0] = roundBits(bits[0]);
  return scratch[0];
}

function roundBits(u: number): number {
  if ((u & 0x7f800000) === 0) return (u & 0x80000000) >>> 0;
  if ((u & 0x7fffffff) >>> 0 > 0x7f800000) return ((u | 0x00400000) & 0xffff0000) >>> 0;
  return ((u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000) >>> 0;
}

/** A copy of `src` with every value rounded to bfloat16 (into `out` when given). */
export function roundArrayToBf16(src: Float32Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const o = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < u.length; i++) o[i] = roundBits(u[i]);
  return out;
}
