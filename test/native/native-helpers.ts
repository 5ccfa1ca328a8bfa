/**
 * Shared setup of the native-backend tests: the addon (tests skip with the
 * reason when it is not built), the js reference backend they compare with,
 * the SIMD levels this CPU can run, and seeded random data.
 */
import assert from 'node:assert/strict';

import { referenceBackend } from '../../src/backend/registry.js';
import type { NativeBackend } from '../../src/node/native/native-backend.js';
import type { SimdLevel } from '../../src/node/native/addon.js';
import { nativeBackend, nativeLoadFailure } from '../../src/node/native/load.js';

export const native: NativeBackend | null = nativeBackend({ warn: false });
export const reference = referenceBackend();

/** The `skip` option of node:test: false when the addon loaded, else why not. */
export const skipWithoutAddon: string | false = native === null ? `native addon not built (${nativeLoadFailure()}); run \`npm run build:native\`` : false;

/** The addon, for tests that only run when skipWithoutAddon is false. */
export function addon(): NativeBackend {
  if (native === null) throw new Error('the native addon is not loaded');
  return native;
}

const ORDER: SimdLevel[] = ['generic', 'avx2', 'avx512'];

/** Every kernel set this CPU can run, lowest first. */
export function supportedSimdLevels(): SimdLevel[] {
  if (native === null) return [];
  const best = native.info().bestSimd;
  return ORDER.slice(0, ORDER.indexOf(best) + 1);
}

/** Runs fn once per supported kernel set, restoring the best one afterwards. */
export function forEachSimd(fn: (level: SimdLevel) => void): void {
  const b = addon();
  const best = b.info().bestSimd;
  try {
    for (const level of supportedSimdLevels()) {
      assert.equal(b.setSimd(level), level, `switching to the ${level} kernels`);
      fn(level);
    }
  } finally {
    b.setSimd(best);
  }
}

/** Async variant of forEachSimd. */
export async function forEachSimdAsync(fn: (level: SimdLevel) => Promise<void>): Promise<void> {
  const b = addon();
  const best = b.info().bestSimd;
  try {
    for (const level of supportedSimdLevels()) {
      assert.equal(b.setSimd(level), level, `switching to the ${level} kernels`);
      await fn(level);
    }
  } finally {
    b.setSimd(best);
  }
}

export { convGeometry, convSizes, describeConv, poolGeometry, randomArray } from '../helpers/kernel-geometry.js';
