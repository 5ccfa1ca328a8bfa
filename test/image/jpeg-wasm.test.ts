/**
 * The WebAssembly decoder of small JPEGs against PIL's bytes (the committed
 * photo fixtures of tools/gen_image_fixtures.py), against sharp on valid
 * files with extreme coefficients, and on corrupt files: it may hand a file
 * back to sharp (null), but never decodes one sharp refuses.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import sharp from 'sharp';
import { readImageHeader } from '../../src/image/image-header.js';
import { decodeImage } from '../../src/node/image/decode.js';
import { toRgb } from '../../src/image/convert.js';
import { WASM_JPEG_MAX_BYTES, WASM_JPEG_MAX_PIXELS, decodeSmallJpeg } from '../../src/node/image/jpeg-wasm.js';
import { FIXTURES, readBytes, readJson } from './helpers.js';

interface PhotoCase {
  file: string;
  pilMode: string;
  width: number;
  height: number;
  decoded: string;
}

const PHOTOS = new URL('photos/', FIXTURES);
const jpegs = readJson<{ cases: PhotoCase[] }>('manifest.json', PHOTOS).cases.filter((c) => c.file.endsWith('.jpg'));
const fileBytes = (file: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(file, PHOTOS))));

/** sharp with decode.ts's options: the bytes, or null when it refuses the file. */
async function sharpRgb(bytes: Uint8Array): Promise<Uint8Array | null> {
  try {
    const { data, info } = await sharp(bytes, { ignoreIcc: true, autoOrient: false, failOn: 'error' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return info.channels === 3 ? new Uint8Array(data) : null;
  } catch {
    return null;
  }
}

test('every gray and YCbCr JPEG fixture decodes to PIL\'s .convert("RGB") bytes (4:2:0, 4:4:4, progressive, gray, EXIF)', async () => {
  const candidates = jpegs.filter((c) => c.pilMode !== 'CMYK');
  assert.ok(candidates.length >= 5);
  for (const c of candidates) {
    const image = await decodeSmallJpeg(fileBytes(c.file), c.width, c.height);
    assert.ok(image !== null, `${c.file}: handed back to sharp`);
    assert.deepEqual([image.width, image.height, image.channels], [c.width, c.height, 4], 'RGBA, as the decoder emits it');
    assert.ok(
      image.data.every((value, i) => i % 4 !== 3 || value === 255),
      `${c.file}: alpha is 255`,
    );
    assert.deepEqual(toRgb(image).data, readBytes(c.decoded, PHOTOS), c.file);
  }
});

test('CMYK, too many pixels, too many bytes and a size other than the header said go back to sharp', async () => {
  const cmyk = jpegs.find((c) => c.pilMode === 'CMYK');
  assert.ok(cmyk !== undefined);
  assert.equal(await decodeSmallJpeg(fileBytes(cmyk.file), cmyk.width, cmyk.height), null);
  const plain = fileBytes('chelsea_q90.jpg');
  assert.equal(await decodeSmallJpeg(plain, 64, 48 + 1), null, 'the header parser and libjpeg disagree');
  assert.equal(await decodeSmallJpeg(plain, 400, WASM_JPEG_MAX_PIXELS / 400 + 1), null);
  const padded = new Uint8Array(WASM_JPEG_MAX_BYTES + 1);
  padded.set(plain);
  assert.equal(await decodeSmallJpeg(padded, 64, 48), null);
  assert.ok((await decodeSmallJpeg(plain, 64, 48)) !== null, 'and the decoder still works');
});

test("valid JPEGs with extreme coefficients (noise, checkerboards, quality 100 to 10, 4:4:4 and 4:2:0, progressive) decode to sharp's bytes", async () => {
  let seed = 7;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 24;
  };
  const [width, height] = [96, 80];
  const patterns: Record<string, (x: number, y: number, c: number) => number> = {
    noise: () => random(),
    checkerboard: (x, y) => ((x ^ y) & 1 ? 255 : 0),
    stripes: (x, _y, c) => (x % 2 ? 255 : 0) ^ (c * 85),
  };
  let compared = 0;
  for (const [name, pattern] of Object.entries(patterns)) {
    const pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = pattern(Math.floor(i / 3) % width, Math.floor(i / 3 / width), i % 3);
    for (const quality of [100, 50, 10]) {
      for (const [chromaSubsampling, progressive] of [
        ['4:4:4', false],
        ['4:2:0', true],
      ] as const) {
        const what = `${name} q${quality} ${chromaSubsampling}${progressive ? ' progressive' : ''}`;
        const jpeg = await sharp(pixels, { raw: { width, height, channels: 3 } })
          .jpeg({ quality, chromaSubsampling, progressive })
          .toBuffer();
        const image = await decodeSmallJpeg(new Uint8Array(jpeg), width, height);
        assert.ok(image !== null, `${what}: handed back to sharp`);
        assert.deepEqual(toRgb(image).data, await sharpRgb(jpeg), what);
        compared++;
      }
    }
  }
  assert.equal(compared, 18);
});

// libjpeg-turbo's SIMD and C inverse DCTs agree on valid files but not always where corrupt data gives coefficients
// past 16 bits: sharp and PIL run the SIMD one here, WebAssembly the C one (PIL gives its bytes with
// JSIMD_FORCENONE=1). So a corrupt file libjpeg decodes without a word may differ from sharp's in a few pixels.
test('on 400 seeded corruptions of a JPEG it never accepts what sharp refuses, and mostly decodes the same bytes', async () => {
  const original = fileBytes('chelsea_q90.jpg');
  let seed = 12345;
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const counts = { decodedHere: 0, sameAsSharp: 0, handedBack: 0, sharpAlsoRefused: 0 };
  for (let i = 0; i < 400; i++) {
    const bytes = i % 4 === 0 ? original.slice(0, 2 + random(original.length - 2)) : original.slice();
    if (i % 4 !== 0) for (let k = 1 + random(4); k > 0; k--) bytes[random(bytes.length)] = random(256);
    const header = readImageHeader(bytes);
    if (header?.width == null || header.height == null) continue;
    const mine = await decodeSmallJpeg(bytes, header.width, header.height);
    const theirs = await sharpRgb(bytes);
    if (mine === null) {
      counts.handedBack++;
      if (theirs === null) counts.sharpAlsoRefused++;
      continue;
    }
    counts.decodedHere++;
    assert.ok(theirs !== null, `corruption ${i}: decoded here, refused by sharp`);
    const mineRgb = toRgb(mine).data;
    assert.equal(mineRgb.length, theirs.length, `corruption ${i}`);
    if (mineRgb.every((value, k) => value === theirs[k])) counts.sameAsSharp++;
  }
  // Both outcomes must occur, or the test proves nothing.
  assert.ok(counts.decodedHere > 20 && counts.sharpAlsoRefused > 20, JSON.stringify(counts));
  assert.ok(counts.sameAsSharp >= 0.9 * counts.decodedHere, JSON.stringify(counts));
  assert.ok((await decodeSmallJpeg(original, 64, 48)) !== null, 'the decoder still works after the failures');
});

test('decodeImage refuses a truncated small JPEG with the message sharp gives, and decodes the whole file', async () => {
  const original = fileBytes('chelsea_q90.jpg');
  await assert.rejects(
    decodeImage(original.slice(0, original.length - 200), 'cut.jpg'),
    /^Error: cut\.jpg is not a decodable image: corrupt or unsupported jpeg data .*premature end of JPEG/i,
  );
  const whole = await decodeImage(original, 'whole.jpg');
  assert.deepEqual(whole.data, readBytes('chelsea_q90.jpg.decoded.u8.gz', PHOTOS));
});
