/**
 * A state dict: parameter and buffer names (PyTorch's keys, e.g.
 * "features.0.weight") to float32 Tensors, in the order the model defines
 * them. Checkpoints often wrap one in a dict ({'state_dict': ..., 'epoch':
 * ...} or {'model': ...}); extractStateDict finds it.
 */
import { Tensor } from '../tensor/tensor.js';
import { fail } from './errors.js';
import type { PyValue } from './pickle/py-values.js';

export type StateDict = Map<string, Tensor>;

/** Keys under which training scripts commonly nest the model weights, in the order they are tried. */
export const STATE_DICT_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'network', 'weights', 'params', 'module'] as const;

/** The value as a StateDict if it is a non-empty mapping of string keys to Tensors, else null. */
export function asStateDict(value: unknown): StateDict | null {
  const entries = mappingEntries(value);
  if (entries === null || entries.length === 0) return null;
  const out: StateDict = new Map();
  for (const [k, v] of entries) {
    if (typeof k !== 'string' || !(v instanceof Tensor)) return null;
    out.set(k, v);
  }
  return out;
}

/**
 * Finds the state dict in a loaded checkpoint: the value itself, the entry
 * named `key` when given, or else the first of STATE_DICT_KEYS (one or two
 * levels deep, e.g. {'model': {'state_dict': ...}}) that holds one.
 */
export function extractStateDict(tree: PyValue, options: { source?: string; key?: string } = {}): StateDict {
  const source = options.source ?? '<checkpoint>';
  if (options.key !== undefined) {
    const entry = lookup(tree, options.key);
    const sd = asStateDict(entry);
    if (sd === null) fail(source, `entry '${options.key}' ${entry === undefined ? 'does not exist' : 'is not a mapping of names to tensors'}${keysHint(tree)}`);
    return sd!;
  }
  const direct = asStateDict(tree);
  if (direct !== null) return direct;
  for (const outer of STATE_DICT_KEYS) {
    const found = asStateDict(lookup(tree, outer));
    if (found !== null) return found;
    for (const inner of STATE_DICT_KEYS) {
      const nested = asStateDict(lookup(lookup(tree, outer), inner));
      if (nested !== null) return nested;
    }
  }
  return fail(
    source,
    `no state dict found: expected a mapping of parameter names to tensors, or one under ${STATE_DICT_KEYS.map((k) => `'${k}'`).join(', ')}${keysHint(tree)}`,
  );
}

function mappingEntries(value: unknown): [unknown, unknown][] | null {
  if (value instanceof Map) return [...value.entries()];
  if (isPlainObject(value)) return Object.entries(value);
  return null;
}

function lookup(value: unknown, key: string): unknown {
  if (value instanceof Map) return value.get(key);
  if (isPlainObject(value) && Object.hasOwn(value, key)) return (value as Record<string, unknown>)[key];
  return undefined;
}

function keysHint(tree: unknown): string {
  const entries = mappingEntries(tree);
  if (entries === null) return `; the file holds ${describeValue(tree)}`;
  const keys = entries.slice(0, 12).map(([k]) => String(k));
  return `; top-level keys: ${keys.join(', ')}${entries.length > 12 ? ', ...' : ''}`;
}

/** A loaded value that is not a mapping, in Python's words with its article: "None", "a single tensor", "a str". */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value instanceof Tensor) return 'a single tensor';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value instanceof Uint8Array) return `bytes (${value.length})`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${value}`;
  if (typeof value === 'string') return 'a str';
  return `an object of type ${(value as object).constructor?.name ?? 'object'}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
