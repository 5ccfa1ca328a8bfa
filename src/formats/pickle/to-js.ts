/**
 * Turns the unpickler's intermediate objects into the public PyValue tree
 * (see py-values.ts for the mapping). Walks with an explicit work list, not
 * recursion, so absurdly deep nesting cannot overflow the call stack, and
 * keeps identity: an object referenced twice (or cyclically) in the pickle is
 * one object in the result.
 */
import { PyDict, PySet, PyTuple, type PyValue, type PyObject, describePy } from './py-values.js';

/** Converts objects the generic walker does not know (e.g. tensor recipes); `path` locates them in the tree. */
export type LeafConverter = (obj: object, path: string) => PyValue;

export function toJsTree(root: unknown, convertLeaf: LeafConverter): PyValue {
  const done = new Map<object, PyValue>();
  const work: (() => void)[] = [];

  const convert = (v: unknown, path: string): PyValue => {
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
    if (v instanceof Uint8Array) return v;
    if (typeof v !== 'object') throw new Error(`unsupported value of type ${typeof v} at ${path || 'the top level'}`);
    const seen = done.get(v);
    if (seen !== undefined) return seen;
    if (v instanceof PyTuple || Array.isArray(v) || v instanceof PySet) {
      const items: unknown[] = v instanceof PyTuple || v instanceof PySet ? v.items : v;
      const out: PyValue[] = [];
      done.set(v, out);
      work.push(() => {
        for (let i = 0; i < items.length; i++) out.push(convert(items[i], `${path}[${i}]`));
      });
      return out;
    }
    if (v instanceof PyDict) {
      // A JS object would move integer-like keys ("10", "2") to the front; keep the order with a Map then.
      const asObject = !v.ordered && [...v.items.keys()].every((k) => typeof k === 'string' && !/^(0|[1-9]\d*)$/.test(k));
      if (asObject) {
        const out: PyObject = {};
        done.set(v, out);
        work.push(() => {
          for (const [k, item] of v.items) {
            // defineProperty: a key such as "__proto__" must become data, not a prototype.
            Object.defineProperty(out, k as string, { value: convert(item, join(path, k)), enumerable: true, writable: true, configurable: true });
          }
        });
        return out;
      }
      const out = new Map<PyValue, PyValue>();
      done.set(v, out);
      work.push(() => {
        for (const [k, item] of v.items) out.set(convert(k, `${path}{key}`), convert(item, join(path, k)));
      });
      return out;
    }
    const leaf = convertLeaf(v, path);
    done.set(v, leaf);
    return leaf;
  };

  const result = convert(root, '');
  while (work.length > 0) work.pop()!();
  return result;
}

function join(path: string, key: unknown): string {
  const k = typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint' ? String(key) : describePy(key);
  return path === '' ? k : `${path}.${k}`;
}
