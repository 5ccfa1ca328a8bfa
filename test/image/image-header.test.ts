/**
 * A picture's format, size and sample layout from its header
 * (src/image/image-header.ts): the demo page refuses an oversized picture
 * before the browser decodes it, and Node's decoder takes the layout from it
 * instead of asking libvips. Checked on files sharp writes in every format.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import sharp from 'sharp';
import { type ImageHeader, readImageHeader } from '../../src/image/image-header.js';
import { jpegWithHiddenFrame } from './helpers.js';

const SIZE = { width: 333, height: 217 };

function picture(): ReturnType<typeof sharp> {
  return sharp({ create: { ...SIZE, channels: 3, background: '#3a7bd5' } });
}

test('width and height from the headers of JPEG, PNG, GIF, WebP (lossy and lossless) and AVIF', async () => {
  const cases: [string, Buffer][] = [
    ['JPEG', await picture().jpeg().toBuffer()],
    [
      'JPEG',
      await picture()
        .jpeg({ progressive: true })
        .withMetadata({ exif: { IFD0: { Copyright: 'x'.repeat(5000) } } })
        .toBuffer(),
    ],
    ['PNG', await picture().png().toBuffer()],
    ['GIF', await picture().gif().toBuffer()],
    ['WebP', await picture().webp().toBuffer()],
    ['WebP', await picture().webp({ lossless: true }).toBuffer()],
    [
      'WebP',
      await picture()
        .ensureAlpha()
        .webp({ alphaQuality: 50 })
        .withMetadata({ exif: { IFD0: { Copyright: 'x' } } })
        .toBuffer(),
    ],
  ];
  try {
    cases.push(['AVIF', await picture().avif().toBuffer()]);
  } catch {
    // this sharp build writes no AVIF
  }
  for (const [format, bytes] of cases) {
    const header = readImageHeader(new Uint8Array(bytes));
    assert.deepEqual({ format: header?.format, width: header?.width, height: header?.height }, { format, ...SIZE }, format);
  }
});

test('TIFF by its signature (both byte orders), its size left to the decoder', async () => {
  for (const bytes of [await picture().tiff().toBuffer(), Buffer.from('MM\x00*\x00\x00\x00\x08', 'latin1')]) {
    const header = readImageHeader(new Uint8Array(bytes));
    assert.deepEqual({ format: header?.format, width: header?.width, height: header?.height }, { format: 'TIFF', width: null, height: null });
  }
  assert.equal(readImageHeader(new Uint8Array(Buffer.from('II*', 'latin1'))), null, 'three bytes are no signature');
});

test('a real photo, a declared size far beyond the limit, and bytes that are no picture', () => {
  const photo = '/usr/lib/python3/dist-packages/skimage/data/chelsea.png';
  try {
    assert.deepEqual(readImageHeader(new Uint8Array(readFileSync(photo))), {
      format: 'PNG',
      width: 451,
      height: 300,
      channels: 3,
      bitDepth: 8,
      arithmeticCoding: false,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const png = new Uint8Array(32);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(png.buffer).setUint32(16, 30000);
  new DataView(png.buffer).setUint32(20, 40000);
  assert.deepEqual(readImageHeader(png), { format: 'PNG', width: 30000, height: 40000, channels: 1, bitDepth: 0, arithmeticCoding: false });
  assert.equal(readImageHeader(new TextEncoder().encode('{"not": "a picture"}')), null);
  assert.equal(readImageHeader(new Uint8Array(0)), null);
  // A JPEG cut before its frame header: the format without a size (checked after decoding).
  assert.deepEqual(readImageHeader(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10])), {
    format: 'JPEG',
    width: null,
    height: null,
    channels: null,
    bitDepth: null,
    arithmeticCoding: false,
  });
  // A frame header of arithmetic coding (SOF9) says so; a Huffman one (SOF0) does not.
  const frame = (marker: number) => new Uint8Array([0xff, 0xd8, 0xff, marker, 0, 11, 8, 0, 16, 0, 32, 1, 1, 0x11, 0, 0xff, 0xd9]);
  assert.equal(readImageHeader(frame(0xc9))?.arithmeticCoding, true);
  assert.equal(readImageHeader(frame(0xc0))?.arithmeticCoding, false);
  assert.deepEqual([readImageHeader(frame(0xc9))?.width, readImageHeader(frame(0xc9))?.height], [32, 16]);
});

test('a JPEG with bytes libjpeg scans through ("FF 00"), or a marker it refuses, gets no size from the header', async () => {
  const hidden = await jpegWithHiddenFrame(23_000, 23_000);
  assert.equal(readImageHeader(hidden)?.width, null, 'not the fake 64×64 frame');
  for (const marker of [0x02, 0xbf, 0xc8, 0xd8, 0xda, 0xde, 0xf0]) {
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, marker, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0, 16, 0, 32, 1, 1, 0x11, 0, 0xff, 0xd9]);
    assert.equal(readImageHeader(bytes)?.width, null, `marker 0x${marker.toString(16)} before the frame`);
  }
  // The segments libjpeg reads before a frame are skipped by their length: APPn, COM, DQT, DHT, DAC, DRI.
  for (const marker of [0xe0, 0xef, 0xfe, 0xdb, 0xc4, 0xcc, 0xdd]) {
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, marker, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0, 16, 0, 32, 1, 1, 0x11, 0, 0xff, 0xd9]);
    assert.equal(readImageHeader(bytes)?.width, 32, `marker 0x${marker.toString(16)} before the frame`);
  }
});

test('the sample layout: JPEG components and precision, PNG colour type and bit depth', async () => {
  const layout = async (image: ReturnType<typeof sharp>): Promise<Pick<ImageHeader, 'channels' | 'bitDepth'>> => {
    const header = readImageHeader(new Uint8Array(await image.toBuffer()));
    return { channels: header?.channels ?? null, bitDepth: header?.bitDepth ?? null };
  };
  assert.deepEqual(await layout(picture().jpeg()), { channels: 3, bitDepth: 8 });
  assert.deepEqual(await layout(picture().toColourspace('b-w').jpeg()), { channels: 1, bitDepth: 8 });
  assert.deepEqual(await layout(picture().toColourspace('cmyk').jpeg()), { channels: 4, bitDepth: 8 });
  assert.deepEqual(await layout(picture().png()), { channels: 3, bitDepth: 8 });
  assert.deepEqual(await layout(picture().ensureAlpha(0.5).png()), { channels: 4, bitDepth: 8 });
  assert.deepEqual(await layout(picture().toColourspace('grey16').png()), { channels: 1, bitDepth: 16 });
  assert.deepEqual(await layout(picture().png({ palette: true })), { channels: 1, bitDepth: 8 });
  assert.deepEqual(await layout(picture().webp()), { channels: null, bitDepth: null });
});
