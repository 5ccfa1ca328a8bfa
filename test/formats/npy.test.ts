import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNpy, saveNpy } from '../../src/formats/npy.js';
import { FormatError } from '../../src/formats/errors.js';
import { ByteWriter } from '../../src/formats/byte-writer.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { EXPECTED, canonical, fixture, skipUnlessPython, runPython } from './helpers.js';

const NPY = Object.keys(EXPECTED).filter((n) => n.endsWith('.npy'));

/** A version-1.0 .npy from a header string and data. */
function npyWith(header: string, data = new Uint8Array(0)): Uint8Array {
  return new ByteWriter()
    .bytes(Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]))
    .u16(header.length)
    .text(header)
    .bytes(data)
    .toBytes();
}

test('numpy fixtures load exactly (all dtypes, byte orders, version 2) or fail as expected', () => {
  assert.ok(NPY.length >= 14);
  for (const name of NPY) {
    const expected = EXPECTED[name];
    if (expected.error !== undefined) {
      assert.throws(
        () => loadNpy(fixture(name), { source: name }),
        (e: Error) => e instanceof FormatError && e.message.startsWith(`${name}: `) && e.message.includes(expected.error!),
      );
    } else {
      assert.deepStrictEqual(canonical(loadNpy(fixture(name), { source: name })), expected.value, name);
    }
  }
});

test('save → load round trip; header padded to 64 bytes', () => {
  for (const t of [
    Tensor.from([
      [1, 2, 3],
      [4, 5, 6.5],
    ]),
    Tensor.scalar(-3),
    Tensor.from([42]),
    Tensor.zeros([2, 0, 3]),
  ]) {
    const bytes = saveNpy(t);
    const headerEnd = 10 + (bytes[8] | (bytes[9] << 8));
    assert.equal(headerEnd % 64, 0);
    const back = loadNpy(bytes);
    assert.deepStrictEqual(back.shape, t.shape);
    assert.deepStrictEqual([...back.data], [...t.data]);
  }
});

test('shapes beyond the data present are refused before allocating', () => {
  const cases: [Uint8Array, RegExp][] = [
    [
      npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }\n"),
      /shape \(1000000, 1000000\) of <f4 needs 4000000000000 bytes of data, the file has 0 \(truncated\?\)/,
    ],
    [npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", new Uint8Array(12)), /needs 8 bytes of data, the file has 12/],
    [npyWith("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }\n"), /unsupported dtype '<c8'/],
    [npyWith("{'descr': '<f4', 'shape': (2,), }\n"), /malformed \.npy header \(missing 'fortran_order'/],
    [npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n"), /invalid shape/],
    [npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2,"), /malformed \.npy header/],
    [npyWith('((((((((((((1))))))))))))'), /nesting too deep/],
    [fixture('f4.npy').subarray(0, 40), /truncated: npy header needs 118 bytes at offset 10/],
    [new TextEncoder().encode('not numpy'), /not a \.npy file/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(
      () => loadNpy(bytes, { source: 'bad.npy' }),
      (e: Error) => {
        assert.ok(e instanceof FormatError, e.message);
        assert.match(e.message, /^bad\.npy: /);
        assert.match(e.message, message);
        return true;
      },
    );
  }
});

test('numpy reads what saveNpy writes', { skip: skipUnlessPython('numpy') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-npy-'));
  try {
    const path = join(dir, 'a.npy');
    writeFileSync(
      path,
      saveNpy(
        Tensor.from([
          [0.5, -1, 2],
          [3, 4, 1e-3],
        ]),
      ),
    );
    const out = runPython('import sys, json, numpy as np; a = np.load(sys.argv[1]); print(json.dumps([str(a.dtype), list(a.shape), a.reshape(-1).tolist()]))', [
      path,
    ]);
    assert.deepStrictEqual(JSON.parse(out), ['float32', [2, 3], [0.5, -1, 2, 3, 4, Math.fround(1e-3)]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
