/**
 * NumPy's .npy format (numpy.lib.format): the magic "\x93NUMPY", a version
 * (1.0: 2-byte header length; 2.0/3.0: 4-byte), a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 * padded with spaces and a newline, then the raw array data.
 *
 * Reading accepts float32, float64, float16, (u)int8-64 and bool in either
 * byte order and converts to float32; C order only. Writing produces '<f4'
 * version 1.0, the header padded to 64 bytes as numpy does.
 */
import { Tensor } from '../tensor/tensor.js';
import { ByteReader } from './byte-reader.js';
import { ByteWriter, concatBytes } from './byte-writer.js';
import { assertLittleEndianHost, DTYPE_SIZE, float32Bytes, toFloat32, type DType } from './dtypes.js';
import { fail, withFormatContext } from './errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const NPY_KINDS: Readonly<Record<string, DType>> = {
  f8: 'float64',
  f4: 'float32',
  f2: 'float16',
  i8: 'int64',
  i4: 'int32',
  i2: 'int16',
  i1: 'int8',
  u8: 'uint64',
  u4: 'uint32',
  u2: 'uint16',
  u1: 'uint8',
  b1: 'bool',
};

export function loadNpy(bytes: Uint8Array, options: { source?: string } = {}): Tensor {
  const source = options.source ?? '<npy bytes>';
  return withFormatContext(source, 'the .npy file', () => {
    const { dtype, bigEndian, shape, dataOffset, numel } = readLayout(bytes, source);
    return new Tensor(toFloat32(bytes, dataOffset, numel, dtype, { bigEndian }), shape);
  });
}

/** An array as the file stores it: its dtype, shape and little-endian element bytes (for consumers of other dtypes than float32). */
export interface RawNpy {
  dtype: DType;
  shape: number[];
  /** numel × the dtype's size bytes, little-endian (a big-endian file's elements are byte-swapped into a copy). */
  data: Uint8Array;
}

/** Reads a .npy without converting its values: an int64 index array stays int64. */
export function loadNpyRaw(bytes: Uint8Array, options: { source?: string } = {}): RawNpy {
  const source = options.source ?? '<npy bytes>';
  return withFormatContext(source, 'the .npy file', () => {
    const { dtype, bigEndian, shape, dataOffset, numel } = readLayout(bytes, source);
    const size = DTYPE_SIZE[dtype];
    const data = bytes.subarray(dataOffset, dataOffset + numel * size);
    return { dtype, shape, data: bigEndian && size > 1 ? swapElementBytes(data, size) : data };
  });
}

/** The header, checked: the data's dtype, byte order, shape and where its bytes start (exactly numel elements follow). */
function readLayout(bytes: Uint8Array, source: string): { dtype: DType; bigEndian: boolean; shape: number[]; dataOffset: number; numel: number } {
  const r = new ByteReader(bytes, source);
  const magic = r.take(Math.min(6, bytes.length), 'npy magic');
  if (magic.length < 6 || !MAGIC.every((b, i) => magic[i] === b)) fail(source, 'not a .npy file: missing the \\x93NUMPY magic');
  const major = r.u8('npy version');
  r.u8('npy version');
  if (major < 1 || major > 3) fail(source, `unsupported .npy version ${major}`);
  const headerLength = major === 1 ? r.u16('npy header length') : r.u32('npy header length');
  const headerText = major === 3 ? r.utf8(headerLength, 'npy header') : latin1(r.take(headerLength, 'npy header'));
  const header = parseHeader(source, headerText);
  const dtype = parseDescr(source, header.descr);
  // As numpy checks it: a non-bool (the string 'False') is a malformed header; True is a layout we do not read.
  if (typeof header.fortran_order !== 'boolean') fail(source, `fortran_order in the .npy header is not a valid bool: ${JSON.stringify(header.fortran_order)}`);
  if (header.fortran_order) {
    fail(source, 'Fortran-ordered arrays are not supported; save a C-ordered copy (numpy.ascontiguousarray) instead');
  }
  const shape = header.shape;
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    fail(source, `invalid shape in .npy header: ${String(header.shape)}`);
  }
  let numel = 1;
  for (const d of shape as number[]) numel *= d;
  // Checked against the file's length before anything is allocated: a header cannot ask for more than the file holds.
  const byteLength = numel * DTYPE_SIZE[dtype.dtype];
  if (!Number.isSafeInteger(byteLength) || byteLength !== r.remaining) {
    fail(
      source,
      `shape (${(shape as number[]).join(', ')}) of ${header.descr} needs ${byteLength} bytes of data, the file has ${r.remaining}${byteLength > r.remaining ? ' (truncated?)' : ''}`,
    );
  }
  return { dtype: dtype.dtype, bigEndian: dtype.bigEndian, shape: shape as number[], dataOffset: r.pos, numel };
}

