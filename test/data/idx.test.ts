import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'fflate';
import { encodeIdx, gunzipIfNeeded, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, isGzip, parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { FashionMnist } from '../../src/data/fashion-mnist.js';
import { concatBytes } from '../../src/formats/byte-writer.js';

const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
const imagesFile = encodeIdx(IDX_IMAGES_MAGIC, [2, 3, 4], pixels);
const labelsFile = encodeIdx(IDX_LABELS_MAGIC, [2], Uint8Array.of(7, 3));

test('parses images and labels, big-endian dimensions', () => {
  assert.deepEqual([...imagesFile.subarray(0, 8)], [0, 0, 8, 3, 0, 0, 0, 2]);
  const images = parseIdxImages(imagesFile);
  assert.equal(images.count, 2);
  assert.equal(images.rows, 3);
  assert.equal(images.cols, 4);
  assert.deepEqual([...images.pixels], [...pixels]);
  assert.deepEqual([...parseIdxLabels(labelsFile)], [7, 3]);
});

test('gzipped files are recognised by their magic bytes and inflated', () => {
  const gz = gzipSync(imagesFile);
  assert.ok(isGzip(gz));
  assert.ok(!isGzip(imagesFile));
  assert.deepEqual([...parseIdxImages(gz).pixels], [...pixels]);
  assert.deepEqual([...parseIdxLabels(gzipSync(labelsFile))], [7, 3]);
});

test('a wrong magic names the file, both magics, and hints at a swapped file', () => {
  assert.throws(() => parseIdxImages(labelsFile, 'x-images.idx'), /x-images\.idx: wrong magic number 0x00000801, expected 0x00000803 .*labels file/);
  assert.throws(() => parseIdxLabels(imagesFile, 'y.idx'), /y\.idx: wrong magic number 0x00000803, expected 0x00000801/);
  assert.throws(() => parseIdxLabels(new TextEncoder().encode('<html>not found</html>'), 'z'), /z: wrong magic number/);
});

test('truncated files and trailing bytes are errors that give the sizes', () => {
  assert.throws(() => parseIdxImages(imagesFile.subarray(0, 3), 'f'), /f: file is truncated \(3 bytes/);
  assert.throws(() => parseIdxImages(imagesFile.subarray(0, 10), 'f'), /f: file is truncated \(10 bytes, the header needs 16\)/);
  assert.throws(() => parseIdxImages(imagesFile.subarray(0, imagesFile.length - 1), 'f'), /header declares 2×3×4 = 24 bytes of data, found 23/);
  const padded = new Uint8Array(imagesFile.length + 2);
  padded.set(imagesFile);
  assert.throws(() => parseIdxImages(padded, 'f'), /2 unexpected bytes/);
  const gz = gzipSync(imagesFile);
  assert.throws(() => parseIdxImages(gz.subarray(0, gz.length - 10), 'g.gz'), /g\.gz: gzip data is corrupt or truncated/);
  // Sound gzip data that inflates past the bound is said to be too large, not corrupt.
  assert.throws(
    () => gunzipIfNeeded(gzipSync(new Uint8Array(5000)), 'big.gz', 1000),
    /^Error: big\.gz: gzip data inflates to more than 1000 bytes, more than any IDX data set holds$/,
  );
});

/** `bytes` with the byte at `index` (negative: from the end) XORed with `mask`. */
function flipped(bytes: Uint8Array, index: number, mask: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[index < 0 ? out.length + index : index] ^= mask;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

test('every gzip member is checked against its trailer: CRC-32, length, a lost trailer, bytes after the data', () => {
  // Stored (level 0) deflate: a flipped data byte still inflates, to wrong values only the CRC-32 can catch.
  const gz = gzipSync(imagesFile, { level: 0 });
  const crcFailure = /^Error: g\.gz: gzip member 1 fails its CRC-32 check: the data is corrupt or truncated, or other bytes follow the gzip data$/;
  assert.throws(() => parseIdxImages(flipped(gz, -8, 0xff), 'g.gz'), crcFailure); // the CRC-32 itself
  assert.throws(() => parseIdxImages(flipped(gz, -9, 0x40), 'g.gz'), crcFailure); // the last pixel
  assert.throws(() => parseIdxImages(gz.subarray(0, gz.length - 8), 'g.gz'), crcFailure); // no trailer
  assert.throws(() => parseIdxImages(flipped(gz, -1, 0x01), 'g.gz'), /^Error: g\.gz: gzip member 1 inflates to 40 bytes but its trailer says 16777256/);
  // 1-3 stray bytes shift the trailer; 4 or more are read as the header of a member that is not there.
  for (const extra of [[1], [1, 2, 3], [0, 0, 7], [0x6a, 0x75, 0x6e, 0x6b], [...new Array(20).fill(0), 1]]) {
    assert.throws(
      () => parseIdxImages(concat(gz, Uint8Array.from(extra)), 'g.gz'),
      /^Error: g\.gz: gzip (member 1 fails its CRC-32 check|data is corrupt)/,
      `${extra.length} bytes`,
    );
  }
});

test("zero padding after the last member is skipped, as Python's gzip skips it (the trailer here ends in zero bytes too)", () => {
  const gz = gzipSync(imagesFile);
  assert.deepEqual([...gz.subarray(-3)], [0, 0, 0], "the 40-byte file's length trailer ends in three zero bytes");
  for (const zeros of [1, 2, 3, 4, 20, 1000]) {
    assert.deepEqual([...parseIdxImages(concat(gz, new Uint8Array(zeros)), 'p.gz').pixels], [...pixels], `${zeros} zero bytes`);
  }
  // 2^24 + 1 bytes: a length trailer that ends in a non-zero byte.
  const wide = gzipSync(new Uint8Array(2 ** 24 + 1));
  assert.notEqual(wide.at(-1), 0);
  for (const zeros of [1, 2, 3, 9]) assert.equal(gunzipIfNeeded(concat(wide, new Uint8Array(zeros)), 'w.gz').length, 2 ** 24 + 1);
});

test('multi-member gzip inflates to the members joined, each checked, members crossing the 256 KiB pieces too', () => {
  const images = gzipSync(imagesFile.subarray(0, 20));
  const rest = gzipSync(imagesFile.subarray(20), { level: 0 });
  assert.deepEqual([...parseIdxImages(concat(images, rest)).pixels], [...pixels]);
  assert.throws(() => parseIdxImages(concat(flipped(images, -6, 0x10), rest), 'm.gz'), /^Error: m\.gz: gzip member 1 fails its CRC-32 check/);
  assert.throws(() => parseIdxImages(concat(images, flipped(rest, -10, 0x10)), 'm.gz'), /^Error: m\.gz: gzip member 2 fails its CRC-32 check/);

  // A first member ending so that the second's header, or the first's trailer, straddles the first 256 KiB piece.
  let state = 1;
  const noise = Uint8Array.from({ length: 300_000 }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state >>> 24;
  });
  const piece = 256 * 1024;
  for (const firstMemberEnd of [piece - 5, piece + 4]) {
    let length = firstMemberEnd - 100;
    while (gzipSync(noise.subarray(0, length), { level: 0 }).length < firstMemberEnd) length++;
    const first = gzipSync(noise.subarray(0, length), { level: 0 });
    assert.equal(first.length, firstMemberEnd);
    const second = gzipSync(noise.subarray(length));
    assert.deepEqual(gunzipIfNeeded(concat(first, second), 'n.gz'), noise);
    assert.throws(() => gunzipIfNeeded(concat(flipped(first, -8, 1), second), 'n.gz'), /n\.gz: gzip member 1 fails its CRC-32 check/);
    assert.throws(() => gunzipIfNeeded(concat(first, flipped(second, -8, 1)), 'n.gz'), /n\.gz: gzip member 2 fails its CRC-32 check/);
  }
});

test('images and labels with different counts do not make a data set', () => {
  const threeLabels = encodeIdx(IDX_LABELS_MAGIC, [3], Uint8Array.of(1, 2, 3));
  assert.throws(() => FashionMnist.fromIdx(imagesFile, threeLabels, { imagesName: 'a', labelsName: 'b' }), /2 images but 3 labels/);
  const badLabel = encodeIdx(IDX_LABELS_MAGIC, [2], Uint8Array.of(1, 10));
  assert.throws(() => FashionMnist.fromIdx(imagesFile, badLabel), /label 10 of sample 1 is not a class index 0\.\.9/);
});

test('encodeIdx refuses dimensions that do not fit the magic or the values', () => {
  assert.throws(() => encodeIdx(IDX_IMAGES_MAGIC, [2, 3], pixels), /needs 3 dimensions/);
  assert.throws(() => encodeIdx(IDX_LABELS_MAGIC, [5], pixels), /24 values do not fill 5/);
});
