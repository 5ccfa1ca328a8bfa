/**
 * Recycled Float32Arrays for activations and gradients.
 *
 * A batch-32 AlexNet forward allocates about 75 MB of activations and a
 * training step several hundred MB of gradients; fresh memory of that size
 * costs a page fault per 4 KiB (about 10 ms per inference pass on the
 * machines measured), and the old arrays wait for the garbage collector.
 * Arrays come back from Sequential (intermediate activations: after the next
 * layer in inference, after their own backward node in training), from
 * autograd (used-up gradients) and from SGD.zeroGrad({ recycle: true });
 * Tensor.empty (kernel outputs) and Tensor.zeros take arrays of the same
 * length from here.
 *
 * Only code that owns an array outright may give it back: nothing else may
 * hold a reference to it (a tensor, a view, a hook).
 *
 * New arrays of LARGE_ARRAY_LENGTH floats or more (the fully connected
 * weights, batch activations) come from the current backend's allocateLarge
 * when it has one: the native backend puts them on 2 MiB pages, from which
 * batch-1 inference streamed the 151 MB fc6 weight 8% faster (measured A/B in
 * one process on Zen 4; a bare read loop: 24 → 33 GB/s).
 */
import { getBackend } from '../backend/registry.js';

/**
 * At most this many arrays of one length are kept. A batch-32 AlexNet training step has more than 4 arrays
 * of one length in flight at once (the saved activations, their gradients, the max pools' indices), and with
 * 4 it faulted in 2,000-5,000 fresh pages a step (on a Zen 5 VM, ~12 µs each); MAX_BYTES bounds the total.
 */
const MAX_PER_LENGTH = 16;
/** At most this many bytes in all. */
const MAX_BYTES = 512 * 1024 * 1024;
/**
 * Arrays smaller than this (16 KiB) are left to the allocator. Batch-1 activations are
 * 40-200 K floats; a fresh array of that size is mapped pages that fault on first write
 * (a 186 KB max-pool output cost more to allocate than to compute).
 */
const MIN_LENGTH = 4 * 1024;

/** 8 MiB: from here on, a backend's allocateLarge is asked for new arrays. */
export const LARGE_ARRAY_LENGTH = 2 * 1024 * 1024;

const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;

/** Gives an array that nothing else references back for reuse. */
export function recycleBuffer(data: Float32Array): void {
  if (data.length < MIN_LENGTH || data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) return;
  if (pooledBytes + data.byteLength > MAX_BYTES) return;
  const list = free.get(data.length) ?? [];
  if (list.length >= MAX_PER_LENGTH || list.some((d) => d.buffer === data.buffer)) return;
  list.push(data);
  free.set(data.length, list);
  pooledBytes += data.byteLength;
}

/**
 * An array of `length` floats whose contents are unspecified (recycled when
 * one is available): for a kernel's output, which every Backend kernel writes
 * in full. Saves the zero fill (about 10 GB/s on one thread: 15 ms for a
 * 151 MB weight gradient).
 */
export function takeBuffer(length: number): Float32Array {
  const list = length >= MIN_LENGTH ? free.get(length) : undefined;
  const data = list?.pop();
  if (data === undefined) return freshArray(length);
  pooledBytes -= data.byteLength;
  return data;
}

/** A zero-filled array of `length` floats, recycled when one is available. */
export function takeZeroedBuffer(length: number): Float32Array {
  const list = length >= MIN_LENGTH ? free.get(length) : undefined;
  const data = list?.pop();
  if (data === undefined) return freshArray(length);
  pooledBytes -= data.byteLength;
  return data.fill(0);
}

/** A new zero-filled array: large ones from the backend's allocator. */
export function freshArray(length: number): Float32Array {
  if (length >= LARGE_ARRAY_LENGTH) {
    const backend = getBackend();
    if (backend.allocateLarge !== undefined) return backend.allocateLarge(length);
  }
  return new Float32Array(length);
}

/** How many arrays (and bytes) the pool holds now. */
export function bufferPoolStats(): { arrays: number; bytes: number } {
  let arrays = 0;
  for (const list of free.values()) arrays += list.length;
  return { arrays, bytes: pooledBytes };
}

/** Drops every pooled array (tests; memory pressure). */
export function clearBufferPool(): void {
  free.clear();
  pooledBytes = 0;
}
