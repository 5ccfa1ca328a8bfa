/**
 * Hostile inputs found by an audit, each built here byte by byte: zip entries
 * that share bytes (each would be inflated or copied again), text that is not
 * valid UTF-8 (two keys must not merge into one), a .npy header whose
 * fortran_order is not a bool, and what the state-dict search says of a file
 * that holds None.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from '../../src/formats/zip/crc32.js';
import { ZipArchive } from '../../src/formats/zip/zip-reader.js';
import { concatBytes } from '../../src/formats/byte-writer.js';
import { unpickle } from '../../src/formats/pickle/unpickler.js';
import { refuseAll } from './helpers.js';
import type { PyDict } from '../../src/formats/pickle/py-values.js';
import { loadSafetensors } from '../../src/formats/safetensors.js';
import { loadNpy } from '../../src/formats/npy.js';
import { extractStateDict } from '../../src/formats/state-dict.js';
import { FormatError } from '../../src/formats/errors.js';

// ---- zip archives laid out by hand -------------------------------------------------------------------------------

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function le(values: readonly [number, 2 | 4][]): Uint8Array {
  const out = new Uint8Array(values.reduce((n, [, size]) => n + size, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [v, size] of values) {
    if (size === 2) view.setUint16(at, v, true);
    else view.setUint32(at, v, true);
    at += size;
  }
  return out;
}

interface Stored {
  name: string;
  data: Uint8Array;
}

/** A local header (30 bytes + name) followed by the data, stored uncompressed. */
function localRecord({ name, data }: Stored): Uint8Array {
  const fields = le([
    [0x04034b50, 4],
    [20, 2], // version needed
    [0, 2], // flags
    [0, 2], // method: stored
    [0, 4], // time, date
    [crc32(data), 4],
    [data.length, 4],
    [data.length, 4],
    [name.length, 2],
    [0, 2], // extra length
  ]);
  return concatBytes([fields, ascii(name), data]);
}

/** A central-directory entry (46 bytes + name) saying `name` is `size` stored bytes whose local header is at `offset`. */
function centralEntry(name: string, data: Uint8Array, offset: number, size = data.length): Uint8Array {
  const fields = le([
    [0x02014b50, 4],
    [20, 2], // version made by
    [20, 2], // version needed
    [0, 2], // flags
    [0, 2], // method: stored
    [0, 4], // time, date
    [crc32(data), 4],
    [size, 4],
    [size, 4],
    [name.length, 2],
    [0, 2], // extra length
    [0, 2], // comment length
    [0, 2], // disk
    [0, 2], // internal attributes
    [0, 4], // external attributes
    [offset, 4],
  ]);
  return concatBytes([fields, ascii(name)]);
}

/** The local records, then the given central entries, then the end record. */
function zipBytes(records: readonly Uint8Array[], central: readonly Uint8Array[]): Uint8Array {
  const body = concatBytes(records);
  const directory = concatBytes(central);
  const end = le([
    [0x06054b50, 4],
    [0, 2],
    [0, 2],
    [central.length, 2],
    [central.length, 2],
    [directory.length, 4],
    [body.length, 4],
    [0, 2], // comment length
  ]);
  return concatBytes([body, directory, end]);
}

const storage = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);

test('zip entries that all point at one local header are refused, naming two of them and the file', () => {
  const names = ['archive/data/0', 'archive/data/1', 'archive/data/2'];
  const zip = zipBytes(
    [localRecord({ name: names[0], data: storage })],
    names.map((name) => centralEntry(name, storage, 0)),
  );
  assert.throws(
    () => ZipArchive.parse(zip, 'shared.pth'),
    (error: unknown) =>
      error instanceof FormatError &&
      /^shared\.pth: corrupt zip: entry 'archive\/data\/0' \(offset 0 to 1044\) overlaps entry 'archive\/data\/1' at offset 0/.test(error.message) &&
      !error.message.includes('\n'),
  );
});