/** A copy with each `size`-byte element reversed (big-endian → little-endian). */
function swapElementBytes(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += size) {
    for (let j = 0; j < size; j++) out[i + j] = src[i + size - 1 - j];
  }
  return out;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

function parseDescr(source: string, descr: unknown): { dtype: DType; bigEndian: boolean } {
  if (typeof descr !== 'string') fail(source, `unsupported dtype ${String(descr)} (structured or object arrays are not supported)`);
  const m = /^([<>|=]?)([a-z]\d+)$/.exec(descr as string);
  const dtype = m !== null ? NPY_KINDS[m[2]] : undefined;
  if (m === null || dtype === undefined) {
    fail(source, `unsupported dtype '${String(descr)}' (supported: float16/32/64, (u)int8-64, bool)`);
  }
  return { dtype: dtype!, bigEndian: m![1] === '>' };
}

// ---- the header: a small Python literal --------------------------------------

type Literal = string | number | boolean | null | Literal[] | { [key: string]: Literal };

/** Parses the header dict literal (strings, ints, True/False/None, tuples, lists, dicts). */
function parseHeader(source: string, text: string): Record<string, Literal> {
  let i = 0;
  const bad = (problem: string): never => fail(source, `malformed .npy header (${problem} at character ${i}): ${JSON.stringify(text.slice(0, 120))}`);
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const expect = (c: string): void => {
    skipSpace();
    if (text[i] !== c) bad(`expected '${c}'`);
    i++;
  };
  let depth = 0;
  const value = (): Literal => {
    skipSpace();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) bad('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === '(' || c === '[' || c === '{') {
      if (++depth > 8) bad('nesting too deep');
      const close = c === '(' ? ')' : c === '[' ? ']' : '}';
      i++;
      const items: Literal[] = [];
      const dict: { [key: string]: Literal } = {};
      for (;;) {
        skipSpace();
        if (text[i] === close) {
          i++;
          break;
        }
        const item = value();
        if (c === '{') {
          if (typeof item !== 'string') bad('dict keys must be strings');
          expect(':');
          Object.defineProperty(dict, item as string, { value: value(), enumerable: true, writable: true, configurable: true });
        } else {
          items.push(item);
        }
        skipSpace();
        if (text[i] === ',') i++;
        else if (text[i] !== close) bad(`expected ',' or '${close}'`);
      }
      depth--;
      return c === '{' ? dict : items;
    }
    const m = /^(True|False|None|-?\d+)L?/.exec(text.slice(i, i + 24));
    if (m === null) return bad('unexpected token');
    i += m[0].length;
    return m[1] === 'True' ? true : m[1] === 'False' ? false : m[1] === 'None' ? null : Number(m[1]);
  };
  const header = value();
  skipSpace();
  if (i !== text.length) bad('trailing characters');
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return bad('the header is not a dict');
  for (const key of ['descr', 'fortran_order', 'shape']) if (!(key in header)) bad(`missing '${key}'`);
  return header as Record<string, Literal>;
}

// ---- writing -------------------------------------------------------------------

export function saveNpyChunks(tensor: Tensor): Uint8Array[] {
  assertLittleEndianHost('saveNpy');
  const shape = tensor.shape.length === 1 ? `(${tensor.shape[0]},)` : `(${tensor.shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  // magic(6) + version(2) + length(2) + header + '\n' must be a multiple of 64.
  const unpadded = 10 + header.length + 1;
  header += `${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  if (header.length > 0xffff) throw new Error(`saveNpy: shape ${shape} makes the header too long`);
  const head = new ByteWriter().bytes(Uint8Array.from(MAGIC)).u8(1).u8(0).u16(header.length).text(header).toBytes();
  return [head, float32Bytes(tensor.data)];
}

export function saveNpy(tensor: Tensor): Uint8Array {
  return concatBytes(saveNpyChunks(tensor));
}
