import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'fflate';
import { encodeIdx, gunzipIfNeeded, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, isGzip, parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { FashionMnist } from '../../src/data/fashion-mnist.js';

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
