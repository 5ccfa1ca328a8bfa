/**
 * Shared setup of the native-backend tests: the addon (tests skip with the
 * reason when it is not built), the js reference backend they compare with,
 * the SIMD levels this CPU can run, and seeded random data.
 */
import assert from 'node:assert/strict';

import type { Conv2dGeometry, Pool2dGeometry } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/registry.js';
import type { NativeBackend } from '../../src/node/native/native-backend.js';
import type { SimdLevel } from '../../src/node/native/addon.js';
import { nativeBackend, nativeLoadFailure } from '../../src/node/native/load.js';
import type { Generator } from '../../src/tensor/random.js';

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

/** Uniform values in [−1, 1) from a seeded generator. */
export function randomArray(n: number, gen: Generator): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = gen.uniformRange(-1, 1);
  return a;
}

export function convGeometry(p: {
  batch: number;
  inChannels: number;
  inH: number;
  inW: number;
  outChannels: number;
  kernel: number | [number, number];
  stride?: number | [number, number];
  pad?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}): Conv2dGeometry {
  const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
  const [kernelH, kernelW] = pair(p.kernel, 1);
  const [strideH, strideW] = pair(p.stride, 1);
  const [padH, padW] = pair(p.pad, 0);
  const [dilationH, dilationW] = pair(p.dilation, 1);
  const outH = Math.floor((p.inH + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH) + 1;
  const outW = Math.floor((p.inW + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW) + 1;
  return {
    batch: p.batch,
    inChannels: p.inChannels,
    inH: p.inH,
    inW: p.inW,
    outChannels: p.outChannels,
    outH,
    outW,
    kernelH,
    kernelW,
    strideH,
    strideW,
    padH,
    padW,
    dilationH,
    dilationW,
    groups: p.groups ?? 1,
  };
}

export function poolGeometry(p: {
  batch: number;
  channels: number;
  inH: number;
  inW: number;
  kernel: number;
  stride: number;
  pad?: number;
  dilation?: number;
  ceilMode?: boolean;
}): Pool2dGeometry {
  const pad = p.pad ?? 0,
    dilation = p.dilation ?? 1;
  const size = (n: number): number => {
    const span = n + 2 * pad - dilation * (p.kernel - 1) - 1;
    let out = (p.ceilMode ? Math.ceil(span / p.stride) : Math.floor(span / p.stride)) + 1;
    // torch: with ceil_mode the last window must start inside the input or left padding.
    if (p.ceilMode && (out - 1) * p.stride >= n + pad) out--;
    return out;
  };
  return {
    batch: p.batch,
    channels: p.channels,
    inH: p.inH,
    inW: p.inW,
    outH: size(p.inH),
    outW: size(p.inW),
    kernelH: p.kernel,
    kernelW: p.kernel,
    strideH: p.stride,
    strideW: p.stride,
    padH: pad,
    padW: pad,
    dilationH: dilation,
    dilationW: dilation,
  };
}

export function convSizes(g: Conv2dGeometry): { x: number; w: number; out: number } {
  return {
    x: g.batch * g.inChannels * g.inH * g.inW,
    w: g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW,
    out: g.batch * g.outChannels * g.outH * g.outW,
  };
}

export function describeConv(g: Conv2dGeometry): string {
  return (
    `N${g.batch} C${g.inChannels}→O${g.outChannels} ${g.inH}x${g.inW} k${g.kernelH}x${g.kernelW} ` +
    `s${g.strideH}x${g.strideW} p${g.padH}x${g.padW} d${g.dilationH}x${g.dilationW} g${g.groups}`
  );
}
