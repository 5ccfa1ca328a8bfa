/**
 * 16-bit gray PNGs (colour type 0), which PIL opens as mode "I" and
 * convert('RGB') clips at 255, with and without a tRNS chunk: libvips makes
 * tRNS an alpha channel, PIL does not. The files are written here, byte by
 * byte, since sharp cannot write a tRNS chunk.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { concatBytes } from '../../src/formats/byte-writer.js';
import { crc32 } from '../../src/formats/zip/crc32.js';
import { decodeImage } from '../../src/node/image/decode.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(ascii(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A 16-bit gray PNG of `values` (row-major, `width` a row), with a tRNS chunk naming `transparent` if given. */
function gray16Png(width: number, values: readonly number[], transparent?: number): Uint8Array {
  const height = values.length / width;
  const header = new Uint8Array(13);
  const headerView = new DataView(header.buffer);
  headerView.setUint32(0, width);
  headerView.setUint32(4, height);
  header.set([16, 0, 0, 0, 0], 8); // bit depth 16, colour type 0 (gray), deflate, adaptive filters, no interlace
  const rows = new Uint8Array(height * (1 + 2 * width)); // each row: filter type 0 (none), then big-endian samples
  const rowsView = new DataView(rows.buffer);
  for (const [i, v] of values.entries()) rowsView.setUint16(Math.floor(i / width) * (1 + 2 * width) + 1 + 2 * (i % width), v);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header)];
  if (transparent !== undefined) parts.push(chunk('tRNS', new Uint8Array([transparent >> 8, transparent & 0xff])));
  parts.push(chunk('IDAT', new Uint8Array(deflateSync(rows))), chunk('IEND', new Uint8Array(0)));
  return concatBytes(parts);
}

const VALUES = [0, 1, 254, 255, 256, 1000, 0x1234, 65535];
/** PIL: mode "I" to RGB clips each value to 0..255 and repeats it in R, G and B. */
const CLIPPED_RGB = VALUES.flatMap((v) => {
  const c = Math.min(v, 255);
  return [c, c, c];
});

test('a 16-bit gray PNG is clipped at 255, as PIL converts mode "I" to RGB', async () => {
  const image = await decodeImage(gray16Png(4, VALUES), 'gray16.png');
  assert.deepEqual([image.width, image.height, image.channels], [4, 2, 3]);
  assert.deepEqual([...image.data], CLIPPED_RGB);
});

test('a tRNS chunk changes nothing: PIL still opens mode "I" and clips, the alpha libvips adds is dropped', async () => {
  const image = await decodeImage(gray16Png(4, VALUES, 1000), 'gray16-trns.png');
  assert.deepEqual([image.width, image.height, image.channels], [4, 2, 3]);
  // Keeping the high byte (the RGB path) would give 3 for 1000, 0x12 for 0x1234.
  assert.deepEqual([...image.data], CLIPPED_RGB);
});
