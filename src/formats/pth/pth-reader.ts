/**
 * Reads PyTorch checkpoints (torch.save output) from bytes, in both formats:
 *
 * - zip (torch >= 1.6): `<name>/data.pkl` holds the object pickle, tensors'
 *   storages are the entries `<name>/data/<key>`, stored uncompressed and
 *   64-byte aligned, so float32 tensors become views of the input bytes.
 * - legacy (torch < 1.6, or `_use_new_zipfile_serialization=False`): five
 *   pickles in a row (magic number, protocol version, sys_info, the object,
 *   the list of storage keys), then each storage as an int64 element count
 *   followed by its raw little-endian bytes.
 *
 * The result is the whole object tree (see PyValue): a state dict is a Map of
 * names to Tensors; a training checkpoint is e.g. an object with `state_dict`,
 * `epoch`... Every tensor is float32: float16/bfloat16/float64/integer/bool
 * storages are converted on load (int64 beyond 2^24 rounds, as .float()
 * would in torch).
 *
 * Memory: aligned float32 storages (always the case in torch's zip files)
 * are used in place, so tensors are views of `bytes` and tensors saved from
 * one storage share memory, as they do in torch. clone() a tensor to detach
 * it from the file buffer. Legacy files store data unaligned, so their
 * tensors are copies (peak about twice the file size).
 */
import { ByteReader } from '../byte-reader.js';
import { DTYPE_SIZE } from '../dtypes.js';
import { fail, FormatError, withFormatContext } from '../errors.js';
import { PyTuple, describePy, type PyValue } from '../pickle/py-values.js';
import { unpickle, type UnpickleHooks } from '../pickle/unpickler.js';
import { ZipArchive, type ZipEntry } from '../zip/zip-reader.js';
import { materializeTorchTree, type MaterializeOptions } from './materialize.js';
import { buildTorchObject, resolveTorchGlobal } from './torch-globals.js';
import { StorageRef, StorageSlice, StorageType } from './torch-objects.js';

export interface LoadPthOptions extends Omit<MaterializeOptions, 'bigEndian'> {
  /** The file name (or URL) used in error messages. */
  source?: string;
  /** Check the zip CRC-32 of every entry (default true; ~1.3 ms per MB). */
  verifyChecksums?: boolean;
}

export type PthContainer = 'zip' | 'legacy';

/** torch's legacy-format magic number and protocol version. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** Which torch.save format the bytes look like, or null. */
export function detectPthContainer(bytes: Uint8Array): PthContainer | null {
  // PK\3\4 (a local file header) or PK\5\6 (an empty archive's end record): all four bytes, since a safetensors
  // file whose header is 0x034B50 bytes long also opens with PK\3.
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6))) return 'zip';
  // Legacy files begin with the pickled magic number: PROTO n, LONG1 10 bytes; from protocol 4
  // (torch.save(..., pickle_protocol=4)) a FRAME opcode and its 8-byte length come between.
  if (bytes.length >= 4 && bytes[0] === 0x80) {
    const long1 = bytes[2] === 0x95 ? 11 : 2;
    if (bytes.length >= long1 + 2 && bytes[long1] === 0x8a && bytes[long1 + 1] === 0x0a) return 'legacy';
  }
  return null;
}

/** Parses a checkpoint into its object tree with Tensors inside. Throws FormatError naming the file. */
export function loadPth(bytes: Uint8Array, options: LoadPthOptions = {}): PyValue {
  const source = options.source ?? '<pth bytes>';
  return withFormatContext(source, 'the PyTorch checkpoint', () => {
    const container = detectPthContainer(bytes);
    if (container === 'zip') return loadZip(bytes, source, options);
    if (container === 'legacy') return loadLegacy(bytes, source, options);
    if (bytes.length >= 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') {
      fail(source, 'this is the tar-based checkpoint format of PyTorch < 0.4, which is not supported; load it with torch and save it again');
    }
    const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    return fail(
      source,
      `not a PyTorch checkpoint: expected a zip archive (torch >= 1.6) or a legacy pickle, but the file starts with ${head || 'nothing (empty file)'}`,
    );
  });
}

