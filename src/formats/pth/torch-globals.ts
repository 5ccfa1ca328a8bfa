/**
 * The allow-list of Python globals a checkpoint may name, and what each one
 * builds. It mirrors torch.load(weights_only=True): tensor rebuild functions,
 * storage classes, OrderedDict, torch.Size, dtypes, devices, and the few
 * builtins protocol 2 uses for bytes and sets. Any other global is refused by
 * name before anything else happens.
 */
import type { DType } from '../dtypes.js';
import { fail, UnsafePickleError } from '../errors.js';
import { type PyCallable, PyDict, PySet, PyTuple, describePy, isPyCallable } from '../pickle/py-values.js';
import { StorageType, TensorRecipe, StorageSlice } from './torch-objects.js';

// A Map, not an object literal: a name from the file such as 'constructor' must not find an inherited property.
const STORAGE_DTYPES: ReadonlyMap<string, DType> = new Map([
  ['FloatStorage', 'float32'],
  ['DoubleStorage', 'float64'],
  ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ShortStorage', 'int16'],
  ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
  ['UntypedStorage', 'uint8'],
]);

const TORCH_DTYPES = new Set([
  'float32',
  'float',
  'float64',
  'double',
  'float16',
  'half',
  'bfloat16',
  'int64',
  'long',
  'int32',
  'int',
  'int16',
  'short',
  'int8',
  'uint8',
  'bool',
]);

/** Recognized torch features that have no float32 meaning here: named so the refusal explains itself. */
const UNSUPPORTED_TORCH: Readonly<Record<string, string>> = {
  'torch._utils._rebuild_qtensor': 'quantized tensors',
  'torch._utils._rebuild_sparse_tensor': 'sparse tensors',
  'torch._utils._rebuild_sparse_csr_tensor': 'sparse tensors',
  'torch._utils._rebuild_meta_tensor_no_storage': 'meta tensors (no data)',
  'torch._utils._rebuild_wrapper_subclass': 'tensor subclasses',
  'torch._utils._rebuild_device_tensor_from_numpy': 'tensors stored as numpy arrays',
  'torch.serialization._get_layout': 'sparse tensor layouts',
  'torch.ComplexFloatStorage': 'complex tensors',
  'torch.ComplexDoubleStorage': 'complex tensors',
  'torch.QInt8Storage': 'quantized tensors',
  'torch.QUInt8Storage': 'quantized tensors',
  'torch.QInt32Storage': 'quantized tensors',
};

