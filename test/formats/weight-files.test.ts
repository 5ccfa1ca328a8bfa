import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { Tensor } from '../../src/tensor/tensor.js';
import { getBackend, referenceBackend, setBackend } from '../../src/backend/registry.js';
import { nativeBackend } from '../../src/node/native/load.js';
import { canonical, FIXTURES } from './helpers.js';

function withTempDir(body: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alexnet-files-'));
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'writeFileAtomic writes strings, bytes and chunk lists, replacing the old file and leaving no temp',
  withTempDir(async (dir) => {
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
  'writeFileAtomic failures name the path and leave nothing behind',
  withTempDir(async (dir) => {
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
  withTempDir(async (dir) => {
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
  withTempDir(async (dir) => {
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
  withTempDir(async (dir) => {
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
