/**
 * Version counters of tensor storage, as PyTorch keeps them: every in-place
 * change made through the library (an optimizer step, loadStateDict, the
 * init functions, Tensor.markChanged) bumps the counter of the storage it
 * wrote, and caches of derived data (weights packed for inference) compare
 * it instead of the data. The counter belongs to the ArrayBuffer, so views of
 * one storage (reshape, detach) share it.
 *
 * Writes straight into `tensor.data` are invisible here: call
 * `tensor.markChanged()` after them.
 */
const versions = new WeakMap<ArrayBufferLike, number>();

/** The storage's version: 0 until its first recorded change. */
export function storageVersion(data: Float32Array): number {
  return versions.get(data.buffer) ?? 0;
}

/** Records an in-place change of the storage. */
export function bumpStorageVersion(data: Float32Array): void {
  versions.set(data.buffer, (versions.get(data.buffer) ?? 0) + 1);
}
