/**
 * Strided layouts as PyTorch saves them: a tensor is (storage, offset, size,
 * stride). Checkpoints may hold non-contiguous tensors (a transpose, a slice,
 * an expanded view); loading makes them contiguous, since a Tensor here is
 * always dense row-major.
 */

/** Row-major strides of a dense tensor. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d];
  }
  return strides;
}

/** Whether (shape, strides) is dense row-major; strides of size-1 dimensions do not matter. */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/**
 * Checks a strided view against its storage and returns its element count.
 * Throws a plain Error worded for the caller to prefix with file and tensor.
 */
export function checkStridedView(storageNumel: number, offset: number, shape: readonly number[], strides: readonly number[]): number {
  if (shape.length !== strides.length) throw new Error(`size has ${shape.length} dimensions but stride has ${strides.length}`);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`invalid storage offset ${offset}`);
  let numel = 1;
  let lastIndex = offset;
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    const s = strides[d];
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`invalid size [${shape.join(', ')}]`);
    if (!Number.isSafeInteger(s) || s < 0) throw new Error(`invalid stride [${strides.join(', ')}]`);
    numel *= n;
    if (n > 0) lastIndex += (n - 1) * s;
  }
  if (!Number.isSafeInteger(numel)) throw new Error(`size [${shape.join(', ')}] is too large`);
  if (numel > 0 && !(lastIndex < storageNumel)) {
    throw new Error(
      `size [${shape.join(', ')}] with stride [${strides.join(', ')}] at offset ${offset} reaches element ${lastIndex}, but the storage holds ${storageNumel}`,
    );
  }
  return numel;
}

/** Copies a strided view of `storage` into a new dense row-major array (already checked). */
export function gatherStrided(storage: Float32Array, offset: number, shape: readonly number[], strides: readonly number[], numel: number): Float32Array {
  const out = new Float32Array(numel);
  if (numel === 0) return out;
  const ndim = shape.length;
  if (ndim === 0) {
    out[0] = storage[offset];
    return out;
  }
  const inner = shape[ndim - 1];
  const innerStride = strides[ndim - 1];
  const index = new Array<number>(ndim).fill(0);
  let base = offset;
  for (let o = 0; o < numel; o += inner) {
    for (let i = 0, src = base; i < inner; i++, src += innerStride) out[o + i] = storage[src];
    // Advance the outer multi-index like an odometer.
    for (let d = ndim - 2; d >= 0; d--) {
      index[d]++;
      base += strides[d];
      if (index[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}
