/**
 * Turns tensor recipes into Tensors once storage bytes are located. float32
 * storages that are aligned become views of the file bytes (no copy, and
 * tensors sharing a storage share memory, as in torch); other dtypes are
 * converted once per storage; non-contiguous tensors are copied dense.
 *
 * Copies are budgeted: a malicious file could point many strided tensors at
 * one big storage (or use zero strides to expand a tiny one), so the total
 * copied elements are capped relative to the data actually in the file.
 */
import { Tensor } from '../../tensor/tensor.js';
import { toFloat32, DTYPE_SIZE } from '../dtypes.js';
import { fail } from '../errors.js';
import { toJsTree } from '../pickle/to-js.js';
import { describePy, type PyValue } from '../pickle/py-values.js';
import { checkStridedView, gatherStrided, isContiguous } from '../strided.js';
import { type StorageRef, StorageSlice, TensorRecipe } from './torch-objects.js';

/** The raw bytes of a whole storage (at least numel × element size), or a failure naming what is missing. */
export type StorageBytes = (ref: StorageRef) => Uint8Array;

export interface MaterializeOptions {
  /** Storage bytes are big-endian (torch >= 2.1 records this in the archive; default little). */
  bigEndian?: boolean;
  /** Upper bound on elements copied for non-contiguous tensors; default 2 × the file size in bytes + 16 Mi. */
  maxCopiedElements?: number;
}

/** `fileSize` (bytes) bounds the default copy budget: no file holds more elements than bytes. */
export function materializeTorchTree(root: unknown, source: string, fileSize: number, storageBytes: StorageBytes, options: MaterializeOptions = {}): PyValue {
  const maxCopied = options.maxCopiedElements ?? 2 * fileSize + 2 ** 24;
  let budget = maxCopied;
  const floats = new Map<StorageRef, Float32Array>();

  const storageFloats = (ref: StorageRef): Float32Array => {
    let data = floats.get(ref);
    if (data === undefined) {
      const bytes = storageBytes(ref);
      if (bytes.length < ref.numel * DTYPE_SIZE[ref.dtype]) {
        fail(
          source,
          `storage '${ref.key}' is truncated: ${ref.numel} ${ref.dtype} elements need ${ref.numel * DTYPE_SIZE[ref.dtype]} bytes, found ${bytes.length}`,
        );
      }
      data = toFloat32(bytes, 0, ref.numel, ref.dtype, { bigEndian: options.bigEndian });
      floats.set(ref, data);
    }
    return data;
  };

  const sliceFloats = (slice: StorageSlice): Float32Array => storageFloats(slice.root).subarray(slice.offset, slice.offset + slice.numel);

  const tensorFrom = (recipe: TensorRecipe, path: string): Tensor => {
    const where = `tensor '${path || '<top level>'}'`;
    let numel: number;
    try {
      numel = checkStridedView(recipe.storage.numel, recipe.offset, recipe.shape, recipe.strides);
    } catch (error) {
      return fail(source, `${where}: ${(error as Error).message}`);
    }
    if (numel === 0) return new Tensor(new Float32Array(0), recipe.shape);
    const storage = sliceFloats(recipe.storage);
    if (isContiguous(recipe.shape, recipe.strides)) {
      return new Tensor(storage.subarray(recipe.offset, recipe.offset + numel), recipe.shape);
    }
    budget -= numel;
    if (budget < 0) {
      fail(source, `${where}: copying non-contiguous tensors would need more than ${maxCopied} elements; the file's strides look corrupt`);
    }
    return new Tensor(gatherStrided(storage, recipe.offset, recipe.shape, recipe.strides, numel), recipe.shape);
  };

  return toJsTree(root, (obj, path) => {
    if (obj instanceof TensorRecipe) return tensorFrom(obj, path);
    // A bare storage saved on its own reads as a 1-D tensor of its elements.
    if (obj instanceof StorageSlice) return new Tensor(sliceFloats(obj), [obj.numel]);
    return fail(source, `unsupported value ${describePy(obj)} at '${path || '<top level>'}'`);
  });
}
