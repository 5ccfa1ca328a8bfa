/**
 * Shared pieces of the image tests: the fixture files written by
 * tools/gen_image_fixtures.py and the noise images it builds from seeds.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import type { Image8 } from '../../src/image/image.js';

export const FIXTURES = new URL('../fixtures/image/', import.meta.url);
export const GENERATED = new URL('../fixtures/generated/image/', import.meta.url);

/** The generator's LCG noise (noise_bytes in tools/gen_image_fixtures.py). */
export function noiseBytes(seed: number, count: number): Uint8Array {
  let state = seed & 0x7fffffff;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    out[i] = (state >>> 16) & 0xff;
  }
  return out;
}

export function noiseImage(width: number, height: number, channels: number, seed: number): Image8 {
  return { width, height, channels, data: noiseBytes(seed, width * height * channels) };
}

export function readJson<T>(name: string, base: URL = FIXTURES): T {
  return JSON.parse(readFileSync(new URL(name, base), 'utf8')) as T;
}

/** Raw bytes from a fixture file, gunzipped when it ends in .gz. */
export function readBytes(name: string, base: URL = FIXTURES): Uint8Array {
  const raw = readFileSync(new URL(name, base));
  return new Uint8Array(name.endsWith('.gz') ? gunzipSync(raw) : raw);
}

export function base64Bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function base64Floats(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export interface ByteComparison {
  count: number;
  /** Largest |actual - expected|, in bytes (units of 1/255 after ToTensor). */
  maxDiff: number;
  exactFraction: number;
  /** Fraction within 1 (1/255 after ToTensor). */
  withinOneFraction: number;
}

/** Compares two byte arrays of equal length (checked). */
export function compareBytes(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): ByteComparison {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let maxDiff = 0;
  let exact = 0;
  let withinOne = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (d === 0) exact++;
    if (d <= 1) withinOne++;
    if (d > maxDiff) maxDiff = d;
  }
  const n = expected.length;
  return { count: n, maxDiff, exactFraction: exact / n, withinOneFraction: withinOne / n };
}

export function describeComparison(c: ByteComparison): string {
  return `max diff ${c.maxDiff}/255, exact ${(100 * c.exactFraction).toFixed(3)}%, within 1/255 ${(100 * c.withinOneFraction).toFixed(3)}% of ${c.count}`;
}

/**
 * A ToTensor output back to the bytes it came from, checking on the way that
 * every value is exactly byte / 255 in float32 (what torch computes).
 */
export function tensorToBytes(data: Float32Array, what: string): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const k = Math.round(data[i] * 255);
    if (k < 0 || k > 255 || Math.fround(k / 255) !== data[i]) assert.fail(`${what}: value ${data[i]} at ${i} is not a byte / 255`);
    out[i] = k;
  }
  return out;
}

/** A copy of a PNG with its IHDR width and height (and the chunk's CRC) rewritten. */
export function pngDeclaring(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(png);
  const view = new DataView(out.buffer);
  const ihdr = 8; // after the signature: length (4), "IHDR" (4), width, height, ...
  view.setUint32(ihdr + 8, width);
  view.setUint32(ihdr + 12, height);
  let crc = 0xffffffff;
  for (const byte of out.subarray(ihdr + 4, ihdr + 8 + 13)) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  view.setUint32(ihdr + 8 + 13, (crc ^ 0xffffffff) >>> 0);
  return out;
}

/**
 * A JPEG whose real frame (SOF0, `width`×`height`) sits inside bytes that begin "FF 00 <length>": libjpeg scans
 * through them as stray data to the real frame, a parser that skipped them as a segment would read the fake 64×64
 * frame behind them.
 */
export async function jpegWithHiddenFrame(width: number, height: number): Promise<Uint8Array> {
  const small = new Uint8Array(
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c80a0a' } })
      .jpeg()
      .toBuffer(),
  );
  let sof = 2;
  while (!(small[sof] === 0xff && small[sof + 1] === 0xc0)) sof++;
  const sofLength = (small[sof + 2] << 8) | small[sof + 3];
  const fakeFrame = small.slice(sof, sof + 2 + sofLength);
  const real = small.slice(2, small.length - 2); // after SOI, before EOI
  real[sof - 2 + 5] = height >> 8;
  real[sof - 2 + 6] = height & 0xff;
  real[sof - 2 + 7] = width >> 8;
  real[sof - 2 + 8] = width & 0xff;
  const length = real.length + 2;
  return Uint8Array.from([0xff, 0xd8, 0xff, 0x00, length >> 8, length & 0xff, ...real, ...fakeFrame, 0xff, 0xd9]);
}
