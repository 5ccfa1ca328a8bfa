/**
 * Reading committed fixtures: JSON files under test/fixtures/ whose tensors are
 * stored as { shape, dtype, data: base64 of little-endian values } (the format
 * tools/gen_parity_fixtures.py writes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../../src/tensor/tensor.js';

export interface EncodedTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: string;
}

/** Absolute path of a file under test/fixtures/. */
export function fixturePath(...parts: string[]): string {
  return fileURLToPath(new URL(`../fixtures/${parts.join('/')}`, import.meta.url));
}

export function fixtureExists(...parts: string[]): boolean {
  return existsSync(fixturePath(...parts));
}

export function readJsonFixture<T = unknown>(...parts: string[]): T {
  const path = fixturePath(...parts);
  if (!existsSync(path)) throw new Error(`fixture ${path} is missing (see the generator named in the test)`);
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Base64 → bytes in a fresh, aligned ArrayBuffer (Buffer's pool may be misaligned for Float32Array). */
export function base64Bytes(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

export function decodeFloat32(b64: string): Float32Array {
  const bytes = base64Bytes(b64);
  return new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
}

export function decodeInt32(b64: string): Int32Array {
  const bytes = base64Bytes(b64);
  return new Int32Array(bytes.buffer, 0, bytes.byteLength / 4);
}

export function decodeTensor(e: EncodedTensor, requiresGrad = false): Tensor {
  if (e.dtype !== 'float32') throw new Error(`decodeTensor: expected a float32 tensor, got ${e.dtype}`);
  return new Tensor(decodeFloat32(e.data), e.shape, { requiresGrad });
}
