import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors } from '../../src/formats/safetensors.js';
import { FormatError } from '../../src/formats/errors.js';
import { ByteWriter } from '../../src/formats/byte-writer.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { EXPECTED, canonical, fixture, skipUnlessPython, runPython } from './helpers.js';

/** A safetensors file from a header object and data bytes (for malformed-header cases). */
function withHeader(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  return new ByteWriter().u64(json.length).bytes(json).bytes(data).toBytes();
}

test('the hand-written fixture loads with every dtype converted exactly', () => {
  const { tensors, metadata } = loadSafetensors(fixture('tensors.safetensors'), { source: 'tensors.safetensors' });
  assert.deepStrictEqual(canonical(tensors), EXPECTED['tensors.safetensors'].value);
  assert.deepStrictEqual(metadata, EXPECTED['tensors.safetensors'].metadata);
});

test('save → load round trip, F32 data 8-byte aligned and viewed in place', () => {
  const sd = new Map([
    [
      'a.weight',
      Tensor.from([
        [1, -2],
        [3.5, 4],
      ]),
    ],
    ['a.bias', Tensor.from([0.25])],
    ['s', Tensor.scalar(9)],
  ]);
  const bytes = saveSafetensors(sd, { framework: 'alexnet-ts' });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0);
  const back = loadSafetensors(bytes);
  assert.deepStrictEqual(canonical(back.tensors), canonical(sd));
  assert.deepStrictEqual(back.metadata, { framework: 'alexnet-ts' });
  assert.equal(back.tensors.get('a.weight')!.data.buffer, bytes.buffer, 'no copy');
});

test('sizes beyond the bytes present are refused before allocating', () => {
  const cases: [Uint8Array, RegExp][] = [
    [
      withHeader({ w: { dtype: 'F32', shape: [1_000_000, 1_000_000], data_offsets: [0, 4e12] } }),
      /tensor 'w': data_offsets \[0, 4000000000000\] run past the end of the data \(0 bytes\)/,
    ],
    [
      withHeader({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /tensor 'w': shape \[2, 2\] of F32 needs 16 bytes but data_offsets \[0, 8\] span 8/,
    ],
    [withHeader({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }), /tensor 'w': unsupported dtype "C64"/],
    [withHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }), /tensor 'w': invalid shape \[-1\]/],
    // Names of inherited object properties are not dtypes.
    [withHeader({ w: { dtype: 'constructor', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w': unsupported dtype "constructor"/],
    // The ranges must tile the data as the reference implementation requires: no shared bytes, no gaps, no tail.
    [
      withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
      /tensor 'b': data_offsets \[4, 8\] overlaps the tensor before it \(expected it to start at byte 8\)/,
    ],
    [
      withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)),
      /tensor 'b': data_offsets \[8, 12\] leaves a gap after the tensor before it \(expected it to start at byte 4\)/,
    ],
    [
      withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)),
      /the tensors' data ends at byte 4 but the file has 8 bytes of data after its header/,
    ],
    [withHeader({ __metadata__: { n: 1 } }), /"__metadata__" must map strings to strings/],
    [new ByteWriter().u64(1e12).toBytes(), /header claims 1000000000000 bytes, more than the 100 MB limit/],
    [new ByteWriter().u64(64).text('{"a":').toBytes(), /truncated: safetensors JSON header needs 64 bytes at offset 8, only 5 left/],
    [new ByteWriter().u64(3).text('{x}').toBytes(), /safetensors header is not valid JSON/],
    [new Uint8Array(3), /truncated: safetensors header length needs 8 bytes/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(
      () => loadSafetensors(bytes, { source: 'bad.safetensors' }),
      (e: Error) => {
        assert.ok(e instanceof FormatError, e.message);
        assert.match(e.message, /^bad\.safetensors: /);
        assert.match(e.message, message);
        return true;
      },
    );
  }
});

test('a Python reader following the spec reads what we write', { skip: skipUnlessPython('numpy') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-st-'));
  try {
    const path = join(dir, 'w.safetensors');
    writeFileSync(
      path,
      saveSafetensors(
        new Map([
          [
            'x',
            Tensor.from([
              [1.5, 2],
              [3, -4],
            ]),
          ],
          ['y', Tensor.from([7])],
        ]),
        { k: 'v' },
      ),
    );
    const out = runPython(
      `
import sys, json, struct, numpy as np
data = open(sys.argv[1], 'rb').read()
n, = struct.unpack('<Q', data[:8])
header = json.loads(data[8:8 + n])
body = data[8 + n:]
result = {k: v for k, v in header.items() if k == '__metadata__'}
for k, v in header.items():
    if k == '__metadata__': continue
    b, e = v['data_offsets']
    result[k] = [v['dtype'], v['shape'], np.frombuffer(body[b:e], dtype='<f4').tolist()]
assert len(body) == max(v['data_offsets'][1] for k, v in header.items() if k != '__metadata__')
print(json.dumps(result))
`,
      [path],
    );
    assert.deepStrictEqual(JSON.parse(out), { __metadata__: { k: 'v' }, x: ['F32', [2, 2], [1.5, 2, 3, -4]], y: ['F32', [1], [7]] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
