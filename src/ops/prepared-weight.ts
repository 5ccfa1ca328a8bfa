/**
 * Weights prepared once for inference and reused across calls: packed by the
 * backend into its kernel layout (fp32 or bf16), or rounded to bf16 where a
 * backend emulates bf16. An entry belongs to its weight tensor (a WeakMap:
 * it goes when the tensor does) and is rebuilt when the tensor's storage
 * or its version (tensor/version.ts), the backend or the form changes, so an in-place
 * change made through the library is never missed, whatever it touched.
 */
import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import type { Tensor } from '../tensor/tensor.js';

export interface Disposable {
  dispose(): void;
}

/** Which prepared copy: the backend's packing in a precision, or a bf16-rounded tensor. */
export type PreparedForm = 'packed-fp32' | 'packed-bf16' | 'rounded-bf16';

interface Entry {
  backend: Backend;
  form: PreparedForm;
  /** The storage it was prepared from and its version: Tensor.setStorage swaps the array, whose counter starts anew. */
  data: Float32Array;
  version: number;
  value: Disposable;
}

function isCurrent(e: Entry, weight: Tensor, backend: Backend): boolean {
  return e.backend === backend && e.data === weight.data && e.version === weight.version;
}

const prepared = new WeakMap<Tensor, Entry>();

/** Weights whose float32 values were discarded (discardFp32Values): the prepared copy is the only one left. */
const discarded = new WeakMap<Tensor, string>();

/** The prepared copy of `weight` in `form` for the current backend, from `make` when the cached one is stale. */
export function preparedWeight<P extends Disposable>(weight: Tensor, form: PreparedForm, make: () => P): P {
  const backend = getBackend();
  const e = prepared.get(weight);
  if (e !== undefined && e.form === form && isCurrent(e, weight, backend)) return e.value as P;
  const lost = discarded.get(weight);
  if (lost !== undefined) throw new Error(lost);
  releasePreparedWeight(weight);
  const value = make();
  prepared.set(weight, { backend, form, data: weight.data, version: weight.version, value });
  return value;
}

/**
 * Makes `weight`'s prepared copy in `form` its only one: `consume` prepares it
 * from values it may destroy (a backend's packLinearWeight with consume: it
 * zeroes the storage as it goes; the native backend gives those pages back to
 * the OS). The tensor keeps its shape and gets a fresh zero-filled storage
 * (which the OS maps only when written), so that it no longer holds the
 * consumed array: where the backend could not give that memory back (wasm
 * copies the values into its own memory), dropping the array is what frees it.
 * Every later attempt to prepare the weight for another backend or form, or
 * to free its prepared copy (train(), setPrecision()), throws `reason`.
 */
export function discardFp32Values<P extends Disposable>(weight: Tensor, form: PreparedForm, consume: () => P, reason: string): void {
  releasePreparedWeight(weight);
  const value = consume();
  weight.setStorage(new Float32Array(weight.data.length));
  prepared.set(weight, { backend: getBackend(), form, data: weight.data, version: weight.version, value });
  discarded.set(weight, reason);
}

/** Why `weight`'s float32 values are gone (discardFp32Values), or undefined while it has them. */
export function fp32ValuesDiscarded(weight: Tensor): string | undefined {
  return discarded.get(weight);
}

/** Frees the prepared copy of `weight` now (training mode does not use it); refused where it is the only copy left. */
export function releasePreparedWeight(weight: Tensor): void {
  const lost = discarded.get(weight);
  if (lost !== undefined) throw new Error(lost);
  prepared.get(weight)?.value.dispose();
  prepared.delete(weight);
}

/** `weight`'s prepared copy for the current backend while it is current, without making one. */
export function currentPreparedWeight(weight: Tensor): Disposable | undefined {
  const e = prepared.get(weight);
  return e !== undefined && isCurrent(e, weight, getBackend()) ? e.value : undefined;
}

/** Whether `weight` has a prepared copy (for tests). */
export function hasPreparedWeight(weight: Tensor): boolean {
  return prepared.has(weight);
}
