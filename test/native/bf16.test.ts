/**
 * The bf16 inference kernels of the native addon against the js rounding
 * reference (src/backend/js/bf16.ts), with each kernel set the CPU has
 * (AVX512-BF16's vdpbf16ps; AMX tiles where present, else skipped with the
 * reason): the GEMM, rounding edge cases bit for bit, the packed linear layer
 * (dot and tile paths), the packed convolution (im2col, Winograd, and AMX's
 * pair planes), weights packed for one set running after a switch, and the
 * refusal when the SIMD level is lowered below AVX-512.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Conv2dGeometry } from '../../src/backend/backend.js';
import { roundArrayToBf16, roundToBf16 } from '../../src/backend/js/bf16.js';
import type { Bf16Level, NativeAddon, PackedConvHandle } from '../../src/node/native/addon.js';
import { loadNativeAddon } from '../../src/node/native/load.js';
import { Generator } from '../../src/tensor/random.js';
import { convGeometry, convSizes, describeConv, randomArray, reference, skipWithoutAddon } from './native-helpers.js';

/** The raw addon (gemmBf16 and the precision argument are not on NativeBackend), or null. */
const raw: NativeAddon | null = skipWithoutAddon === false ? loadNativeAddon({ warn: false }) : null;

/** The `skip` option: why the bf16 kernels cannot be tested here, or false. */
const skipWithoutBf16: string | false = (() => {
  if (skipWithoutAddon !== false) return skipWithoutAddon;
  if (raw === null) return 'native addon not loaded';
  const info = raw.info();
  if (info.bf16 === null) return `no bf16 kernels on this machine: ${info.bf16Unsupported}`;
  return false;
})();

function bf16Addon(): NativeAddon {
  if (raw === null) throw new Error('the native addon is not loaded');
  return raw;
}

/** The bf16 kernel sets this CPU has, lowest first ("avx512_bf16", and "amx" where it has AMX tiles). */
const BF16_LEVELS: readonly Bf16Level[] = raw === null || skipWithoutBf16 !== false ? [] : raw.info().bf16Levels;

/** The `skip` option of AMX-only tests: why AMX cannot be tested here, or false. */
const skipWithoutAmx: string | false =
  skipWithoutBf16 !== false
    ? skipWithoutBf16
    : BF16_LEVELS.includes('amx')
      ? false
      : 'this CPU has no AMX tiles (or Linux refused their state): only AVX512-BF16 is tested';

/** Runs fn with the bf16 kernels capped at `level`, then restores the best set; failures name the level. */
function atBf16Level(level: Bf16Level, fn: () => void): void {
  const a = bf16Addon();
  try {
    assert.equal(a.setBf16(level), level, `switching to the ${level} kernels`);
    try {
      fn();
    } catch (e) {
      if (e instanceof Error) e.message = `[bf16 kernels ${level}] ${e.message}`;
      throw e;
    }
  } finally {
    a.setBf16(BF16_LEVELS[BF16_LEVELS.length - 1]);
  }
}

/** Runs fn once per bf16 kernel set this CPU has. */
function forEachBf16(fn: (level: Bf16Level) => void): void {
  for (const level of BF16_LEVELS) atBf16Level(level, () => fn(level));
}

// ---- comparison helpers ----

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** The largest |actual − expected| divided by max |expected| (NaN anywhere gives Infinity). */
function errorRelativeToMax(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (Number.isNaN(d)) return Infinity;
    worst = Math.max(worst, d);
  }
  const scale = maxAbs(expected);
  return scale === 0 ? worst : worst / scale;
}

/** Asserts every |actual − expected| ≤ tol · max |expected|; returns the measured ratio. */
function assertCloseToMax(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): number {
  const err = errorRelativeToMax(actual, expected);
  if (!(err <= tol)) {
    let index = 0,
      worst = -1;
    for (let i = 0; i < actual.length; i++) {
      const d = Math.abs(actual[i] - expected[i]);
      if (!(d <= worst)) {
        worst = d;
        index = i;
        if (Number.isNaN(d)) break;
      }
    }
    assert.fail(
      `${what}: error ${err.toExponential(3)} of max |expected| > ${tol.toExponential(1)} ` +
        `(at flat index ${index}: got ${actual[index]}, expected ${expected[index]})`,
    );
  }
  return err;
}

/** C[M×N] = A[M×K]·B[K×N] in float64 (the inputs already rounded when bf16 is meant). */
function matmul64(M: number, N: number, K: number, A: Float32Array, B: Float32Array): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const a = A[i * K + k];
      if (a === 0) continue;
      const row = i * N,
        brow = k * N;
      for (let j = 0; j < N; j++) C[row + j] += a * B[brow + j];
    }
  }
  return C;
}

function gemmBf16(M: number, N: number, K: number, A: Float32Array, B: Float32Array): Float32Array {
  const C = new Float32Array(M * N).fill(Number.NaN); // every element must be written
  bf16Addon().gemmBf16(M, N, K, A, B, C);
  return C;
}

function bits(x: number): number {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0];
}

