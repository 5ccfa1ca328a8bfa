/**
 * How Python objects from a checkpoint look in JavaScript, and the
 * intermediate forms the unpickler builds before they are final.
 *
 * Final (public) mapping, used by loadPth and accepted by savePth:
 * - torch tensor (any dtype)     → Tensor (float32)
 * - collections.OrderedDict      → Map (keys keep their Python types and order)
 * - dict with only str keys      → plain object; a dict with other keys, or with
 *   integer-like str keys ("0", "12": JS objects would reorder them) → Map
 * - list, tuple, set             → array
 * - int                          → number (bigint beyond 2^53), float → number
 * - str → string, bytes → Uint8Array, bool → boolean, None → null
 */
import type { Tensor } from '../../tensor/tensor.js';

export type PyValue = Tensor | PyValue[] | Map<PyValue, PyValue> | PyObject | number | bigint | string | boolean | null | Uint8Array;

export interface PyObject {
  [key: string]: PyValue;
}

/** A dict under construction: items arrive one SETITEM at a time. */
export class PyDict {
  readonly items = new Map<unknown, unknown>();
  constructor(readonly ordered: boolean) {}
}

/** A set under construction (EMPTY_SET + ADDITEMS); becomes an array. */
export class PySet {
  readonly items: unknown[] = [];
}

/** A Python tuple; becomes an array, but must stay distinguishable from a list while unpickling. */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/**
 * Something a GLOBAL opcode resolved to: a function to call (REDUCE/NEWOBJ),
 * a class used as a marker (torch.Tensor, storage types) or a constant.
 * Produced only by the loader's allow-list.
 */
export interface PyCallable {
  readonly qualifiedName: string;
  call?(args: readonly unknown[]): unknown;
  /** BUILD: applies pickled state to an object this callable produced. */
  build?(obj: unknown, state: unknown): unknown;
}

export function isPyCallable(v: unknown): v is PyCallable {
  return typeof v === 'object' && v !== null && 'qualifiedName' in v;
}

/** A short description of an intermediate value, for error messages. */
export function describePy(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PyTuple) return `tuple of ${v.items.length}`;
  if (Array.isArray(v)) return `list of ${v.length}`;
  if (v instanceof PyDict) return v.ordered ? 'OrderedDict' : 'dict';
  if (v instanceof PySet) return 'set';
  if (v instanceof Uint8Array) return 'bytes';
  if (isPyCallable(v)) return `'${v.qualifiedName}'`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v === 'string' ? 'str' : typeof v;
}