test("a zip entry whose data runs into the next entry's local header is refused", () => {
  const first = localRecord({ name: 'a', data: storage });
  const second = localRecord({ name: 'b', data: storage });
  // 'a' claims one byte more than it has: its range [0, 1032) reaches 'b''s header at 1031.
  const zip = zipBytes([first, second], [centralEntry('a', storage, 0, storage.length + 1), centralEntry('b', storage, first.length)]);
  assert.throws(() => ZipArchive.parse(zip, 'lap.zip'), /lap\.zip: corrupt zip: entry 'a' \(offset 0 to 1032\) overlaps entry 'b' at offset 1031/);
});

test('adjacent zip entries are accepted whatever the central directory order, and read back', () => {
  const other = storage.map((b) => 255 - b);
  const first = localRecord({ name: 'a', data: storage });
  const second = localRecord({ name: 'b', data: other });
  // The central directory lists 'b' first: the check sorts by offset, it does not assume the directory's order.
  const zip = ZipArchive.parse(zipBytes([first, second], [centralEntry('b', other, first.length), centralEntry('a', storage, 0)]), 'ok.zip');
  assert.deepStrictEqual([...zip.read(zip.get('a')!)], [...storage]);
  assert.deepStrictEqual([...zip.read(zip.get('b')!)], [...other]);
});

// ---- text that is not UTF-8 ---------------------------------------------------------------------------------------

/** A protocol-2 pickle of {key: None}, the key spelled by `keyOpcode` (its opcode byte, length and string bytes). */
function dictPickle(keyOpcode: readonly number[]): Uint8Array {
  const PROTO_2 = [0x80, 2];
  const EMPTY_DICT = 0x7d;
  const NONE = 0x4e;
  const SETITEM = 0x73;
  const STOP = 0x2e;
  return Uint8Array.from([...PROTO_2, EMPTY_DICT, ...keyOpcode, NONE, SETITEM, STOP]);
}

const unpickleKeys = (bytes: Uint8Array): unknown[] => [...(unpickle(bytes, 0, 'k.pkl', 'pickle', refuseAll).value as PyDict).items.keys()];

test('pickle strings that are not valid UTF-8 are refused with the opcode and offset, as Python refuses them', () => {
  const w = 0x77;
  const cases: [string, number[]][] = [
    ['BINUNICODE', [0x58, 2, 0, 0, 0, w, 0xff]],
    ['SHORT_BINUNICODE', [0x8c, 2, w, 0xfe]],
    ['SHORT_BINSTRING', [0x55, 2, w, 0xff]],
    ['BINSTRING', [0x54, 2, 0, 0, 0, w, 0xc3]], // a lead byte with no continuation
  ];
  for (const [opcode, key] of cases) {
    // PROTO (2 bytes), EMPTY_DICT, the opcode and its length field: the string starts after them.
    const lengthBytes = opcode.startsWith('SHORT') ? 1 : 4;
    const offset = 3 + 1 + lengthBytes;
    assert.throws(
      () => unpickle(dictPickle(key), 0, 'k.pkl', 'pickle', refuseAll),
      (error: unknown) => error instanceof FormatError && error.message === `k.pkl: pickle: ${opcode} string at offset ${offset} is not valid UTF-8`,
      opcode,
    );
  }
});

test('valid UTF-8 pickle strings read as Python reads them: multi-byte characters, and a leading BOM kept', () => {
  const u = [0xc3, 0xbc]; // ü
  const bom = [0xef, 0xbb, 0xbf];
  assert.deepStrictEqual(unpickleKeys(dictPickle([0x58, 3, 0, 0, 0, 0x77, ...u])), ['wü']);
  // Python's bytes.decode('utf-8') keeps U+FEFF; dropping it would make '\ufeffw' and 'w' the same key.
  assert.deepStrictEqual(unpickleKeys(dictPickle([0x8c, 4, ...bom, 0x77])), ['\ufeffw']);
});