function fromBits(u: number): number {
  const i = new Uint32Array([u]);
  return new Float32Array(i.buffer)[0];
}

const hex = (u: number): string => `0x${u.toString(16).padStart(8, '0')}`;

// ---- GEMM ----

const EDGE = [1, 2, 3, 7, 12, 13, 31, 32, 33, 47, 48, 49, 64, 65, 100];
const TOL = 1e-5;

test('gemmBf16 equals the product of the bf16-rounded inputs on every edge shape', { skip: skipWithoutBf16 }, (t) => {
  forEachBf16((level) => {
    const gen = new Generator(71);
    let worst = 0;
    for (const M of EDGE) {
      for (const N of EDGE) {
        for (const K of EDGE) {
          const A = randomArray(M * K, gen),
            B = randomArray(K * N, gen);
          const expected = matmul64(M, N, K, roundArrayToBf16(A), roundArrayToBf16(B));
          worst = Math.max(worst, assertCloseToMax(gemmBf16(M, N, K, A, B), expected, TOL, `gemmBf16 M${M} N${N} K${K}`));
        }
      }
    }
    t.diagnostic(`${level}: worst error ${worst.toExponential(2)} of max |C|`);
  });
});

test('gemmBf16 on random shapes and value scales', { skip: skipWithoutBf16 }, () => {
  forEachBf16(() => {
    const gen = new Generator(72);
    for (let trial = 0; trial < 40; trial++) {
      const M = 1 + Math.floor(gen.uniformRange(0, 150));
      const N = 1 + Math.floor(gen.uniformRange(0, 150));
      const K = 1 + Math.floor(gen.uniformRange(0, 300));
      const scale = 2 ** Math.floor(gen.uniformRange(-20, 20));
      const A = randomArray(M * K, gen).map((v) => v * scale),
        B = randomArray(K * N, gen);
      const expected = matmul64(M, N, K, roundArrayToBf16(A), roundArrayToBf16(B));
      assertCloseToMax(gemmBf16(M, N, K, A, B), expected, TOL, `gemmBf16 M${M} N${N} K${K} scale 2^${Math.log2(scale)}`);
    }
  });
});

test('gemmBf16 really rounds its inputs: below-bf16 bits change the result', { skip: skipWithoutBf16 }, () => {
  forEachBf16(() => {
    // 1 + 3·2^-9 is between bf16's 1 and 1 + 2^-7 and rounds up; 1 − 3·2^-10 rounds to 1 − 2^-8.
    const K = 8,
      N = 3;
    const a = 1 + 3 * 2 ** -9,
      b = 1 - 3 * 2 ** -10;
    assert.equal(roundToBf16(a), 1 + 2 ** -7);
    assert.equal(roundToBf16(b), 1 - 2 ** -8);
    const A = new Float32Array(K).fill(a),
      B = new Float32Array(K * N).fill(b);
    const C = gemmBf16(1, N, K, A, B);
    // Every product and partial sum is exact in fp32, so the result is exact too.
    const rounded = K * (1 + 2 ** -7) * (1 - 2 ** -8);
    const fp32 = Math.fround(K * Math.fround(a * b));
    assert.notEqual(rounded, fp32);
    for (let j = 0; j < N; j++) {
      assert.equal(C[j], rounded, `column ${j}: ${C[j]} is the bf16 product ${rounded}`);
      assert.notEqual(C[j], fp32, `column ${j}: not the fp32 product`);
    }

    // Random data with low bits: clearly away from the fp32 product, on the rounded one.
    const gen = new Generator(73);
    const [M2, N2, K2] = [13, 33, 65];
    const A2 = randomArray(M2 * K2, gen),
      B2 = randomArray(K2 * N2, gen);
    const C2 = gemmBf16(M2, N2, K2, A2, B2);
    const exact = matmul64(M2, N2, K2, A2, B2);
    const bf16 = matmul64(M2, N2, K2, roundArrayToBf16(A2), roundArrayToBf16(B2));
    assertCloseToMax(C2, bf16, TOL, 'gemmBf16 against the rounded product');
    const fromExact = errorRelativeToMax(C2, exact);
    assert.ok(fromExact > 100 * TOL, `differs from the unrounded product by ${fromExact.toExponential(2)} (bf16 noise expected)`);
    assert.ok(fromExact < 2e-2, `but only by bf16 noise: ${fromExact.toExponential(2)}`);
  });
});

// ---- rounding edge cases ----

