import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPth, detectPthContainer } from '../../src/formats/pth/pth-reader.js';
import { extractStateDict } from '../../src/formats/state-dict.js';
import { FormatError, UnsafePickleError } from '../../src/formats/errors.js';
import { savePth } from '../../src/formats/pth/pth-writer.js';
import { writeStoredZip } from '../../src/formats/zip/zip-writer.js';
import { concatBytes } from '../../src/formats/byte-writer.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { EXPECTED, canonical, fixture } from './helpers.js';

const PTH_FIXTURES = Object.keys(EXPECTED).filter((n) => n.endsWith('.pth') && EXPECTED[n].value !== undefined);

test('fixtures: every torch.save file loads to exactly the values torch saved', () => {
  assert.ok(PTH_FIXTURES.length >= 11, `expected the generated .pth fixtures, found ${PTH_FIXTURES.length}`);
  for (const name of PTH_FIXTURES) {
    const loaded = loadPth(fixture(name), { source: name });
    assert.deepStrictEqual(canonical(loaded), EXPECTED[name].value, name);
  }
});

test('both containers are detected', () => {
  assert.equal(detectPthContainer(fixture('zip_state_dict.pth')), 'zip');
  assert.equal(detectPthContainer(fixture('legacy_state_dict.pth')), 'legacy');
  assert.equal(detectPthContainer(fixture('f4.npy')), null);
});

test('zip float32 tensors are views of the file bytes (no copy); converted dtypes are not', () => {
  const bytes = fixture('zip_state_dict.pth');
  const sd = loadPth(bytes, { source: 'zip_state_dict.pth' }) as Map<string, Tensor>;
  const weight = sd.get('0.weight')!;
  assert.equal(weight.data.buffer, bytes.buffer);
  assert.equal(weight.data.byteOffset % 64, bytes.byteOffset % 64, 'torch aligns storages to 64 bytes');
  const count = sd.get('2.num_batches_tracked')!; // int64 buffer
  assert.notEqual(count.data.buffer, bytes.buffer);
  assert.deepStrictEqual([...count.data], [123]);
  assert.deepStrictEqual(count.shape, []);
});

test('shared storage: the same tensor is one object, views share memory', () => {
  for (const name of ['zip_shared.pth', 'legacy_shared.pth']) {
    const t = loadPth(fixture(name), { source: name }) as Map<string, Tensor>;
    assert.equal(t.get('base'), t.get('same'), `${name}: same tensor twice → same object`);
    if (name.startsWith('zip')) {
      assert.equal(t.get('tail')!.data.buffer, t.get('base')!.data.buffer);
      assert.equal(t.get('tail')!.data.byteOffset, t.get('base')!.data.byteOffset + 16, 'storage offset 4 → 16 bytes');
    }
    assert.deepStrictEqual([...t.get('middle_column')!.data], [0.5, 1.75]);
  }
});

test('a nested checkpoint exposes the whole tree and its state dict', () => {
  const tree = loadPth(fixture('zip_checkpoint.pth'), { source: 'zip_checkpoint.pth' }) as Record<string, unknown>;
  assert.equal(tree.epoch, 7);
  assert.equal(tree.arch, 'alexnet');
  assert.equal(tree.best_acc1, 0.5625);
  const optimizer = tree.optimizer as { state: Map<number, unknown> };
  assert.ok(optimizer.state instanceof Map);
  assert.deepStrictEqual([...optimizer.state.keys()], [0, 1], 'int keys stay ints');
  const sd = extractStateDict(tree as never, { source: 'zip_checkpoint.pth' });
  assert.deepStrictEqual(
    [...sd.keys()],
    ['0.weight', '0.bias', '2.weight', '2.bias', '2.running_mean', '2.running_var', '2.num_batches_tracked', '4.weight', '4.bias'],
  );
  const legacy = extractStateDict(loadPth(fixture('legacy_checkpoint_model.pth')), {});
  assert.deepStrictEqual(canonical(legacy), canonical(sd), "{'model': sd} in the legacy format gives the same weights");
  const direct = extractStateDict(loadPth(fixture('legacy_state_dict.pth')));
  assert.deepStrictEqual(canonical(direct), canonical(sd));
});

test('extractStateDict explains what it found when there is no state dict', () => {
  assert.throws(
    () => extractStateDict({ epoch: 3, arch: 'alexnet' }, { source: 'ckpt.pth' }),
    (e: Error) => e instanceof FormatError && /ckpt\.pth: no state dict found/.test(e.message) && /top-level keys: epoch, arch/.test(e.message),
  );
  assert.throws(() => extractStateDict({ model: new Map([['w', Tensor.zeros([1])]]) }, { source: 'c.pth', key: 'ema' }), /c\.pth: entry 'ema' does not exist/);
  const picked = extractStateDict({ model: new Map([['w', Tensor.zeros([1])]]), ema: new Map([['w', Tensor.ones([1])]]) }, { key: 'ema' });
  assert.equal(picked.get('w')!.data[0], 1);
});

