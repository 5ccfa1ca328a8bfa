/**
 * The torch objects a checkpoint pickle may build, before tensors are
 * materialized: storages (referenced through persistent ids) and tensor
 * recipes (storage + offset + size + stride). Recipes become Tensors once
 * the container (zip or legacy) has located the storage bytes.
 */
import type { DType } from '../dtypes.js';

/** A whole storage as saved: `numel` elements of `dtype`, found by `key`. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
  ) {}
}

/** What a persistent id resolves to: a storage, or (legacy format) a view into one. */
export class StorageSlice {
  constructor(
    readonly root: StorageRef,
    readonly offset: number,
    readonly numel: number,
  ) {}
}

/** torch._utils._rebuild_tensor_v2's arguments, kept until storages are readable. */
export class TensorRecipe {
  constructor(
    readonly storage: StorageSlice,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
  ) {}
}

/** A torch.*Storage class named by a GLOBAL; its dtype says how to read the bytes. */
export class StorageType {
  constructor(
    readonly qualifiedName: string,
    readonly dtype: DType,
  ) {}
}