/** [name, input bits, expected bf16 bits (as float32 bits)] */
const ROUNDING_CASES: [string, number, number][] = [
  ['1 exactly', 0x3f800000, 0x3f800000],
  ['1 + 2^-8 (tie, even below)', 0x3f808000, 0x3f800000],
  ['1 + 3·2^-8 (tie, even above)', 0x3f818000, 0x3f820000],
  ['-(1 + 2^-8) (tie, negative)', 0xbf808000, 0xbf800000],
  ['-(1 + 3·2^-8) (tie, negative, up in magnitude)', 0xbf818000, 0xbf820000],
  ['just above a tie', 0x3f808001, 0x3f810000],
  ['just below a tie', 0x3f817fff, 0x3f810000],
  ['a carry into the exponent', 0x3fffffff, 0x40000000],
  ['largest float overflows to +Infinity', 0x7f7fffff, 0x7f800000],
  ['-largest float overflows to -Infinity', 0xff7fffff, 0xff800000],
  ['+Infinity', 0x7f800000, 0x7f800000],
  ['-Infinity', 0xff800000, 0xff800000],
  ['smallest normal kept', 0x00800000, 0x00800000],
  ['largest denormal to +0', 0x007fffff, 0x00000000],
  ['smallest denormal to +0', 0x00000001, 0x00000000],
  ['negative denormal to -0', 0x807fffff, 0x80000000],
  ['+0', 0x00000000, 0x00000000],
  ['-0', 0x80000000, 0x80000000],
  ['quiet NaN', 0x7fc00000, 0x7fc00000],
  ['signalling NaN made quiet (not Infinity)', 0x7f800001, 0x7fc00000],
  ['NaN with payload in the low bits only', 0xff80ffff, 0xffc00000],
];

test('roundArrayToBf16 rounds like vcvtneps2bf16: ties to even, denormals to signed zero, NaN quiet', () => {
  const input = new Uint32Array(ROUNDING_CASES.map(([, u]) => u));
  const out = roundArrayToBf16(new Float32Array(input.buffer));
  const outBits = new Uint32Array(out.buffer);
  ROUNDING_CASES.forEach(([name, u, expected], i) => {
    assert.equal(hex(outBits[i]), hex(expected), `${name}: ${hex(u)}`);
  });
  // roundToBf16 (through a JS number) agrees; NaN payload bits may not survive a number, NaN-ness does.
  for (const [name, u, expected] of ROUNDING_CASES) {
    const r = roundToBf16(fromBits(u));
    if (Number.isNaN(fromBits(expected))) assert.ok(Number.isNaN(r), `${name}: NaN`);
    else assert.equal(hex(bits(r)), hex(expected), `roundToBf16 ${name}`);
  }
});

test('gemmBf16 1×1×1 products round exactly as roundToBf16 does', { skip: skipWithoutBf16 }, () => {
  forEachBf16(() => {
    const one = new Float32Array([1]);
    for (const [name, u, expected] of ROUNDING_CASES) {
      const A = new Float32Array(new Uint32Array([u]).buffer);
      const c = gemmBf16(1, 1, 1, A, one)[0];
      const want = fromBits(expected);
      if (Number.isNaN(want)) {
        assert.ok(Number.isNaN(c), `${name}: NaN propagates, got ${c}`);
      } else if (want === 0) {
        // The accumulator starts at +0, so -0·1 comes out as +0: only the value is checked.
        assert.equal(c === 0, true, `${name}: ${hex(u)} gives zero, got ${c}`);
      } else {
        assert.equal(hex(bits(c)), hex(expected), `${name}: ${hex(u)}`);
      }
      // The same input on the B side.
      const cb = gemmBf16(1, 1, 1, one, A)[0];
      if (Number.isNaN(want)) assert.ok(Number.isNaN(cb), `${name} (B side): NaN`);
      else if (want === 0) assert.equal(cb === 0, true, `${name} (B side): zero, got ${cb}`);
      else assert.equal(hex(bits(cb)), hex(expected), `${name} (B side)`);
    }
    // NaN and ±Infinity in a longer product: NaN wins, Infinity·0-free sums stay infinite.
    const K = 37;
    const A = new Float32Array(K).fill(0.5),
      B = new Float32Array(K * 2).fill(1);
    A[20] = Number.POSITIVE_INFINITY;
    B[5 * 2 + 1] = Number.NaN;
    const C = gemmBf16(1, 2, K, A, B);
    assert.equal(C[0], Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(C[1]), `column 1 holds a NaN input, got ${C[1]}`);
    A[20] = Number.NEGATIVE_INFINITY;
    assert.equal(gemmBf16(1, 2, K, A, B)[0], Number.NEGATIVE_INFINITY);
  });
});

// ---- packed linear ----

test('packed bf16 linear (dot and tile paths) equals the reference on rounded x and w', { skip: skipWithoutBf16 }, (t) => {
  forEachBf16((level) => {
    const a = bf16Addon();
    const gen = new Generator(74);
    // batch ≤ 4: dot path; more: tile path. inFeatures odd and even, outFeatures not multiples of the tiles.
    const batches = [1, 2, 3, 4, 5, 32, 33];
    const layers: [number, number][] = [
      [1, 1],
      [7, 3],
      [64, 17],
      [513, 100],
      [300, 65],
      [1000, 9],
    ];
    let worst = 0;
    for (const [inF, outF] of layers) {
      const w = randomArray(outF * inF, gen);
      const bias = randomArray(outF, gen);
      const packed = a.packLinearWeight(outF, inF, w, 'bf16');
      const wr = roundArrayToBf16(w);
      try {
        for (const batch of batches) {
          const x = randomArray(batch * inF, gen);
          const xr = roundArrayToBf16(x);
          for (const b of [null, bias]) {
            for (const relu of [false, true]) {
              const expected = new Float32Array(batch * outF);
              reference.linearForward(batch, inF, outF, xr, wr, b, expected, relu);
              const actual = new Float32Array(batch * outF).fill(Number.NaN);
              a.linearForward(batch, inF, outF, x, packed, b, actual, relu);
              const what = `bf16 linear B${batch} in${inF} out${outF} bias${+(b !== null)} relu${+relu}`;
              worst = Math.max(worst, assertCloseToMax(actual, expected, TOL, what));
              if (relu)
                assert.ok(
                  actual.every((v) => v >= 0),
                  `${what}: fused ReLU leaves no negatives`,
                );
            }
          }
        }
      } finally {
        a.disposePackedWeight(packed);
      }
    }
    t.diagnostic(`${level}: worst error ${worst.toExponential(2)} of max |out|`);
  });
});