/** A .safetensors of one float32 [1] tensor under a key given as raw bytes. */
function safetensorsWithKey(key: readonly number[]): Uint8Array {
  const header = concatBytes([ascii('{"'), Uint8Array.from(key), ascii('":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}')]);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setUint32(0, header.length, true);
  return concatBytes([length, header, new Uint8Array(4)]);
}

test('a safetensors header that is not valid UTF-8 is refused, as safetensors refuses it (InvalidHeader)', () => {
  assert.throws(
    () => loadSafetensors(safetensorsWithKey([0x77, 0xff]), { source: 'k.safetensors' }),
    (error: unknown) => {
      return error instanceof FormatError && error.message === 'k.safetensors: safetensors JSON header at offset 8 is not valid UTF-8';
    },
  );
  assert.deepStrictEqual([...loadSafetensors(safetensorsWithKey([0x77, 0xc3, 0xbc]), { source: 'ok.safetensors' }).tensors.keys()], ['wü']);
});

/** A .npy of one little-endian float32 (value 0) with the given header text bytes, padded as numpy pads it. */
function npy(version: 1 | 3, headerText: Uint8Array): Uint8Array {
  const prefix = 6 + 2 + (version === 1 ? 2 : 4);
  const padding = (64 - ((prefix + headerText.length + 1) % 64)) % 64;
  const header = concatBytes([headerText, ascii(`${' '.repeat(padding)}\n`)]);
  const lengthField = version === 1 ? le([[header.length, 2]]) : le([[header.length, 4]]);
  return concatBytes([Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]), lengthField, header, new Uint8Array(4)]);
}

test('a version 3 .npy header that is not valid UTF-8 is refused (numpy: UnicodeDecodeError)', () => {
  const header = concatBytes([ascii("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': '"), Uint8Array.from([0xff]), ascii("', }")]);
  assert.throws(
    () => loadNpy(npy(3, header), { source: 'bad.npy' }),
    (error: unknown) => {
      return error instanceof FormatError && error.message === 'bad.npy: npy header at offset 12 is not valid UTF-8';
    },
  );
  assert.deepStrictEqual(loadNpy(npy(3, ascii("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }")), { source: 'ok.npy' }).shape, [1]);
});

// ---- wording --------------------------------------------------------------------------------------------------------

test("a .npy whose fortran_order is the string 'False' is a malformed header, not a Fortran-ordered array", () => {
  const header = (order: string) => ascii(`{'descr': '<f4', 'fortran_order': ${order}, 'shape': (1,), }`);
  assert.throws(() => loadNpy(npy(1, header("'False'")), { source: 's.npy' }), /s\.npy: fortran_order in the \.npy header is not a valid bool: "False"$/);
  assert.throws(() => loadNpy(npy(1, header('0')), { source: 'z.npy' }), /z\.npy: fortran_order in the \.npy header is not a valid bool: 0$/);
  assert.throws(() => loadNpy(npy(1, header('True')), { source: 'f.npy' }), /f\.npy: Fortran-ordered arrays are not supported/);
  assert.deepStrictEqual(loadNpy(npy(1, header('False')), { source: 'c.npy' }).shape, [1]);
});

test('a file that holds no mapping says what it holds, with the right article', () => {
  const holds = (tree: unknown) => {
    try {
      extractStateDict(tree as never, { source: 'x.pth' });
    } catch (error) {
      return /; the file holds (.*)$/.exec((error as Error).message)?.[1];
    }
    return 'no error';
  };
  assert.equal(holds(null), 'None');
  assert.equal(holds([1, 2]), 'a list of 2');
  assert.equal(holds(7), 'the number 7');
  assert.equal(holds(true), 'True');
  assert.equal(holds('w'), 'a str');
  assert.equal(holds(Uint8Array.of(1)), 'bytes (1)');
});