// ---- storages referenced by persistent ids ----------------------------------

/** One StorageRef per key, validated; shared by every tensor that uses it. */
class StorageTable {
  readonly refs = new Map<string, StorageRef>();
  constructor(private readonly source: string) {}

  /** persistent_load(('storage', StorageType, key, location, numel[, view_metadata])). */
  resolve(pid: unknown): StorageSlice {
    const bad = (problem: string): never => fail(this.source, `invalid storage reference: ${problem}`);
    if (!(pid instanceof PyTuple)) return bad(`expected a tuple, got ${describePy(pid)}`);
    const [kind, type, rawKey, location, numel, view] = pid.items;
    const typeName = kind instanceof Uint8Array ? new TextDecoder().decode(kind) : kind;
    if (typeName !== 'storage')
      return bad(
        `unknown persistent id type ${describePy(typeName)}${typeName === 'module' ? ' (a whole pickled nn.Module; save its state_dict() instead)' : ''}`,
      );
    if (pid.items.length !== 5 && pid.items.length !== 6) return bad(`expected 5 or 6 fields, got ${pid.items.length}`);
    if (!(type instanceof StorageType)) return bad(`expected a storage class, got ${describePy(type)}`);
    if (typeof rawKey !== 'string' && typeof rawKey !== 'number') return bad(`key must be a string, got ${describePy(rawKey)}`);
    if (typeof location !== 'string' && !(location instanceof Uint8Array)) return bad(`location must be a string, got ${describePy(location)}`);
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0)
      return bad(`element count must be a non-negative integer, got ${String(numel)}`);
    const key = String(rawKey);
    let ref = this.refs.get(key);
    if (ref === undefined) {
      ref = new StorageRef(key, type.dtype, numel);
      this.refs.set(key, ref);
    } else if (ref.dtype !== type.dtype || ref.numel !== numel) {
      return bad(`storage '${key}' is referenced as ${numel} ${type.dtype} and as ${ref.numel} ${ref.dtype}`);
    }
    if (view === undefined || view === null) return new StorageSlice(ref, 0, numel);
    // Legacy storage views: (view_key, offset, size) within the root storage.
    if (!(view instanceof PyTuple) || view.items.length !== 3) return bad('view metadata must be (key, offset, size)');
    const [, offset, size] = view.items;
    if (
      typeof offset !== 'number' ||
      typeof size !== 'number' ||
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(size) ||
      offset < 0 ||
      size < 0 ||
      offset + size > numel
    ) {
      return bad(`storage view (offset ${String(offset)}, size ${String(size)}) does not fit storage '${key}' of ${numel} elements`);
    }
    return new StorageSlice(ref, offset, size);
  }
}

function torchHooks(source: string, storages: StorageTable): UnpickleHooks {
  return {
    resolveGlobal: (module, name) => resolveTorchGlobal(source, module, name),
    persistentLoad: (pid) => storages.resolve(pid),
    build: (obj, state) => buildTorchObject(source, obj, state),
  };
}

/** For the small header pickles of the legacy format: plain values only. */
function plainHooks(source: string, label: string): UnpickleHooks {
  return {
    resolveGlobal: (module, name) => resolveTorchGlobal(source, module, name),
    persistentLoad: () => fail(source, `${label}: unexpected persistent id`),
    build: () => fail(source, `${label}: unexpected BUILD`),
  };
}

// ---- zip format ---------------------------------------------------------------

function findDataPickle(zip: ZipArchive, source: string): { entry: ZipEntry; prefix: string } {
  let best: { entry: ZipEntry; prefix: string } | null = null;
  for (const entry of zip.entries) {
    if (entry.name !== 'data.pkl' && !entry.name.endsWith('/data.pkl')) continue;
    const prefix = entry.name.slice(0, -'data.pkl'.length);
    if (best === null || prefix.length < best.prefix.length) best = { entry, prefix };
  }
  // Beside data.pkl (torch.save names the archive's folder after the file: a checkpoint saved as code.pth holds code/data.pkl).
  const prefix = best?.prefix ?? '';
  const torchScript = zip.entries.some((e) => e.name === `${prefix}constants.pkl` || e.name.startsWith(`${prefix}code/`));
  if (torchScript) {
    fail(
      source,
      'this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; in Python, load the model and torch.save(model.state_dict(), path)',
    );
  }
  if (best === null)
    fail(
      source,
      `zip archive has no data.pkl entry, so it is not a torch.save checkpoint (entries: ${
        zip.entries
          .slice(0, 5)
          .map((e) => e.name)
          .join(', ') || 'none'
      })`,
    );
  return best!;
}