test('packing that consumes its source packs the same weight and leaves the source zero', { skip: skipWithoutBf16 }, () => {
  forEachBf16(() => {
    const a = bf16Addon();
    const gen = new Generator(75);
    // 4096 × 600 floats: whole 4 KiB pages inside each block of rows, which go back to the OS; partial ones are zeroed.
    for (const [inF, outF] of [
      [600, 4096],
      [7, 3],
    ] as const) {
      const w = randomArray(outF * inF, gen);
      const copy = w.slice();
      const kept = a.packLinearWeight(outF, inF, copy, 'bf16');
      const consumed = a.packLinearWeight(outF, inF, w, 'bf16', true);
      try {
        assert.ok(
          copy.some((v) => v !== 0),
          'without consume the source stays',
        );
        assert.ok(
          w.every((v) => v === 0),
          `${outF}×${inF}: the consumed source reads zero`,
        );
        const x = randomArray(3 * inF, gen);
        const expected = new Float32Array(3 * outF);
        const actual = new Float32Array(3 * outF);
        a.linearForward(3, inF, outF, x, kept, null, expected, false);
        a.linearForward(3, inF, outF, x, consumed, null, actual, false);
        assert.deepEqual(actual, expected, `${outF}×${inF}: the same product`);
      } finally {
        a.disposePackedWeight(kept);
        a.disposePackedWeight(consumed);
      }
    }
  });
});

test('packed bf16 linear rounds x too (not only the weight)', { skip: skipWithoutBf16 }, () => {
  forEachBf16(() => {
    const a = bf16Addon();
    const inF = 16,
      outF = 4;
    const w = new Float32Array(outF * inF).fill(1);
    const packed = a.packLinearWeight(outF, inF, w, 'bf16');
    try {
      for (const batch of [1, 6]) {
        const x = new Float32Array(batch * inF).fill(1 + 3 * 2 ** -9); // bf16: 1 + 2^-7
        const out = new Float32Array(batch * outF);
        a.linearForward(batch, inF, outF, x, packed, null, out, false);
        for (const v of out) assert.equal(v, inF * (1 + 2 ** -7), `batch ${batch}`);
      }
    } finally {
      a.disposePackedWeight(packed);
    }
  });
});

// ---- packed conv ----

function randomConv(g: Conv2dGeometry, gen: Generator): { x: Float32Array; w: Float32Array; bias: Float32Array } {
  const s = convSizes(g);
  return { x: randomArray(s.x, gen), w: randomArray(s.w, gen), bias: randomArray(g.outChannels, gen) };
}

function packedConv(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, relu: boolean): Float32Array {
  const a = bf16Addon();
  const handle = a.packConvWeight(g, w, 'bf16');
  try {
    const out = new Float32Array(convSizes(g).out).fill(Number.NaN);
    a.conv2dForwardPacked(g, handle, x, bias, out, relu);
    return out;
  } finally {
    a.disposePackedWeight(handle);
  }
}

function jsConv(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, relu: boolean): Float32Array {
  const out = new Float32Array(convSizes(g).out);
  reference.conv2dForward(g, x, w, bias, out, relu);
  return out;
}

/**
 * A conv without bias, with bias, and with bias and fused ReLU: `run(b, relu)`
 * against `expected(b, relu)` within tol of its max, no negatives after ReLU,
 * and `also(out, relu, what)` for a test's own checks; the worst error.
 */
function checkBiasAndRelu(
  label: string,
  bias: Float32Array,
  tol: number,
  run: (b: Float32Array | null, relu: boolean) => Float32Array,
  expected: (b: Float32Array | null, relu: boolean) => Float32Array,
  also?: (out: Float32Array, expected: Float32Array, relu: boolean, what: string) => void,
): number {
  let worst = 0;
  for (const [b, relu] of [
    [null, false],
    [bias, false],
    [bias, true],
  ] as const) {
    const out = run(b, relu);
    const want = expected(b, relu);
    const what = `${label} bias${+(b !== null)} relu${+relu}`;
    worst = Math.max(worst, assertCloseToMax(out, want, tol, what));
    if (relu)
      assert.ok(
        out.every((v) => v >= 0),
        `${what}: fused ReLU leaves no negatives`,
      );
    also?.(out, want, relu, what);
  }
  return worst;
}

