import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/node/fs/atomic-write.js';
import {
  loadNpyFile,
  loadPthFile,
  loadSafetensorsFile,
  readStateDictFile,
  saveNpyFile,
  savePthFile,
  saveSafetensorsFile,
} from '../../src/node/weights/weight-files.js';
import { FormatError } from '../../src/formats/errors.js';
import { detectWeightsFormat, readStateDict, savePth, saveSafetensors } from '../../src/formats/index.js';
import { concatBytes } from '../../src/formats/byte-writer.js';
import { writeStoredZip } from '../../src/formats/zip/zip-writer.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { getBackend, referenceBackend, setBackend } from '../../src/backend/registry.js';
import { nativeBackend } from '../../src/node/native/load.js';
import { canonical, FIXTURES, withTempDir } from './helpers.js';

test(
  'writeFileAtomic writes strings, bytes and chunk lists, replacing the old file and leaving no temp',
  withTempDir('alexnet-files-', async (dir) => {
    const path = join(dir, 'out.bin');
    await writeFileAtomic(path, 'first');
    assert.equal(readFileSync(path, 'utf8'), 'first');
    await writeFileAtomic(path, [Uint8Array.from([65, 66]), new Uint8Array(0), Uint8Array.from([67])]);
    assert.equal(readFileSync(path, 'utf8'), 'ABC');
    await writeFileAtomic(path, new TextEncoder().encode('third'));
    assert.equal(readFileSync(path, 'utf8'), 'third');
    assert.deepStrictEqual(readdirSync(dir), ['out.bin']);
  }),
);

test(
  "writeFileAtomic keeps a replaced file's permission bits, and a symbolic link stays a link to the new contents",
  withTempDir('alexnet-files-', async (dir) => {
    const path = join(dir, 'private.pth');
    writeFileSync(path, 'old');
    chmodSync(path, 0o600);
    await writeFileAtomic(path, 'new');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    mkdirSync(join(dir, 'store'));
    writeFileSync(join(dir, 'store', 'real.pth'), 'old');
    symlinkSync(join(dir, 'store', 'real.pth'), join(dir, 'link.pth'));
    await writeFileAtomic(join(dir, 'link.pth'), 'through the link');
    assert.ok(lstatSync(join(dir, 'link.pth')).isSymbolicLink());
    assert.equal(readFileSync(join(dir, 'store', 'real.pth'), 'utf8'), 'through the link');
    assert.deepStrictEqual(readdirSync(join(dir, 'store')), ['real.pth'], 'no temporary left beside the target');
  }),
);

test(
  'writeFileAtomic failures name the path and leave nothing behind',
  withTempDir('alexnet-files-', async (dir) => {
    await assert.rejects(writeFileAtomic(join(dir, 'missing', 'x.bin'), 'data'), /cannot write .*missing\/x\.bin: ENOENT/);
    if (process.getuid?.() !== 0) {
      // root ignores directory permissions
      chmodSync(dir, 0o500);
      await assert.rejects(writeFileAtomic(join(dir, 'x.bin'), 'data'), /cannot write .*x\.bin: EACCES/);
      chmodSync(dir, 0o700);
    }
    assert.deepStrictEqual(readdirSync(dir), []);
  }),
);

test(
  'save*File / load*File round trips and content-based format detection',
  withTempDir('alexnet-files-', async (dir) => {
    const sd = new Map([
      [
        'a.weight',
        Tensor.from([
          [1, 2],
          [3, 4],
        ]),
      ],
      ['a.bias', Tensor.from([-1, 1])],
    ]);
    await savePthFile(join(dir, 'ckpt.pth'), { model: sd, epoch: 4 });
    await saveSafetensorsFile(join(dir, 'w.safetensors'), sd, { source: 'test' });
    await saveNpyFile(join(dir, 'a.npy'), sd.get('a.weight')!);
    assert.equal(((await loadPthFile(join(dir, 'ckpt.pth'))) as { epoch: number }).epoch, 4);
    assert.deepStrictEqual(canonical(await readStateDictFile(join(dir, 'ckpt.pth'))), canonical(sd));
    // Detection is by content: a safetensors file with a .pth name still loads.
    writeFileSync(join(dir, 'misnamed.pth'), readFileSync(join(dir, 'w.safetensors')));
    assert.deepStrictEqual(canonical(await readStateDictFile(join(dir, 'misnamed.pth'))), canonical(sd));
    assert.deepStrictEqual((await loadSafetensorsFile(join(dir, 'w.safetensors'))).metadata, { source: 'test' });
    assert.deepStrictEqual(canonical(await loadNpyFile(join(dir, 'a.npy'))), canonical(sd.get('a.weight')));
    assert.deepStrictEqual(
      canonical(await readStateDictFile(join(FIXTURES, 'legacy_checkpoint_model.pth'))),
      canonical(await readStateDictFile(join(FIXTURES, 'zip_state_dict.pth'))),
    );
  }),
);

