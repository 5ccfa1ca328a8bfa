/**
 * The demo page reads a picture's size from its header before decoding it
 * (web/ui/image-header.ts), so an oversized picture is refused before the
 * browser decodes it: checked here on files sharp writes in every format.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import sharp from 'sharp';
import { readImageHeader } from '../../web/ui/image-header.js';

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
    assert.deepEqual(readImageHeader(new Uint8Array(bytes)), { format, ...SIZE }, format);
  }
});

test('a real photo, a declared size far beyond the limit, and bytes that are no picture', () => {
  const photo = '/usr/lib/python3/dist-packages/skimage/data/chelsea.png';
  try {
    assert.deepEqual(readImageHeader(new Uint8Array(readFileSync(photo))), { format: 'PNG', width: 451, height: 300 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const png = new Uint8Array(32);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(png.buffer).setUint32(16, 30000);
  new DataView(png.buffer).setUint32(20, 40000);
  assert.deepEqual(readImageHeader(png), { format: 'PNG', width: 30000, height: 40000 });
  assert.equal(readImageHeader(new TextEncoder().encode('{"not": "a picture"}')), null);
  assert.equal(readImageHeader(new Uint8Array(0)), null);
  // A JPEG cut before its frame header: the format without a size (checked after decoding).
  assert.deepEqual(readImageHeader(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10])), { format: 'JPEG', width: null, height: null });
});