const DIRECT: Conv2dGeometry[] = [
  // conv1-like: 11×11 stride 4 pad 2 (K = 363, odd), on an output too small for space-to-depth Winograd.
  convGeometry({ batch: 2, inChannels: 3, inH: 19, inW: 15, outChannels: 64, kernel: 11, stride: 4, pad: 2 }),
  // 1×1 (K = cg, even), more output channels than one panel.
  convGeometry({ batch: 2, inChannels: 16, inH: 5, inW: 7, outChannels: 70, kernel: 1 }),
  // 1×1 with K = 1.
  convGeometry({ batch: 1, inChannels: 1, inH: 3, inW: 3, outChannels: 5, kernel: 1 }),
  // Dilated (the per-tap gather, not the runs).
  convGeometry({ batch: 2, inChannels: 6, inH: 12, inW: 12, outChannels: 8, kernel: 3, pad: 2, dilation: 2 }),
  convGeometry({ batch: 1, inChannels: 4, inH: 10, inW: 13, outChannels: 4, kernel: 3, stride: 2, pad: 1, dilation: [2, 3] }),
  // 3×3 and 5×5 with few channels stay on the direct path; groups; rectangular.
  convGeometry({ batch: 1, inChannels: 3, inH: 9, inW: 8, outChannels: 17, kernel: 3, pad: 1 }),
  convGeometry({ batch: 1, inChannels: 6, inH: 9, inW: 8, outChannels: 6, kernel: 5, stride: 2, pad: 2, groups: 3 }),
  convGeometry({ batch: 1, inChannels: 3, inH: 12, inW: 9, outChannels: 5, kernel: [3, 2], stride: [2, 1], pad: [1, 0] }),
  // 3×3 stride 2 (direct despite ≥ 16 channels).
  convGeometry({ batch: 1, inChannels: 20, inH: 9, inW: 9, outChannels: 33, kernel: 3, stride: 2, pad: 1 }),
];

// 5×5 stride 1 with ≥ 16 channels per group: fp32 Winograd in bf16 mode too (a bf16 5×5 transform would
// amplify the rounding ~7×, and direct bf16 was 2× slower than fp32 Winograd on AlexNet's conv2). So do strided
// layers that space-to-depth makes Winograd ones (conv1: fp32 F(5, 3) beat direct bf16 by 1.5×).
const FP32_WINOGRAD: Conv2dGeometry[] = [
  convGeometry({ batch: 2, inChannels: 3, inH: 35, inW: 33, outChannels: 64, kernel: 11, stride: 4, pad: 2 }),
  convGeometry({ batch: 1, inChannels: 19, inH: 9, inW: 10, outChannels: 24, kernel: 5, pad: 2 }),
  convGeometry({ batch: 2, inChannels: 32, inH: 7, inW: 7, outChannels: 17, kernel: 5, pad: 2 }),
  convGeometry({ batch: 1, inChannels: 66, inH: 8, inW: 8, outChannels: 32, kernel: 5, pad: 2, groups: 2 }),
];

test('on AVX512-BF16, a bf16-packed 5×5 stride-1 or space-to-depth conv runs the fp32 Winograd: the fp32 packed conv, bit for bit', {
  skip: skipWithoutBf16,
}, () => {
  atBf16Level('avx512_bf16', () => {
    const a = bf16Addon();
    const gen = new Generator(78);
    for (const g of FP32_WINOGRAD) {
      const { x, w, bias } = randomConv(g, gen);
      const handle = a.packConvWeight(g, w);
      try {
        for (const relu of [false, true]) {
          const fp32 = new Float32Array(convSizes(g).out);
          a.conv2dForwardPacked(g, handle, x, bias, fp32, relu);
          assert.deepEqual(packedConv(g, x, w, bias, relu), fp32, `${describeConv(g)} relu${+relu}`);
        }
      } finally {
        a.disposePackedWeight(handle);
      }
    }
  });
});

test('packed bf16 conv on the direct path equals the js conv on rounded x and w', { skip: skipWithoutBf16 }, (t) => {
  forEachBf16((level) => {
    const gen = new Generator(75);
    let worst = 0;
    for (const g of DIRECT) {
      const { x, w, bias } = randomConv(g, gen);
      const xr = roundArrayToBf16(x),
        wr = roundArrayToBf16(w);
      const run = (b: Float32Array | null, relu: boolean): Float32Array => packedConv(g, x, w, b, relu);
      const label = `bf16 direct conv ${describeConv(g)}`;
      worst = Math.max(
        worst,
        checkBiasAndRelu(label, bias, TOL, run, (b, relu) => jsConv(g, xr, wr, b, relu)),
      );
      // And it is bf16, not fp32: the unrounded conv is a visible distance away (K > 1 only).
      if (g.kernelH * g.kernelW * (g.inChannels / g.groups) > 1) {
        const fp32 = jsConv(g, x, w, bias, false);
        const d = errorRelativeToMax(packedConv(g, x, w, bias, false), fp32);
        assert.ok(d > 1e-4 && d < 2e-2, `${describeConv(g)}: ${d.toExponential(2)} from fp32 (bf16 noise expected)`);
      }
    }
    t.diagnostic(`${level}: worst error ${worst.toExponential(2)} of max |out|`);
  });
});