test(
  'file errors name the path',
  withTempDir('alexnet-files-', async (dir) => {
    await assert.rejects(
      readStateDictFile(join(dir, 'absent.pth')),
      (e: Error) => e instanceof FormatError && /cannot read .*absent\.pth: no such file/.test(e.message),
    );
    await assert.rejects(readStateDictFile(dir), /cannot read .*: it is a directory/);
    writeFileSync(join(dir, 'junk.pth'), 'hello');
    await assert.rejects(readStateDictFile(join(dir, 'junk.pth')), /junk\.pth: unrecognized weights file/);
    await assert.rejects(readStateDictFile(join(FIXTURES, 'f4.npy')), /f4\.npy: a \.npy file holds a single array/);
    await assert.rejects(readStateDictFile(join(FIXTURES, 'malicious_os_system.pth')), /refusing to load global 'os\.system' from .*malicious_os_system\.pth/);
  }),
);

test(
  'a large weights file is read whole into one array (on every backend), and its float32 tensors are views of it',
  withTempDir('alexnet-files-', async (dir) => {
    const big = Tensor.from(
      Float32Array.from({ length: 3 * 1024 * 1024 + 5 }, (_, i) => Math.sin(i)),
      [3 * 1024 * 1024 + 5],
    );
    const small = Tensor.from([1, 2, 3], [3]);
    const path = join(dir, 'big.pth');
    await savePthFile(
      path,
      new Map([
        ['big', big],
        ['small', small],
      ]),
    );
    for (const backend of [referenceBackend(), nativeBackend({ warn: false })]) {
      if (backend === null) continue;
      const previous = getBackend();
      setBackend(backend);
      let state: Map<string, Tensor>;
      try {
        state = await readStateDictFile(path);
      } finally {
        setBackend(previous);
      }
      const loaded = state.get('big') as Tensor;
      assert.deepEqual(loaded.data, big.data, `${backend.name}: the values`);
      assert.equal(loaded.data.buffer, (state.get('small') as Tensor).data.buffer, `${backend.name}: one buffer for the file`);
      assert.ok(loaded.data.buffer.byteLength >= readFileSync(path).byteLength, `${backend.name}: the whole file`);
    }
  }),
);

test('a checkpoint saved as code.pth is a checkpoint (torch names the archive folder after the file), not TorchScript', () => {
  const state = new Map([['w', Tensor.from([1, 2], [2])]]);
  const bytes = savePth(state, { archiveName: 'code' });
  assert.deepEqual([...(readStateDict(bytes, { source: 'code.pth' }).get('w')?.data ?? [])], [1, 2]);
  // A TorchScript archive keeps its code/ and constants.pkl beside data.pkl, and is still refused.
  const zip = concatBytes(
    writeStoredZip([
      { name: 'model/data.pkl', data: Uint8Array.of(0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e) },
      { name: 'model/code/__torch__/m.py', data: new TextEncoder().encode('def forward(self, x): ...') },
      { name: 'model/constants.pkl', data: Uint8Array.of(0x80, 0x02, 0x29, 0x2e) },
    ]),
  );
  assert.throws(() => readStateDict(zip, { source: 'm.pt' }), /m\.pt: this is a TorchScript archive \(torch\.jit\.save\)/);
});

test('a safetensors file whose header length opens with the bytes of a zip signature (PK\\3) is read as safetensors', () => {
  for (const headerLength of [0x034b50, 0x054b50]) {
    const base = JSON.stringify({ '': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }).length;
    const name = 'w'.repeat(headerLength - base);
    const bytes = saveSafetensors(new Map([[name, Tensor.from([1.5], [1])]]));
    assert.equal(Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)), headerLength, 'the header length under test');
    assert.equal(detectWeightsFormat(bytes), 'safetensors');
    assert.deepEqual([...(readStateDict(bytes, { source: 'w.safetensors' }).get(name)?.data ?? [])], [1.5]);
  }
});

test('safetensors keeps the order of number-like names ("10" before "2" before "weight" when written so)', () => {
  const state = new Map([
    ['weight', Tensor.from([1], [1])],
    ['10', Tensor.from([2], [1])],
    ['2', Tensor.from([3], [1])],
  ]);
  const bytes = saveSafetensors(state);
  assert.deepEqual([...readStateDict(bytes, { source: 'n.safetensors' }).keys()], ['weight', '10', '2']);
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))));
  assert.ok(header.indexOf('"weight"') < header.indexOf('"10"') && header.indexOf('"10"') < header.indexOf('"2"'), header);
});
