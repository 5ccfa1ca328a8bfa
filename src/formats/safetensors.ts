/**
 * safetensors (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length N, N bytes of JSON
 *   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
 *    "__metadata__": {"key": "value"}}
 * then the raw little-endian tensor bytes (offsets relative to their start).
 *
 * Reading converts F64/F16/BF16/integer/BOOL tensors to float32 (F32 ones are
 * views of the input when aligned). Writing produces F32 only, with the
 * header padded to 8 bytes as the reference implementation does.
 */
import { Tensor } from '../tensor/tensor.js';
import { ByteReader } from './byte-reader.js';
import { concatBytes, utf8Bytes, ByteWriter } from './byte-writer.js';
import { assertLittleEndianHost, DTYPE_SIZE, float32Bytes, toFloat32, type DType } from './dtypes.js';
import { fail, withFormatContext } from './errors.js';
import { isPlainObject, type StateDict } from './state-dict.js';

// A Map, not an object literal: a dtype from the file such as "constructor" must not find an inherited property.
const SAFETENSORS_DTYPES: ReadonlyMap<string, DType> = new Map([
  ['F64', 'float64'],
  ['F32', 'float32'],
  ['F16', 'float16'],
  ['BF16', 'bfloat16'],
  ['I64', 'int64'],
  ['I32', 'int32'],
  ['I16', 'int16'],
  ['I8', 'int8'],
  ['U64', 'uint64'],
  ['U32', 'uint32'],
  ['U16', 'uint16'],
  ['U8', 'uint8'],
  ['BOOL', 'bool'],
]);

/** The reference implementation refuses headers over 100 MB; so do we, before decoding. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsContents {
  tensors: StateDict;
  /** The optional "__metadata__" string map. */
  metadata: Record<string, string>;
}

export function loadSafetensors(bytes: Uint8Array, options: { source?: string } = {}): SafetensorsContents {
  const source = options.source ?? '<safetensors bytes>';
  return withFormatContext(source, 'the safetensors file', () => {
    const r = new ByteReader(bytes, source);
    const headerLength = r.u64('safetensors header length');
    if (headerLength > MAX_HEADER_BYTES) fail(source, `safetensors header claims ${headerLength} bytes, more than the 100 MB limit (corrupt file?)`);
    const headerText = r.utf8(headerLength, 'safetensors JSON header');
    let header: unknown;
    try {
      header = JSON.parse(headerText);
    } catch (error) {
      fail(source, `safetensors header is not valid JSON (${(error as Error).message})`);
    }
    if (!isPlainObject(header)) fail(source, 'safetensors header must be a JSON object');
    const data = bytes.subarray(r.pos);
    const entries: TensorEntry[] = [];
    let metadata: Record<string, string> = {};
    for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') {
        metadata = readMetadata(source, info);
        continue;
      }
      entries.push(readEntry(source, name, info, data.length));
    }
    // In data order: JSON.parse puts number-like names ("10", "2") before the others, whatever the file's
    // order; the data is in the writer's order (ours: the state dict's).
    const ordered = checkLayout(source, entries, data.length);
    const tensors: StateDict = new Map();
    for (const e of ordered) tensors.set(e.name, new Tensor(toFloat32(data, e.begin, e.numel, e.dtype), e.shape));
    return { tensors, metadata };
  });
}

/** One tensor's header entry, checked on its own. */
interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  numel: number;
  begin: number;
  end: number;
}

/**
 * The tensors' byte ranges, in offset order, must tile the data exactly, as the reference implementation
 * requires: no overlap (two tensors sharing bytes), no gap, nothing after the last one.
 */
function checkLayout(source: string, entries: readonly TensorEntry[], dataLength: number): TensorEntry[] {
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of byOffset) {
    if (e.begin !== expected) {
      const what = e.begin < expected ? 'overlaps the tensor before it' : 'leaves a gap after the tensor before it';
      fail(source, `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] ${what} (expected it to start at byte ${expected})`);
    }
    expected = e.end;
  }
  if (expected !== dataLength) fail(source, `the tensors' data ends at byte ${expected} but the file has ${dataLength} bytes of data after its header`);
  return byOffset;
}

function readMetadata(source: string, info: unknown): Record<string, string> {
  if (!isPlainObject(info) || !Object.values(info).every((v) => typeof v === 'string')) {
    fail(source, 'safetensors "__metadata__" must map strings to strings');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(info as Record<string, string>))
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

function readEntry(source: string, name: string, info: unknown, dataLength: number): TensorEntry {
  const bad = (problem: string): never => fail(source, `tensor '${name}': ${problem}`);
  if (!isPlainObject(info)) return bad('header entry must be an object with dtype, shape and data_offsets');
  const { dtype: code, shape, data_offsets: offsets } = info as Record<string, unknown>;
  const dtype = typeof code === 'string' ? SAFETENSORS_DTYPES.get(code) : undefined;
  if (dtype === undefined) return bad(`unsupported dtype ${JSON.stringify(code)} (supported: ${[...SAFETENSORS_DTYPES.keys()].join(', ')})`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return bad(`invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    return bad(`invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  let numel = 1;
  for (const d of shape as number[]) numel *= d;
  const byteLength = numel * DTYPE_SIZE[dtype];
  if (!Number.isSafeInteger(byteLength) || end - begin !== byteLength) {
    return bad(`shape [${shape.join(', ')}] of ${code} needs ${byteLength} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  if (end > dataLength) return bad(`data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes): truncated file?`);
  return { name, dtype, shape: shape as number[], numel, begin, end };
}

/** The file as chunks (header plus views of tensor memory). Tensors are written as F32 in the map's order. */
export function saveSafetensorsChunks(tensors: StateDict | Readonly<Record<string, Tensor>>, metadata: Readonly<Record<string, string>> = {}): Uint8Array[] {
  assertLittleEndianHost('saveSafetensors');
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  // The JSON object written member by member, in the map's order: a plain object would put number-like names first.
  const members: string[] = [];
  if (Object.keys(metadata).length > 0) members.push(`"__metadata__":${JSON.stringify({ ...metadata })}`);
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new Error("saveSafetensors: '__metadata__' is reserved and cannot name a tensor");
    const size = t.data.length * 4;
    members.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + size] })}`);
    offset += size;
  }
  let json = `{${members.join(',')}}`;
  const jsonLength = utf8Bytes(json).length;
  json += ' '.repeat((8 - (jsonLength % 8)) % 8); // keeps tensor data 8-byte aligned
  const headerBytes = utf8Bytes(json);
  const chunks = [new ByteWriter().u64(headerBytes.length).bytes(headerBytes).toBytes()];
  for (const [, t] of entries) chunks.push(float32Bytes(t.data));
  return chunks;
}

export function saveSafetensors(tensors: StateDict | Readonly<Record<string, Tensor>>, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  return concatBytes(saveSafetensorsChunks(tensors, metadata));
}