test('malicious pickles are refused by the global they name, before anything else', () => {
  for (const name of Object.keys(EXPECTED).filter((n) => n.startsWith('malicious'))) {
    assert.throws(
      () => loadPth(fixture(name), { source: name }),
      (e: Error) => {
        assert.ok(e instanceof UnsafePickleError, `${name}: ${e.message}`);
        assert.ok(e.message.startsWith(EXPECTED[name].error!), e.message);
        assert.ok(e.message.endsWith(`from ${name}: only tensors and plain containers are allowed`), e.message);
        return true;
      },
    );
  }
});

test('truncated files fail with one message naming the file and the problem', () => {
  for (const name of ['zip_state_dict.pth', 'legacy_state_dict.pth']) {
    const bytes = fixture(name);
    for (const keep of [0, 1, 10, 100, Math.floor(bytes.length / 2), bytes.length - 1]) {
      assert.throws(
        () => loadPth(bytes.subarray(0, keep), { source: name }),
        (e: Error) => {
          assert.ok(e instanceof FormatError, `${name}[:${keep}] gave ${e.name}: ${e.message}`);
          assert.ok(e.message.includes(name), e.message);
          return true;
        },
      );
    }
  }
  assert.throws(() => loadPth(fixture('legacy_state_dict.pth').subarray(0, 1800), { source: 'l.pth' }), /l\.pth: truncated: data of storage/);
  assert.throws(() => loadPth(fixture('zip_state_dict.pth').subarray(0, 2000), { source: 'z.pth' }), /z\.pth: not a zip archive or truncated/);
});

test('a corrupted tensor byte is caught by the zip CRC', () => {
  const bytes = fixture('zip_state_dict.pth').slice();
  const sd = loadPth(bytes) as Map<string, Tensor>;
  const at = sd.get('0.weight')!.data.byteOffset + 5;
  bytes[at] ^= 0x10;
  assert.throws(() => loadPth(bytes, { source: 'flip.pth' }), /flip\.pth: zip entry 'zip_state_dict\/data\/0' is corrupt: CRC-32/);
  assert.doesNotThrow(() => loadPth(bytes, { verifyChecksums: false }));
});

test('a storage reference claiming 10^12 elements is refused before allocating', () => {
  // A real archive whose pickle says storage '0' has 10^12 elements, next to an 8-byte record.
  const file = concatBytes(
    writeStoredZip([
      { name: 'archive/data.pkl', data: hugeStoragePickle() },
      { name: 'archive/data/0', data: new Uint8Array(8) },
      { name: 'archive/version', data: new TextEncoder().encode('3\n') },
    ]),
  );
  assert.throws(
    () => loadPth(file, { source: 'huge.pth' }),
    /huge\.pth: storage '0' is truncated: 1000000000000 float32 elements need 4000000000000 bytes, found 8/,
  );
});

/** data.pkl of savePth({'w': 2-element tensor}) with the storage's element count replaced by 10^12. */
function hugeStoragePickle(): Uint8Array {
  const zip = savePth(new Map([['w', Tensor.from([1, 2])]]));
  const latin1 = new TextDecoder('latin1').decode(zip);
  const start = latin1.indexOf('\x80\x02'); // PROTO 2: the pickle is the first entry's data
  const end = latin1.indexOf('u.', start) + 2; // ... SETITEMS STOP
  const pickle = zip.subarray(start, end);
  const afterCpu = new TextDecoder('latin1').decode(pickle).indexOf('cpu') + 3;
  assert.deepStrictEqual([...pickle.subarray(afterCpu, afterCpu + 2)], [0x4b, 2]); // BININT1 2
  const tenToThe12 = [0x8a, 6, 0x00, 0x10, 0xa5, 0xd4, 0xe8, 0x00]; // LONG1, little-endian 0xe8d4a51000
  return concatBytes([pickle.subarray(0, afterCpu), Uint8Array.from(tenToThe12), pickle.subarray(afterCpu + 2)]);
}

test('strides that reach past the storage are refused', () => {
  const bytes = fixture('zip_noncontiguous.pth');
  assert.ok(loadPth(bytes));
  // Tell the loader its copy budget is tiny: a corrupt stride could otherwise expand a small storage.
  assert.throws(
    () => loadPth(bytes, { source: 'nc.pth', maxCopiedElements: 5 }),
    /nc\.pth: tensor '.*': copying non-contiguous tensors would need more than 5 elements/,
  );
});

test('non-checkpoints are named as such', () => {
  assert.throws(() => loadPth(new Uint8Array(0), { source: 'empty.pth' }), /empty\.pth: not a PyTorch checkpoint: .*empty file/);
  assert.throws(() => loadPth(fixture('f4.npy'), { source: 'x.pth' }), /x\.pth: not a PyTorch checkpoint: expected a zip archive .* starts with 93 4e 55 4d/);
  const script = concatBytes(
    writeStoredZip([
      { name: 'm/data.pkl', data: new Uint8Array([0x80, 0x02, 0x4e, 0x2e]) },
      { name: 'm/constants.pkl', data: new Uint8Array([0x80, 0x02, 0x29, 0x2e]) },
    ]),
  );
  assert.throws(() => loadPth(script, { source: 'jit.pt' }), /jit\.pt: this is a TorchScript archive/);
  const other = concatBytes(writeStoredZip([{ name: 'readme.txt', data: new Uint8Array(3) }]));
  assert.throws(() => loadPth(other, { source: 'o.zip' }), /o\.zip: zip archive has no data\.pkl entry/);
});
