/**
 * Decoding with sharp against PIL's Image.open(path).convert('RGB'), and the
 * eval transform on decoded photos against torchvision, on small crops of
 * real photos in many encodings (tools/gen_image_fixtures.py, committed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { toRgb } from '../../src/image/convert.js';
import { imagenetEvalPixels, imagenetEvalTransform } from '../../src/image/imagenet.js';
import { toTensor } from '../../src/image/to-tensor.js';
import { decodeImage, decodeImageForModel, readImage } from '../../src/node/image/decode.js';
import { preprocessImageFiles } from '../../src/node/image/preprocess-files.js';
import { compareBytes, describeComparison, FIXTURES, jpegWithHiddenFrame, pngDeclaring, readBytes, readJson, tensorToBytes } from './helpers.js';

interface PhotoCase {
  file: string;
  note: string;
  pilMode: string;
  width: number;
  height: number;
  decoded: string;
  eval: { resize: number; crop: number; expected: string }[];
}

const PHOTOS = new URL('photos/', FIXTURES);
const manifest = readJson<{ cases: PhotoCase[] }>('manifest.json', PHOTOS);
const photoPath = (file: string): string => fileURLToPath(new URL(file, PHOTOS));

test('decoding matches PIL .convert("RGB") byte for byte in every encoding', async (t) => {
  assert.ok(manifest.cases.length >= 15);
  for (const c of manifest.cases) {
    const image = await readImage(photoPath(c.file));
    assert.deepEqual([image.width, image.height, image.channels], [c.width, c.height, 3], c.file);
    const comparison = compareBytes(image.data, readBytes(c.decoded, PHOTOS), c.file);
    t.diagnostic(`${c.file} (${c.note}, PIL mode ${c.pilMode}): ${describeComparison(comparison)}`);
    assert.equal(comparison.maxDiff, 0, `${c.file}: ${describeComparison(comparison)}`);
  }
});

test('Resize + CenterCrop + ToTensor on decoded photos equals torchvision exactly', async (t) => {
  let checked = 0;
  for (const c of manifest.cases) {
    for (const e of c.eval) {
      const what = `${c.file} Resize(${e.resize}) CenterCrop(${e.crop})`;
      const tensor = toTensor(imagenetEvalPixels(await readImage(photoPath(c.file)), e));
      assert.deepEqual(tensor.shape, [3, e.crop, e.crop], what);
      const comparison = compareBytes(tensorToBytes(tensor.data, what), readBytes(e.expected, PHOTOS), what);
      t.diagnostic(`${what}: ${describeComparison(comparison)}`);
      assert.equal(comparison.maxDiff, 0, `${what}: ${describeComparison(comparison)}`);
      checked++;
    }
  }
  assert.ok(checked >= 6);
});

test("decodeImageForModel hands RGBA over as decoded, with decodeImage's RGB and the same model input", async () => {
  const channels = new Set<number>();
  for (const c of manifest.cases) {
    const bytes = new Uint8Array(readFileSync(photoPath(c.file)));
    const forModel = await decodeImageForModel(bytes, c.file);
    const rgb = await decodeImage(bytes, c.file);
    channels.add(forModel.channels);
    assert.deepEqual(toRgb(forModel).data, rgb.data, c.file);
    assert.deepEqual(imagenetEvalTransform(forModel).data, imagenetEvalTransform(rgb).data, c.file);
  }
  // Small JPEGs come from the WebAssembly decoder as RGBA; gray PNGs are expanded to RGB.
  assert.deepEqual([...channels].sort(), [3, 4]);
});

test('EXIF orientation is ignored, as PIL does: the stored pixels come back unrotated', async () => {
  const rotated = await readImage(photoPath('chelsea_exif_rotate90.jpg'));
  const plain = await readImage(photoPath('chelsea_q90.jpg'));
  assert.deepEqual([rotated.width, rotated.height], [plain.width, plain.height]);
  assert.deepEqual(rotated.data, plain.data);
});

test('decodeImage takes bytes and names them in errors', async () => {
  const bytes = readFileSync(photoPath('chelsea.png'));
  const image = await decodeImage(bytes, 'upload.png');
  assert.equal(image.width, 64);
  await assert.rejects(decodeImage(new TextEncoder().encode('hello'), 'upload.bin'), {
    message: 'upload.bin is not a decodable image (expected JPEG, PNG, WebP, GIF, TIFF or AVIF data)',
  });
});

test('preprocessImageFiles decodes and stacks files in order', async () => {
  const files = ['camera.png', 'chelsea_q90.webp'];
  const batch = await preprocessImageFiles(files.map(photoPath), { resize: 40, crop: 32 });
  assert.deepEqual(batch.shape, [2, 3, 32, 32]);
  const second = imagenetEvalTransform(await readImage(photoPath(files[1])), { resize: 40, crop: 32 });
  assert.deepEqual(batch.data.subarray(3 * 32 * 32), second.data);
  const missing = photoPath('nope.png');
  await assert.rejects(preprocessImageFiles([photoPath(files[0]), missing]), { message: `cannot read image ${missing}: no such file` });
});

test('unreadable and undecodable files give one clear line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-image-'));
  try {
    const missing = join(dir, 'missing.jpg');
    await assert.rejects(readImage(missing), { message: `cannot read image ${missing}: no such file` });
    await assert.rejects(readImage(dir), { message: `cannot read image ${dir}: is a directory` });
    const text = join(dir, 'notes.jpg');
    writeFileSync(text, 'not an image at all\n');
    await assert.rejects(readImage(text), { message: `${text} is not a decodable image (expected JPEG, PNG, WebP, GIF, TIFF or AVIF data)` });
    // A JPEG cut in the middle of its data: PIL refuses it ("image file is truncated"), so do we.
    const jpeg = readFileSync(photoPath('chelsea_q90_444.jpg'));
    const truncated = join(dir, 'truncated.jpg');
    writeFileSync(truncated, jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
    await assert.rejects(readImage(truncated), (error: Error) => {
      assert.match(error.message, /truncated\.jpg is not a decodable image: corrupt or unsupported jpeg data/);
      assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decompression bombs are refused from the header, before any pixel is decoded', async () => {
  const png = new Uint8Array(readFileSync(photoPath('chelsea.png')));
  await assert.rejects(decodeImage(pngDeclaring(png, 100_000, 100_000), 'huge.png'), {
    message: "huge.png is too large: 100000×100000 is 10000000000 pixels, above the limit of 178956970 (PIL's decompression-bomb limit)",
  });
  await assert.rejects(decodeImage(pngDeclaring(png, 12_000, 12_000), 'bomb.png'), (error: Error) => {
    assert.match(error.message, /^bomb\.png is not a decodable image: its header declares 12000×12000 pixels, more than \d+ bytes of png data can hold/);
    return true;
  });
});

test('a JPEG whose real frame hides behind stray bytes is measured by libvips and refused by its real size', async () => {
  const hidden = await jpegWithHiddenFrame(23_000, 23_000);
  await assert.rejects(decodeImage(hidden, 'hidden.jpg'), {
    message: "hidden.jpg is too large: 23000×23000 is 529000000 pixels, above the limit of 178956970 (PIL's decompression-bomb limit)",
  });
  await assert.rejects(
    decodeImage(await jpegWithHiddenFrame(5000, 5000), 'hidden.jpg', 1_000_000),
    /^Error: hidden\.jpg is too large: 5000×5000 is 25000000 pixels/,
  );
});

test('formats whose size does not bound their pixels decode up to the pixel limit: lossless WebP, AVIF, arithmetic JPEG', async () => {
  const sharp = (await import('sharp')).default;
  const white = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#ffffff' } });
  // A few hundred bytes for 9 and 16 million pixels: far above any bytes-to-pixels ratio a size check could use.
  const encoded: [string, Buffer, number, number][] = [['lossless WebP', await white(3000, 3000).webp({ lossless: true }).toBuffer(), 3000, 3000]];
  try {
    encoded.push(['AVIF', await white(4000, 4000).avif().toBuffer(), 4000, 4000]);
  } catch {
    // this sharp build writes no AVIF
  }
  for (const [what, bytes, width, height] of encoded) {
    assert.ok(bytes.length < 2000, `${what}: ${bytes.length} bytes`);
    const image = await decodeImage(new Uint8Array(bytes), what);
    assert.deepEqual([image.width, image.height], [width, height], what);
    assert.equal(image.data[image.data.length - 1], 255, what);
  }
  // An arithmetic-coded frame (SOF9) declaring 12000×12000: refused as corrupt data, not by its size.
  const sof9 = new Uint8Array([0xff, 0xd8, 0xff, 0xc9, 0, 17, 8, 0x2e, 0xe0, 0x2e, 0xe0, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);
  await assert.rejects(decodeImage(sof9, 'arith.jpg'), (error: Error) => {
    assert.doesNotMatch(error.message, /can hold/);
    assert.match(error.message, /^arith\.jpg is not a decodable image: corrupt or unsupported jpeg data/);
    return true;
  });
  // The same frame Huffman-coded (SOF0) is refused by its size.
  const sof0 = sof9.slice();
  sof0[3] = 0xc0;
  await assert.rejects(decodeImage(sof0, 'huffman.jpg'), /its header declares 12000×12000 pixels, more than 23 bytes of jpeg data can hold/);
});