const WINOGRAD: Conv2dGeometry[] = [
  // 3×3 stride 1 pad 1, ≥ 16 channels per group: cg odd and even, groups 2.
  convGeometry({ batch: 2, inChannels: 17, inH: 13, inW: 11, outChannels: 20, kernel: 3, pad: 1 }),
  convGeometry({ batch: 1, inChannels: 32, inH: 8, inW: 9, outChannels: 50, kernel: 3, pad: 1 }),
  convGeometry({ batch: 2, inChannels: 34, inH: 7, inW: 7, outChannels: 40, kernel: 3, pad: 1, groups: 2 }),
  convGeometry({ batch: 1, inChannels: 64, inH: 6, inW: 6, outChannels: 96, kernel: 3, pad: 1, groups: 2 }),
];

// Winograd (3×3 only in bf16) rounds the transformed input tile (and the
// transformed filter) to bf16, not the input itself, so it is not the
// rounded-input reference. The transform amplifies the error: measured (max
// error / max |out|) about 5e-3 for F(2×2, 3×3), against 2–3e-3 for rounding
// the input and weight (the direct path).
const WINOGRAD_TOL: Record<number, number> = { 3: 1e-2 };

test('on AVX512-BF16, packed bf16 conv on the Winograd path is within bf16 error of the fp32 conv', { skip: skipWithoutBf16 }, (t) => {
  atBf16Level('avx512_bf16', () => {
    const gen = new Generator(76);
    let worst = 0;
    for (const g of WINOGRAD) {
      const tol = WINOGRAD_TOL[g.kernelH];
      const { x, w, bias } = randomConv(g, gen);
      const run = (b: Float32Array | null, relu: boolean): Float32Array => packedConv(g, x, w, b, relu);
      const roundedAway = (out: Float32Array, expected: Float32Array, relu: boolean, what: string): void => {
        if (relu) return;
        const d = errorRelativeToMax(out, expected);
        assert.ok(d > 1e-5, `${what}: ${d.toExponential(2)} from fp32 (bf16 rounding expected)`);
      };
      const label = `bf16 Winograd conv ${describeConv(g)}`;
      worst = Math.max(
        worst,
        checkBiasAndRelu(label, bias, tol, run, (b, relu) => jsConv(g, x, w, b, relu), roundedAway),
      );
    }
    t.diagnostic(`worst error ${worst.toExponential(2)} of max |out|`);
  });
});

// ---- AMX: convolutions from pair planes ----

// Every undilated layer with equal strides, on AMX: the direct product read
// from pair planes (strided layers after space-to-depth), so exactly the
// rounded-input reference, whatever the kernel, stride, channel count,
// batch (whole images per thread from 2 × threads images) or block edges.
const PAIR_PLANES: Conv2dGeometry[] = [
  ...FP32_WINOGRAD,
  ...WINOGRAD,
  // 11×11 stride 4 unpadded (alexnet-original's 227 input): a phase row and column past the input.
  convGeometry({ batch: 1, inChannels: 3, inH: 31, inW: 35, outChannels: 48, kernel: 11, stride: 4 }),
  // Stride 3: odd space-to-depth, whose channel pairs straddle phase rows.
  convGeometry({ batch: 2, inChannels: 5, inH: 17, inW: 14, outChannels: 20, kernel: 5, stride: 3, pad: 1 }),
  // 3×3 stride 2 pad 1: even space-to-depth starting at an odd source column.
  convGeometry({ batch: 1, inChannels: 20, inH: 9, inW: 9, outChannels: 33, kernel: 3, stride: 2, pad: 1 }),
  // 1×1 stride 2: space-to-depth with all-zero phases.
  convGeometry({ batch: 1, inChannels: 7, inH: 8, inW: 9, outChannels: 9, kernel: 1, stride: 2 }),
  // A rectangular kernel at stride 1, padded on one axis only.
  convGeometry({ batch: 1, inChannels: 40, inH: 9, inW: 12, outChannels: 70, kernel: [3, 5], pad: [1, 0] }),
  // Whole images per thread; 65 channels (three 32-channel steps), 80 outputs (a partial block of 16).
  convGeometry({ batch: 5, inChannels: 65, inH: 7, inW: 6, outChannels: 80, kernel: 3, pad: 1 }),
  // A one-pixel output.
  convGeometry({ batch: 3, inChannels: 8, inH: 3, inW: 3, outChannels: 16, kernel: 3 }),
  // Rows wider than a block of 32 positions.
  convGeometry({ batch: 1, inChannels: 4, inH: 5, inW: 70, outChannels: 17, kernel: 3, pad: 1 }),
  // Groups, whole images per thread.
  convGeometry({ batch: 4, inChannels: 32, inH: 10, inW: 10, outChannels: 96, kernel: 5, pad: 2, groups: 2 }),
];