/** Resolves GLOBAL opcodes for torch checkpoints; throws UnsafePickleError for anything not allowed. */
export function resolveTorchGlobal(source: string, module: string, name: string): unknown {
  const qualifiedName = `${module}.${name}`;
  const bad = (problem: string): never => fail(source, `${qualifiedName}: ${problem}`);
  const unsupported = UNSUPPORTED_TORCH[qualifiedName];
  if (unsupported !== undefined) fail(source, `${unsupported} are not supported ('${qualifiedName}'); save dense float tensors instead`);

  const storageDtype = module === 'torch' ? STORAGE_DTYPES.get(name) : undefined;
  if (storageDtype !== undefined) return new StorageType(qualifiedName, storageDtype);
  if (module === 'torch' && TORCH_DTYPES.has(name)) return name; // a dtype used as a value, e.g. in metadata
  const callable = (call: (args: readonly unknown[]) => unknown, build?: (obj: unknown, state: unknown) => unknown): PyCallable => ({
    qualifiedName,
    call,
    build,
  });
  const arg = (args: readonly unknown[], count: number | readonly number[]): void => {
    const counts = typeof count === 'number' ? [count] : count;
    if (!counts.includes(args.length)) bad(`expected ${counts.join(' or ')} arguments, got ${args.length}`);
  };

  switch (qualifiedName) {
    case 'collections.OrderedDict':
      return callable((args) => {
        arg(args, [0, 1]);
        const dict = new PyDict(true);
        if (args.length === 1) {
          const pairs = args[0] instanceof PyTuple ? args[0].items : args[0];
          if (!Array.isArray(pairs)) bad(`expects a list of pairs, got ${describePy(args[0])}`);
          for (const pair of pairs as unknown[]) {
            if (!(pair instanceof PyTuple) || pair.items.length !== 2) bad('expects (key, value) pairs');
            dict.items.set((pair as PyTuple).items[0], (pair as PyTuple).items[1]);
          }
        }
        return dict;
      });
    case 'torch._utils._rebuild_tensor_v2':
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      return callable((args) => {
        arg(args, [6, 7]);
        return tensorRecipe(bad, args);
      });
    case 'torch._utils._rebuild_tensor':
      return callable((args) => {
        arg(args, 4);
        return tensorRecipe(bad, args);
      });
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return callable((args) => {
        arg(args, qualifiedName.endsWith('_with_state') ? 4 : 3);
        return expectTensor(bad, args[0]);
      });
    case 'torch.nn.parameter.Parameter':
      return callable((args) => {
        arg(args, [1, 2]);
        return expectTensor(bad, args[0]);
      });
    case 'torch._tensor._rebuild_from_type_v2':
    case 'torch._tensor._rebuild_from_type':
      // (func, type, args, state): a tensor pickled through its subclass hook.
      return callable((args) => {
        arg(args, 4);
        const [func, type, inner] = args;
        if (!isPyCallable(type) || !['torch.Tensor', 'torch.nn.parameter.Parameter'].includes(type.qualifiedName)) {
          bad(`tensor subclass ${describePy(type)} is not supported`);
        }
        if (!isPyCallable(func) || func.call === undefined || !(inner instanceof PyTuple)) bad('malformed arguments');
        return expectTensor(bad, (func as PyCallable).call!((inner as PyTuple).items));
      });
    case 'torch.Tensor':
      return { qualifiedName };
    case 'torch.Size':
      return callable((args) => {
        arg(args, [0, 1]);
        const items = args.length === 0 ? [] : args[0] instanceof PyTuple ? args[0].items : args[0];
        if (!Array.isArray(items) || !items.every((d) => typeof d === 'number')) bad('expects a tuple of integers');
        return new PyTuple([...(items as number[])]);
      });
    case 'torch.device':
      return callable((args) => {
        arg(args, [1, 2]);
        if (typeof args[0] !== 'string' || (args.length === 2 && typeof args[1] !== 'number')) bad('expects (type[, index])');
        return args.length === 2 ? `${args[0]}:${args[1]}` : args[0];
      });
    case '_codecs.encode':
      // Protocol 2 writes bytes as _codecs.encode(text, 'latin1').
      return callable((args) => {
        arg(args, [1, 2]);
        return encodeText(bad, args[0], args[1] ?? 'utf-8');
      });
    case '__builtin__.bytearray':
    case 'builtins.bytearray':
    case '__builtin__.bytes':
    case 'builtins.bytes':
      return callable((args) => {
        arg(args, [0, 1, 2]);
        if (args.length === 0) return new Uint8Array(0);
        if (args[0] instanceof Uint8Array) return args[0].slice();
        return encodeText(bad, args[0], args[1] ?? 'utf-8');
      });
    case '__builtin__.set':
    case 'builtins.set':
    case '__builtin__.frozenset':
    case 'builtins.frozenset':
      return callable((args) => {
        arg(args, [0, 1]);
        const set = new PySet();
        const items = args.length === 0 ? [] : args[0] instanceof PyTuple ? args[0].items : args[0];
        if (!Array.isArray(items)) bad(`expects a list, got ${describePy(args[0])}`);
        for (const item of items as unknown[]) set.items.push(item);
        return set;
      });
  }
  throw new UnsafePickleError(source, qualifiedName);
}

/**
 * BUILD on objects torch checkpoints produce: an OrderedDict's attributes
 * (state_dict()._metadata, module versions) and a Parameter's Python state
 * carry nothing a float32 tensor needs, so they are dropped.
 */
export function buildTorchObject(source: string, obj: unknown, _state: unknown): unknown {
  if ((obj instanceof PyDict && obj.ordered) || obj instanceof TensorRecipe) return obj;
  return fail(source, `cannot apply pickled state to ${describePy(obj)}: only tensors and OrderedDicts take state`);
}

function tensorRecipe(bad: (problem: string) => never, args: readonly unknown[]): TensorRecipe {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageSlice)) bad(`expects a storage, got ${describePy(storage)}`);
  if (typeof offset !== 'number') bad(`storage offset must be an integer, got ${describePy(offset)}`);
  return new TensorRecipe(storage as StorageSlice, offset as number, intTuple(bad, size, 'size'), intTuple(bad, stride, 'stride'));
}

function intTuple(bad: (problem: string) => never, v: unknown, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : v;
  if (!Array.isArray(items) || !items.every((d) => typeof d === 'number')) bad(`${what} must be a tuple of integers, got ${describePy(v)}`);
  return items as number[];
}

function expectTensor(bad: (problem: string) => never, v: unknown): TensorRecipe {
  if (!(v instanceof TensorRecipe)) bad(`expects a tensor, got ${describePy(v)}`);
  return v as TensorRecipe;
}

function encodeText(bad: (problem: string) => never, text: unknown, encoding: unknown): Uint8Array {
  if (typeof text !== 'string') bad(`expects text, got ${describePy(text)}`);
  const s = text as string;
  const enc = String(encoding).toLowerCase().replace('_', '-');
  if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1') {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) bad('text is not latin-1');
      out[i] = c;
    }
    return out;
  }
  if (enc === 'utf-8' || enc === 'utf8' || enc === 'ascii') return new TextEncoder().encode(s);
  return bad(`unsupported encoding ${String(encoding)}`);
}