function loadZip(bytes: Uint8Array, source: string, options: LoadPthOptions): PyValue {
  const zip = ZipArchive.parse(bytes, source);
  const verifyCrc = options.verifyChecksums !== false;
  const { entry, prefix } = findDataPickle(zip, source);
  const storages = new StorageTable(source);
  const { value } = unpickle(zip.read(entry, { verifyCrc }), 0, source, entry.name, torchHooks(source, storages));
  // torch >= 2.1 records the byte order of storages; older archives are little-endian.
  const byteorder = zip.get(`${prefix}byteorder`);
  const order = byteorder === undefined ? 'little' : new TextDecoder().decode(zip.read(byteorder, { verifyCrc })).trim();
  if (order !== 'little' && order !== 'big') fail(source, `unknown byte order '${order.slice(0, 20)}' in ${prefix}byteorder`);
  return materializeTorchTree(
    value,
    source,
    bytes.length,
    (ref) => {
      const name = `${prefix}data/${ref.key}`;
      const record = zip.get(name);
      if (record === undefined) return fail(source, `storage '${ref.key}' is missing: the archive has no entry '${name}'`);
      return zip.read(record, { verifyCrc });
    },
    { ...options, bigEndian: order === 'big' },
  );
}

// ---- legacy format --------------------------------------------------------------

function loadLegacy(bytes: Uint8Array, source: string, options: LoadPthOptions): PyValue {
  const magic = unpickle(bytes, 0, source, 'magic number', plainHooks(source, 'magic number'));
  if (magic.value !== LEGACY_MAGIC) fail(source, 'not a PyTorch checkpoint: the legacy-format magic number is wrong');
  const protocol = unpickle(bytes, magic.end, source, 'protocol version', plainHooks(source, 'protocol version'));
  if (protocol.value !== LEGACY_PROTOCOL) fail(source, `unsupported legacy checkpoint protocol ${String(protocol.value)} (expected ${LEGACY_PROTOCOL})`);
  const sysInfo = unpickle(bytes, protocol.end, source, 'sys_info', plainHooks(source, 'sys_info'));
  const storages = new StorageTable(source);
  const main = unpickle(bytes, sysInfo.end, source, 'object pickle', torchHooks(source, storages));
  const keyList = unpickle(bytes, main.end, source, 'storage key list', plainHooks(source, 'storage key list'));
  if (!Array.isArray(keyList.value) || !keyList.value.every((k) => typeof k === 'string')) {
    fail(source, `the storage key list is not a list of strings (got ${describePy(keyList.value)})`);
  }
  // Storages follow in key-list order, each as <int64 element count><raw bytes>; always little-endian.
  const r = new ByteReader(bytes, source, keyList.end);
  const data = new Map<StorageRef, Uint8Array>();
  for (const key of keyList.value as string[]) {
    const ref = storages.refs.get(key);
    if (ref === undefined) fail(source, `the storage key list names '${key}', which no tensor references`);
    const count = r.i64(`element count of storage '${key}'`);
    if (count !== ref!.numel) fail(source, `storage '${key}' holds ${count} elements, but the pickle says ${ref!.numel}`);
    data.set(ref!, r.take(count * DTYPE_SIZE[ref!.dtype], `data of storage '${key}' (${count} ${ref!.dtype})`));
  }
  return materializeTorchTree(
    main.value,
    source,
    bytes.length,
    (ref) => {
      const bytesOf = data.get(ref);
      if (bytesOf === undefined) throw new FormatError(source, `${source}: storage '${ref.key}' is referenced but has no data in the file`);
      return bytesOf;
    },
    options,
  );
}