test('on AMX, undilated convs with equal strides run from pair planes and equal the js conv on rounded x and w', { skip: skipWithoutAmx }, (t) => {
  atBf16Level('amx', () => {
    const a = bf16Addon();
    const gen = new Generator(79);
    let worst = 0;
    for (const g of PAIR_PLANES) {
      const { x, w, bias } = randomConv(g, gen);
      const xr = roundArrayToBf16(x),
        wr = roundArrayToBf16(w);
      const handle = a.packConvWeight(g, w, 'bf16');
      try {
        const algorithm = a.packedConvAlgorithm(handle);
        const s = g.strideH;
        const expectedAlgorithm = `direct (AMX tiles on pair planes)${s > 1 ? ` after ${s}×${s} space-to-depth` : ''}, bf16`;
        assert.equal(algorithm, expectedAlgorithm, describeConv(g));
        const run = (b: Float32Array | null, relu: boolean): Float32Array => {
          const out = new Float32Array(convSizes(g).out).fill(Number.NaN); // every element must be written
          a.conv2dForwardPacked(g, handle, x, b, out, relu);
          return out;
        };
        worst = Math.max(
          worst,
          checkBiasAndRelu(`AMX conv ${describeConv(g)}`, bias, TOL, run, (b, relu) => jsConv(g, xr, wr, b, relu)),
        );
      } finally {
        a.disposePackedWeight(handle);
      }
    }
    // Dilated layers and unequal strides keep the im2col path (on AMX tiles).
    for (const g of DIRECT.filter((d) => d.dilationH !== 1 || d.dilationW !== 1 || d.strideH !== d.strideW)) {
      const handle = a.packConvWeight(g, randomConv(g, gen).w, 'bf16');
      try {
        assert.equal(a.packedConvAlgorithm(handle), 'direct (implicit im2col), bf16', describeConv(g));
      } finally {
        a.disposePackedWeight(handle);
      }
    }
    t.diagnostic(`worst error ${worst.toExponential(2)} of max |out|`);
  });
});

test('weights packed for one bf16 kernel set keep running after a switch to the other', { skip: skipWithoutAmx }, () => {
  const a = bf16Addon();
  const gen = new Generator(80);
  const g = convGeometry({ batch: 2, inChannels: 24, inH: 9, inW: 9, outChannels: 40, kernel: 3, pad: 1 });
  const { x, w, bias } = randomConv(g, gen);
  const [inF, outF] = [45, 37];
  const lw = randomArray(outF * inF, gen);
  for (const [packLevel, runLevel] of [
    ['amx', 'avx512_bf16'],
    ['avx512_bf16', 'amx'],
  ] as const) {
    let conv: PackedConvHandle | null = null;
    let linear: PackedConvHandle | null = null;
    try {
      atBf16Level(packLevel, () => {
        conv = a.packConvWeight(g, w, 'bf16');
        linear = a.packLinearWeight(outF, inF, lw, 'bf16');
      });
      const packedConv = conv as unknown as PackedConvHandle,
        packedLinear = linear as unknown as PackedConvHandle;
      // The packing keeps its kernel set's algorithm (and padding) after the switch.
      const algorithm = a.packedConvAlgorithm(packedConv);
      assert.match(algorithm, packLevel === 'amx' ? /AMX tiles/ : /Winograd F\(2×2, 3×3\), bf16/);
      atBf16Level(runLevel, () => {
        assert.equal(a.packedConvAlgorithm(packedConv), algorithm);
        const out = new Float32Array(convSizes(g).out).fill(Number.NaN);
        a.conv2dForwardPacked(g, packedConv, x, bias, out, true);
        const expected = packLevel === 'amx' ? jsConv(g, roundArrayToBf16(x), roundArrayToBf16(w), bias, true) : jsConv(g, x, w, bias, true);
        assertCloseToMax(out, expected, packLevel === 'amx' ? TOL : WINOGRAD_TOL[3], `conv packed on ${packLevel}, run on ${runLevel}`);
        for (const batch of [2, 6]) {
          const lx = randomArray(batch * inF, gen);
          const want = new Float32Array(batch * outF);
          reference.linearForward(batch, inF, outF, roundArrayToBf16(lx), roundArrayToBf16(lw), null, want, false);
          const got = new Float32Array(batch * outF).fill(Number.NaN);
          a.linearForward(batch, inF, outF, lx, packedLinear, null, got, false);
          assertCloseToMax(got, want, TOL, `linear B${batch} packed on ${packLevel}, run on ${runLevel}`);
        }
      });
    } finally {
      if (conv !== null) a.disposePackedWeight(conv);
      if (linear !== null) a.disposePackedWeight(linear);
    }
  }
});

