/**
 * Writes checkpoints in torch's zip format (what torch.save produces since
 * 1.6), readable by torch.load and by loadPth. The value is a plain tree:
 *
 * - Tensor            → torch.FloatTensor (float32, contiguous, requires_grad=False)
 * - Map               → collections.OrderedDict (keys keep their types: a
 *                        number key stays an int, as optimizer states need)
 * - plain object      → dict with str keys
 * - array             → list
 * - integer number    → int; other numbers → float; bigint → int
 * - string → str, boolean → bool, null/undefined → None, Uint8Array → bytes
 *
 * Tensors that share a data array are written once and share storage when
 * loaded; an object reachable twice is one object in Python.
 */
import { Tensor } from '../../tensor/tensor.js';
import { concatBytes } from '../byte-writer.js';
import { assertLittleEndianHost, float32Bytes } from '../dtypes.js';
import { PickleWriter } from '../pickle/pickle-writer.js';
import { isPlainObject } from '../state-dict.js';
import { contiguousStrides } from '../strided.js';
import { writeStoredZip, type ZipInput } from '../zip/zip-writer.js';

/** What savePth accepts (a superset of what loadPth returns). */
export type PthValue =
  | Tensor
  | readonly PthValue[]
  | ReadonlyMap<PthValue, PthValue>
  | { readonly [key: string]: PthValue }
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array;

export interface SavePthOptions {
  /** The top-level folder inside the zip; torch uses the file's base name, any name loads. Default 'archive'. */
  archiveName?: string;
}

/** The file as chunks (headers plus views of tensor memory), to write without one big copy. */
export function savePthChunks(value: PthValue, options: SavePthOptions = {}): Uint8Array[] {
  assertLittleEndianHost('savePth');
  const archive = options.archiveName ?? 'archive';
  if (!/^[A-Za-z0-9_.-]+$/.test(archive)) throw new Error(`savePth: archive name '${archive}' must be a plain file name`);
  const storages = new Map<Float32Array, string>();
  const p = new PickleWriter().proto();
  writeValue(p, value, '', storages);
  const pickle = p.stop();
  const entries: ZipInput[] = [{ name: `${archive}/data.pkl`, data: pickle }];
  // torch lists storages sorted by key as strings ('0', '1', '10', ...).
  const byKey = [...storages.entries()].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  for (const [data, key] of byKey) entries.push({ name: `${archive}/data/${key}`, data: float32Bytes(data) });
  entries.push({ name: `${archive}/version`, data: new TextEncoder().encode('3\n') });
  return writeStoredZip(entries);
}

/** The whole file as one array. */
export function savePth(value: PthValue, options: SavePthOptions = {}): Uint8Array {
  return concatBytes(savePthChunks(value, options));
}

function writeValue(p: PickleWriter, v: PthValue, path: string, storages: Map<Float32Array, string>): void {
  const where = path === '' ? 'the top level' : `'${path}'`;
  if (v === null || v === undefined) {
    p.none();
    return;
  }
  switch (typeof v) {
    case 'boolean':
      p.bool(v);
      return;
    case 'string':
      p.string(v);
      return;
    case 'bigint':
      p.int(v);
      return;
    case 'number':
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) p.int(v);
      else p.float(v);
      return;
  }
  if (typeof v !== 'object') throw new Error(`savePth: cannot store a ${typeof v} at ${where}`);
  if (p.get(v)) return; // already written: refer to it
  if (v instanceof Tensor) {
    writeTensor(p, v, storages);
    return;
  }
  if (v instanceof Uint8Array) {
    writeBytes(p, v);
    return;
  }
  if (Array.isArray(v)) {
    p.emptyList().put(v);
    writeBatched(
      p,
      v.length,
      (i) => writeValue(p, v[i], `${path}[${i}]`, storages),
      () => p.appends(),
    );
    return;
  }
  if (v instanceof Map) {
    p.global('collections', 'OrderedDict').emptyTuple().reduce().put(v);
    const entries = [...v.entries()];
    writeBatched(
      p,
      entries.length,
      (i) => {
        const [key, item] = entries[i];
        if (!(key === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof key))) {
          throw new Error(`savePth: Map keys must be strings, numbers or booleans; found a ${describe(key)} at ${where}`);
        }
        writeValue(p, key, path, storages);
        writeValue(p, item, join(path, String(key)), storages);
      },
      () => p.setitems(),
    );
    return;
  }
  if (isPlainObject(v)) {
    p.emptyDict().put(v);
    const entries = Object.entries(v);
    writeBatched(
      p,
      entries.length,
      (i) => {
        p.string(entries[i][0]);
        writeValue(p, entries[i][1] as PthValue, join(path, entries[i][0]), storages);
      },
      () => p.setitems(),
    );
    return;
  }
  throw new Error(`savePth: cannot store a ${describe(v)} at ${where}; use Tensor, Map, plain objects, arrays, numbers, strings, booleans, null or Uint8Array`);
}

/** Items go in MARK ... APPENDS/SETITEMS groups of 1000, as Python's pickler does. */
function writeBatched(p: PickleWriter, count: number, writeItem: (i: number) => void, close: () => void): void {
  for (let start = 0; start < count; start += 1000) {
    p.mark();
    for (let i = start; i < Math.min(count, start + 1000); i++) writeItem(i);
    close();
  }
}

/** torch._utils._rebuild_tensor_v2(persistent storage, 0, size, stride, False, OrderedDict()). */
function writeTensor(p: PickleWriter, t: Tensor, storages: Map<Float32Array, string>): void {
  let key = storages.get(t.data);
  if (key === undefined) {
    key = String(storages.size);
    storages.set(t.data, key);
  }
  p.global('torch._utils', '_rebuild_tensor_v2');
  p.mark();
  p.mark().string('storage').global('torch', 'FloatStorage').string(key).string('cpu').int(t.data.length).tuple(5);
  p.binpersid();
  p.int(0);
  writeIntTuple(p, t.shape);
  writeIntTuple(p, contiguousStrides(t.shape));
  p.bool(false);
  p.global('collections', 'OrderedDict').emptyTuple().reduce();
  p.tuple(6);
  p.reduce().put(t);
}

function writeIntTuple(p: PickleWriter, values: readonly number[]): void {
  if (values.length > 3) p.mark();
  for (const v of values) p.int(v);
  p.tuple(values.length);
}

/** Protocol 2 has no bytes opcode: Python itself writes _codecs.encode(latin-1 text, 'latin1'). */
function writeBytes(p: PickleWriter, b: Uint8Array): void {
  let text = '';
  for (let i = 0; i < b.length; i += 8192) text += String.fromCharCode(...b.subarray(i, i + 8192));
  p.global('_codecs', 'encode').string(text).string('latin1').tuple(2).reduce().put(b);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describe(v: unknown): string {
  if (typeof v !== 'object' || v === null) return typeof v;
  return (v as object).constructor?.name ?? 'object';
}
