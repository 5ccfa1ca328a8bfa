import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { crc32 } from '../../src/formats/zip/crc32.js';
import { ZipArchive } from '../../src/formats/zip/zip-reader.js';
import { writeStoredZip } from '../../src/formats/zip/zip-writer.js';
import { concatBytes } from '../../src/formats/byte-writer.js';
import { fixture, skipUnlessPython, runPython, seededRandom } from './helpers.js';

test('crc32 matches zlib on random data of every length class', () => {
  const rand = seededRandom(1);
  for (const n of [0, 1, 7, 8, 9, 63, 64, 1000, 65537]) {
    const data = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    assert.equal(crc32(data), zlibCrc32(data), `length ${n}`);
  }
  const data = Uint8Array.from({ length: 100 }, (_, i) => i);
  assert.equal(crc32(data.subarray(40), crc32(data.subarray(0, 40))), zlibCrc32(data), 'continues from a previous value');
});

test('written entries are 64-byte aligned and read back as views', () => {
  const entries = [
    { name: 'archive/data.pkl', data: Uint8Array.from([1, 2, 3]) },
    { name: 'archive/data/0', data: new Uint8Array(100).fill(7) },
    { name: 'archive/ünïcode', data: new Uint8Array(0) },
  ];
  const bytes = concatBytes(writeStoredZip(entries));
  const zip = ZipArchive.parse(bytes, 'w.zip');
  assert.deepStrictEqual(
    zip.entries.map((e) => e.name),
    entries.map((e) => e.name),
  );
  for (const [i, entry] of zip.entries.entries()) {
    const data = zip.read(entry);
    assert.deepStrictEqual([...data], [...entries[i].data]);
    assert.equal(data.byteOffset % 64, 0, `${entry.name} aligned`);
    assert.equal(data.buffer, bytes.buffer, 'a view, not a copy');
  }
});

test('an archive naming one entry twice is refused by that name (torch.load would read the first, a map the last)', () => {
  const bytes = concatBytes(
    writeStoredZip([
      { name: 'archive/data/0', data: Uint8Array.of(0, 1, 2) },
      { name: 'archive/data.pkl', data: Uint8Array.of(0x2e) },
      { name: 'archive/data/0', data: Uint8Array.of(9, 9, 9) },
    ]),
  );
  assert.throws(() => ZipArchive.parse(bytes, 'dup.pth'), /^FormatError: dup\.pth: zip entry 'archive\/data\/0' appears twice \(expected each name once\)$/);
});

test('reads torch zip64 archives and deflated archives from other tools', () => {
  const torchZip = ZipArchive.parse(fixture('zip_state_dict.pth'), 'zip_state_dict.pth');
  assert.ok(torchZip.get('zip_state_dict/data.pkl'));
  assert.equal(new TextDecoder().decode(torchZip.read(torchZip.get('zip_state_dict/version')!)), '3\n');
  const deflated = zipSync({ 'a/b.txt': strToU8('hello hello hello hello'), 'c.bin': new Uint8Array(5000).fill(3) }, { level: 9 });
  const zip = ZipArchive.parse(deflated, 'd.zip');
  assert.equal(zip.get('a/b.txt')!.method, 8);
  assert.equal(new TextDecoder().decode(zip.read(zip.get('a/b.txt')!)), 'hello hello hello hello');
  assert.equal(zip.read(zip.get('c.bin')!).length, 5000);
});

test('corrupt directories fail with the file name and the problem', () => {
  const good = concatBytes(writeStoredZip([{ name: 'x', data: new Uint8Array(10) }]));
  const lie = good.slice();
  // Central directory entry count (EOCD offset 10) claims 1000 entries.
  lie[lie.length - 12] = 0xe8;
  lie[lie.length - 11] = 0x03;
  assert.throws(() => ZipArchive.parse(lie, 'lie.zip'), /lie\.zip: corrupt zip: 1000 entries cannot fit in a \d+-byte central directory/);
  const sizeLie = good.slice();
  // The central entry's compressed and uncompressed sizes (at +20, +24) claim 2 GB.
  const central = new TextDecoder('latin1').decode(sizeLie).lastIndexOf('PK\x01\x02');
  for (const at of [20, 24]) sizeLie.set([0, 0, 0, 0x80], central + at);
  const zip = ZipArchive.parse(sizeLie, 'size.zip');
  assert.throws(() => zip.read(zip.entries[0]), /size\.zip: truncated: zip entry 'x' needs 2147483648 bytes at offset 64, but the file ends at/);
  assert.throws(() => ZipArchive.parse(good.subarray(0, good.length - 5), 'cut.zip'), /cut\.zip: not a zip archive or truncated/);
});

/** A torch checkpoint with 300 bytes appended after its end record, with or without a stray end-record signature among them. */
function withTrailingBytes(straySignature: boolean): Uint8Array {
  const pth = fixture('zip_state_dict.pth');
  const junk = new Uint8Array(300).fill(0x41);
  if (straySignature) junk.set([0x50, 0x4b, 0x05, 0x06], 100); // 'PK\x05\x06' with nothing valid behind it
  return concatBytes([pth, junk]);
}

test('bytes appended after an archive are ignored, as torch.load ignores them; a stray end-record signature among them is skipped', () => {
  const plain = ZipArchive.parse(fixture('zip_state_dict.pth'), 'plain.pth');
  for (const stray of [false, true]) {
    const trailing = ZipArchive.parse(withTrailingBytes(stray), 'trailing.pth');
    assert.deepEqual(
      trailing.entries.map((e) => e.name),
      plain.entries.map((e) => e.name),
    );
    for (const entry of plain.entries) assert.deepEqual([...trailing.read(trailing.get(entry.name)!)], [...plain.read(entry)], entry.name);
  }
});

// torch's reader (miniz) takes the last signature it finds: a stray one among the appended bytes fails there
// ("unsupported multidisk archive"), which the reader above skips.
test('torch.load reads an archive with bytes appended (what the reader above follows)', { skip: skipUnlessPython('torch') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-zip-'));
  try {
    const path = join(dir, 'trailing.pth');
    writeFileSync(path, withTrailingBytes(false));
    const keys = runPython('import sys, torch; print(sorted(torch.load(sys.argv[1], weights_only=True).keys()))', [path]).trim();
    assert.ok(keys.startsWith('['), keys);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Python's zipfile reads the archives we write", { skip: skipUnlessPython('zipfile') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-zip-'));
  try {
    const path = join(dir, 'z.zip');
    writeFileSync(
      path,
      concatBytes(
        writeStoredZip([
          { name: 'archive/a', data: Uint8Array.from([5, 6]) },
          { name: 'archive/b', data: new Uint8Array(70).fill(1) },
        ]),
      ),
    );
    const out = runPython(
      'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print([(i.filename, len(z.read(i))) for i in z.infolist()])',
      [path],
    );
    assert.equal(out.trim(), "[('archive/a', 2), ('archive/b', 70)]");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