test('setBf16 takes the kernel sets by name and info() lists those this CPU has', { skip: skipWithoutBf16 }, () => {
  const a = bf16Addon();
  const info = a.info();
  assert.ok(info.bf16Levels.length >= 1 && info.bf16Levels[0] === 'avx512_bf16', `levels ${info.bf16Levels.join(', ')}`);
  assert.equal(info.bf16, info.bf16Levels[info.bf16Levels.length - 1], 'the best set is in use');
  if (!info.cpuFeatures.includes('amx_bf16')) assert.ok(!info.bf16Levels.includes('amx'), 'no AMX listed without the CPU feature');
  assert.throws(() => a.setBf16('avx2' as never), /level must be 'avx512_bf16' or 'amx', got 'avx2'/);
  assert.equal(a.info().bf16, info.bf16, 'a refused name changes nothing');
  atBf16Level('avx512_bf16', () => assert.equal(a.info().bf16, 'avx512_bf16'));
  assert.equal(a.info().bf16, info.bf16, 'restored');
});

test('a bf16-packed conv runs for any batch and spatial size of the same weight', { skip: skipWithoutBf16 }, () => {
  forEachBf16(() => {
    const a = bf16Addon();
    const gen = new Generator(77);
    const base = { inChannels: 8, outChannels: 12, kernel: 3, pad: 1 };
    const g0 = convGeometry({ ...base, batch: 1, inH: 6, inW: 6 });
    const w = randomArray(convSizes(g0).w, gen);
    const handle = a.packConvWeight(g0, w, 'bf16');
    try {
      for (const [batch, inH, inW] of [
        [1, 6, 6],
        [3, 10, 7],
        [2, 1, 1],
      ]) {
        const g = convGeometry({ ...base, batch, inH, inW });
        const x = randomArray(convSizes(g).x, gen);
        const out = new Float32Array(convSizes(g).out);
        a.conv2dForwardPacked(g, handle, x, null, out, false);
        assertCloseToMax(out, jsConv(g, roundArrayToBf16(x), roundArrayToBf16(w), null, false), TOL, describeConv(g));
      }
    } finally {
      a.disposePackedWeight(handle);
    }
  });
});

// ---- lowered SIMD level ----

test('with the SIMD level lowered to avx2, bf16 is refused with the reason', { skip: skipWithoutBf16 }, () => {
  const a = bf16Addon();
  const best = a.info().bestSimd;
  const g = convGeometry({ batch: 1, inChannels: 3, inH: 8, inW: 8, outChannels: 4, kernel: 3, pad: 1 });
  const gen = new Generator(78);
  const w = randomArray(convSizes(g).w, gen),
    x = randomArray(convSizes(g).x, gen);
  const packedBefore = a.packConvWeight(g, w, 'bf16');
  const linearBefore = a.packLinearWeight(3, 5, randomArray(15, gen), 'bf16');
  try {
    assert.equal(a.setSimd('avx2'), 'avx2');
    const info = a.info();
    assert.equal(info.bf16, null);
    assert.match(info.bf16Unsupported, /ALEXNET_SIMD/);
    assert.match(info.bf16Unsupported, /avx2/);
    const reason = (e: unknown): boolean => e instanceof Error && /ALEXNET_SIMD/.test(e.message);
    assert.throws(() => a.packConvWeight(g, w, 'bf16'), reason, 'packConvWeight');
    assert.throws(() => a.packLinearWeight(3, 5, new Float32Array(15), 'bf16'), reason, 'packLinearWeight');
    assert.throws(() => a.gemmBf16(1, 1, 1, new Float32Array(1), new Float32Array(1), new Float32Array(1)), reason, 'gemmBf16');
    // Weights packed before the switch are refused too (not run on missing kernels).
    assert.throws(
      () => a.conv2dForwardPacked(g, packedBefore, x, null, new Float32Array(convSizes(g).out), false),
      reason,
      'conv2dForwardPacked with a bf16 handle',
    );
    assert.throws(
      () => a.linearForward(1, 5, 3, new Float32Array(5), linearBefore, null, new Float32Array(3), false),
      reason,
      'linearForward with a bf16 handle',
    );
    // fp32 packing still works at this level.
    const fp32 = a.packConvWeight(g, w, 'fp32');
    a.disposePackedWeight(fp32);
  } finally {
    a.setSimd(best);
  }
  // Restored: bf16 is back and the old handles run.
  assert.equal(a.info().bf16 !== null, true, 'bf16 kernels back after restoring the SIMD level');
  const out = new Float32Array(convSizes(g).out);
  a.conv2dForwardPacked(g, packedBefore, x, null, out, false);
  assertCloseToMax(out, jsConv(g, roundArrayToBf16(x), roundArrayToBf16(w), null, false), TOL, 'after restoring');
  a.disposePackedWeight(packedBefore);
  a.disposePackedWeight(linearBefore);
});

test('the precision argument is checked', { skip: skipWithoutBf16 }, () => {
  const a = bf16Addon();
  const g = convGeometry({ batch: 1, inChannels: 1, inH: 2, inW: 2, outChannels: 1, kernel: 1 });
  assert.throws(() => a.packConvWeight(g, new Float32Array(1), 'fp16' as never), /precision.*'fp16'/);
  // An fp32 linear packing keeps the weight in place (sparse-linear.test.ts): there is nothing to consume.
  assert.throws(() => a.packLinearWeight(1, 1, new Float32Array(1), 'fp32', true), /consume applies to bf16/);
});
