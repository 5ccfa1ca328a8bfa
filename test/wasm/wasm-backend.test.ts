/**
 * The wasm backend (native/src compiled to WebAssembly SIMD, committed in
 * wasm/) against the js reference kernel by kernel, and end to end against
 * torch 1.13's logits and gradients from the parity fixtures. Node runs the
 * single-threaded build; the threaded one is checked in Chromium
 * (test/browser/).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { referenceBackend, withBackend } from '../../src/backend/registry.js';
import { JsBackend } from '../../src/backend/js/index.js';
import { toRgb } from '../../src/image/convert.js';
import { imagenetEvalTransform } from '../../src/image/imagenet.js';
import { resizeBilinearWindow } from '../../src/image/resample.js';
import { createModel } from '../../src/models/registry.js';
import { loadWasmBackend } from '../../src/node/wasm/load.js';
import { Generator } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { CONV_TEST_GEOMETRIES, convGeometry, convSizes, describeConv, poolGeometry, randomArray } from '../helpers/kernel-geometry.js';
import { checkModelGradients, checkModelInference, loadModelFixture, prepareModel } from '../helpers/model-fixtures.js';
import { noiseImage } from '../image/helpers.js';

const wasm = await loadWasmBackend();
const reference = referenceBackend();
const TOL = 1e-5;

test('the wasm backend reports its build, kernels and why it runs single-threaded in Node', () => {
  const info = wasm.info();
  assert.equal(info.name, 'wasm');
  assert.equal(info.build, 'simd');
  assert.equal(info.threaded, false);
  assert.equal(info.threads, 1);
  assert.equal(info.simd, 'wasm-simd128');
  assert.match(info.reason, /no Worker/);
  assert.ok(info.tileRows >= 1 && info.tileColumns === 8);
});

test('conv2dForward, packed and unpacked, matches the reference on every geometry', () => {
  const gen = new Generator(30);
  for (const g of CONV_TEST_GEOMETRIES) {
    const s = convSizes(g);
    const x = randomArray(s.x, gen),
      w = randomArray(s.w, gen),
      bias = randomArray(g.outChannels, gen);
    const expected = new Float32Array(s.out);
    reference.conv2dForward(g, x, w, bias, expected, true);
    const actual = new Float32Array(s.out);
    wasm.conv2dForward(g, x, w, bias, actual, true);
    assertClose(actual, expected, TOL, `conv forward ${describeConv(g)}`);
    const packed = wasm.packConv2dWeight(g, w);
    const fromPacked = new Float32Array(s.out);
    wasm.conv2dForwardPacked(g, packed, x, bias, fromPacked, true);
    packed.dispose();
    assertClose(fromPacked, expected, TOL, `packed conv forward ${describeConv(g)}`);
  }
});

test("packed convolutions name their algorithm: conv1's space-to-depth Winograd, a small layer's direct product", () => {
  const gen = new Generator(31);
  const conv1 = convGeometry({ batch: 1, inChannels: 3, inH: 224, inW: 224, outChannels: 64, kernel: 11, stride: 4, pad: 2 });
  const small = convGeometry({ batch: 1, inChannels: 3, inH: 9, inW: 9, outChannels: 8, kernel: 3, pad: 1 });
  for (const [g, expected] of [
    [conv1, 'Winograd F(5×5, 3×3) after 4×4 space-to-depth'],
    [small, 'direct (implicit im2col)'],
  ] as const) {
    const packed = wasm.packConv2dWeight(g, randomArray(convSizes(g).w, gen));
    assert.equal(packed.algorithm, expected, describeConv(g));
    packed.dispose();
  }
});

// A layer whose F(5, 3) filters would take 8 MB or more (here 49 × 64 × 1032 floats: 13 MB) keeps its weights as they
// are and transforms them per call when images are no more than threads (Node: batch 1), a chunk of panels at a time
// (here 3 panels of 8 channels, the last one partial), and once, kept, for larger batches (native/src/winograd.cc).
// Both transforms give the same filters to the bit.
test('large Winograd filters transformed per call at batch 1 match the reference and the batch of 3 to the bit', () => {
  const gen = new Generator(39);
  const layer = (batch: number) => convGeometry({ batch, inChannels: 64, inH: 13, inW: 13, outChannels: 1028, kernel: 3, pad: 1 });
  const w = randomArray(convSizes(layer(1)).w, gen),
    bias = randomArray(1028, gen);
  const packed = wasm.packConv2dWeight(layer(1), w);
  assert.equal(packed.algorithm, 'Winograd F(5×5, 3×3), filters transformed per call');
  const x3 = randomArray(convSizes(layer(3)).x, gen);
  const run = (batch: number, x: Float32Array): Float32Array => {
    const g = layer(batch);
    const out = new Float32Array(convSizes(g).out);
    wasm.conv2dForwardPacked(g, packed, x, bias, out, true);
    const expected = new Float32Array(convSizes(g).out);
    reference.conv2dForward(g, x, w, bias, expected, true);
    assertClose(out, expected, TOL, `batch ${batch}`);
    return out;
  };
  const image = 64 * 169,
    outImage = 1028 * 169;
  const single = run(1, x3.subarray(image, 2 * image));
  const batch = run(3, x3);
  const again = run(1, x3.subarray(image, 2 * image));
  assert.deepEqual(again, single, 'the same image twice at batch 1');
  assert.deepEqual(batch.subarray(outImage, 2 * outImage), single, "batch 3's second image as at batch 1");
  packed.dispose();
});

test('an unpacked direct convolution after a backward pass that kept large Winograd filters per call is not run as Winograd', () => {
  // Unpacked calls on a thread share one scratch packing; the backward data pass of a wide 3×3 layer leaves its
  // filters there "to transform per call", and a later strided 11×11 layer (direct) must not take them.
  const gen = new Generator(41);
  const wide = convGeometry({ batch: 1, inChannels: 192, inH: 13, inW: 13, outChannels: 384, kernel: 3, pad: 1 });
  const wideSizes = convSizes(wide);
  wasm.conv2dBackwardData(wide, randomArray(wideSizes.out, gen), randomArray(wideSizes.w, gen), new Float32Array(wideSizes.x));
  const strided = convGeometry({ batch: 2, inChannels: 3, inH: 67, inW: 67, outChannels: 64, kernel: 11, stride: 4, pad: 2 });
  const s = convSizes(strided);
  const x = randomArray(s.x, gen),
    w = randomArray(s.w, gen),
    bias = randomArray(64, gen);
  const expected = new Float32Array(s.out);
  reference.conv2dForward(strided, x, w, bias, expected, false);
  for (const attempt of [1, 2]) {
    const out = new Float32Array(s.out);
    wasm.conv2dForward(strided, x, w, bias, out, false);
    assertClose(out, expected, TOL, `11×11 stride-4 forward after the wide backward pass, call ${attempt}`);
  }
});

test('conv2d gradients (data, weight, bias) match the reference on every geometry', () => {
  const gen = new Generator(31);
  for (const g of CONV_TEST_GEOMETRIES) {
    const s = convSizes(g);
    const x = randomArray(s.x, gen),
      w = randomArray(s.w, gen),
      gradOut = randomArray(s.out, gen);
    const [gi0, gi1] = [new Float32Array(s.x), new Float32Array(s.x)];
    reference.conv2dBackwardData(g, gradOut, w, gi0);
    wasm.conv2dBackwardData(g, gradOut, w, gi1);
    assertClose(gi1, gi0, TOL, `conv backward data ${describeConv(g)}`);
    const [gw0, gw1, gb0, gb1] = [new Float32Array(s.w), new Float32Array(s.w), new Float32Array(g.outChannels), new Float32Array(g.outChannels)];
    reference.conv2dBackwardWeight(g, x, gradOut, gw0, gb0);
    wasm.conv2dBackwardWeight(g, x, gradOut, gw1, gb1);
    assertClose(gw1, gw0, TOL, `conv backward weight ${describeConv(g)}`);
    assertClose(gb1, gb0, TOL, `conv backward bias ${describeConv(g)}`);
  }
});

test('gemm matches the reference for every transpose, edge sizes and accumulation', () => {
  const gen = new Generator(32);
  for (const [M, N, K] of [
    [1, 1, 1],
    [5, 8, 3],
    [7, 9, 13],
    [33, 17, 300],
    [2, 1000, 64],
    [64, 3, 5],
  ]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          const A = randomArray(M * K, gen),
            B = randomArray(K * N, gen),
            C0 = randomArray(M * N, gen);
          const [expected, actual] = [C0.slice(), C0.slice()];
          reference.gemm(transA, transB, M, N, K, A, B, expected, accumulate);
          wasm.gemm(transA, transB, M, N, K, A, B, actual, accumulate);
          assertClose(actual, expected, TOL, `gemm ${M}x${N}x${K} tA${+transA} tB${+transB} acc${+accumulate}`);
        }
      }
    }
  }
});

test('linearForward, with the weight in place or packed once, matches the reference at every batch path', () => {
  const gen = new Generator(33);
  // Batch 1-2: dot products; 7: the transposed product; 50: register tiles.
  for (const batch of [1, 2, 7, 50]) {
    const [inF, outF] = [37, 45];
    const x = randomArray(batch * inF, gen),
      w = randomArray(outF * inF, gen),
      bias = randomArray(outF, gen);
    const expected = new Float32Array(batch * outF);
    reference.linearForward(batch, inF, outF, x, w, bias, expected, true);
    const actual = new Float32Array(batch * outF);
    wasm.linearForward(batch, inF, outF, x, w, bias, actual, true);
    assertClose(actual, expected, TOL, `linear batch ${batch}`);
    const packed = wasm.packLinearWeight(outF, inF, w, 'fp32');
    actual.fill(Number.NaN);
    wasm.linearForwardPacked(batch, inF, outF, x, packed, bias, actual, true);
    packed.dispose();
    assertClose(actual, expected, TOL, `packed linear batch ${batch}`);
  }
});

// Packed linear weights are transposed (native/src/linear.h): [in][out rounded up to 16 floats], filled from slices of
// about 2^20 floats of the torch layout; a call runs passes of up to 4 rows of x, each summing the rows of the copy
// that those rows' nonzero inputs need (sparse_rows.h: 4 rows of the copy per step over the columns, then one at a
// time), unless a weight is not finite.
/** Uniform values in [−1, 1), each zero with probability `zeros`. */
function sparseArray(n: number, zeros: number, gen: Generator): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = gen.uniformRange(0, 1) < zeros ? 0 : gen.uniformRange(-1, 1);
  return a;
}

test('packed linear weights match the reference at every batch, zero fraction and edge of the passes and slices', () => {
  const gen = new Generator(35);
  for (const [batch, inF, outF] of [
    [1, 1, 1],
    [1, 9, 6],
    [1, 37, 9],
    [1, 4099, 16],
    [2, 1030, 7],
    [3, 2051, 13],
    [4, 70, 17],
    [5, 1024, 4],
    [8, 64, 9],
    [9, 33, 21],
    [1, 70001, 17],
  ] as const) {
    const w = randomArray(outF * inF, gen),
      bias = randomArray(outF, gen);
    const packed = wasm.packLinearWeight(outF, inF, w, 'fp32');
    for (const zeros of [0, 0.5, 1]) {
      const x = sparseArray(batch * inF, zeros, gen);
      if (batch > 1) x[0] = Number.NaN; // row 0 has a NaN: it stays NaN through the ReLU (torch)
      for (const [b, relu] of [
        [null, false],
        [bias, true],
      ] as const) {
        const expected = new Float32Array(batch * outF),
          actual = new Float32Array(batch * outF).fill(12345);
        reference.linearForward(batch, inF, outF, x, w, b, expected, relu);
        wasm.linearForwardPacked(batch, inF, outF, x, packed, b, actual, relu);
        const what = `packed linear ${batch}×${inF}→${outF} zeros ${zeros} bias${+(b !== null)} relu${+relu}`;
        assertClose(actual, expected, TOL, what);
      }
    }
    packed.dispose();
  }
});

test('packed linear layers never skip a zero input whose weights are not finite (0·∞ is NaN, as in torch)', () => {
  const gen = new Generator(36);
  // 300 rows of 4000 inputs pack in slices of 262 rows: the ∞ and the NaN sit in the second slice.
  const [outF, inF] = [300, 4000];
  const w = randomArray(outF * inF, gen);
  w[290 * inF + 7] = Number.POSITIVE_INFINITY;
  w[295 * inF + 8] = Number.NaN;
  const packed = wasm.packLinearWeight(outF, inF, w, 'fp32');
  for (const batch of [1, 6]) {
    const x = sparseArray(batch * inF, 0.6, gen);
    for (let n = 0; n < batch; n++) x[n * inF + 7] = x[n * inF + 8] = 0;
    const actual = new Float32Array(batch * outF);
    wasm.linearForwardPacked(batch, inF, outF, x, packed, null, actual, false);
    const expected = new Float32Array(batch * outF);
    reference.linearForward(batch, inF, outF, x, w, null, expected, false);
    for (let n = 0; n < batch; n++) {
      assert.ok(Number.isNaN(actual[n * outF + 290]) && Number.isNaN(actual[n * outF + 295]), `batch ${batch} row ${n}: 0·∞ and 0·NaN give NaN`);
      expected[n * outF + 290] = expected[n * outF + 295] = actual[n * outF + 290] = actual[n * outF + 295] = 0;
    }
    assertClose(actual, expected, TOL, `batch ${batch}, the other outputs`);
  }
  packed.dispose();
});

test('a packed linear layer over an all-zero input gives its bias (through ReLU)', () => {
  const gen = new Generator(37);
  const [outF, inF] = [70, 50];
  const bias = randomArray(outF, gen);
  const packed = wasm.packLinearWeight(outF, inF, randomArray(outF * inF, gen), 'fp32');
  for (const relu of [false, true]) {
    const actual = new Float32Array(2 * outF).fill(12345);
    wasm.linearForwardPacked(2, inF, outF, new Float32Array(2 * inF), packed, bias, actual, relu);
    for (let i = 0; i < 2 * outF; i++) assert.equal(actual[i], relu ? Math.max(0, bias[i % outF]) : bias[i % outF], `output ${i} relu ${relu}`);
  }
  packed.dispose();
});

test('an empty batch through a linear layer, packed or not, computes nothing and does not trap', () => {
  const gen = new Generator(39);
  const [outF, inF] = [70, 50];
  const w = randomArray(outF * inF, gen);
  const packed = wasm.packLinearWeight(outF, inF, w, 'fp32');
  wasm.linearForwardPacked(0, inF, outF, new Float32Array(0), packed, randomArray(outF, gen), new Float32Array(0), true);
  wasm.linearForward(0, inF, outF, new Float32Array(0), w, null, new Float32Array(0), false);
  packed.dispose();
});

test('a packed linear weight refuses a call of another shape', () => {
  const gen = new Generator(38);
  const packed = wasm.packLinearWeight(6, 9, randomArray(54, gen), 'fp32');
  assert.throws(
    () => wasm.linearForwardPacked(1, 9, 5, new Float32Array(9), packed, null, new Float32Array(5), false),
    /linearForwardPacked: the packed weight is 6x9, the call expects 5x9/,
  );
  packed.dispose();
});

test('LRN and max pooling (values and torch argmax) match the reference forward and backward', () => {
  const gen = new Generator(34);
  const lrn = { batch: 2, channels: 13, spatial: 29, size: 5, alpha: 1e-4, beta: 0.75, k: 2 };
  const n = lrn.batch * lrn.channels * lrn.spatial;
  const x = randomArray(n, gen),
    gradOut = randomArray(n, gen);
  const [o0, o1, s0, s1, g0, g1] = Array.from({ length: 6 }, () => new Float32Array(n));
  reference.lrnForward(lrn, x, o0, s0);
  wasm.lrnForward(lrn, x, o1, s1);
  assertClose(o1, o0, TOL, 'lrn forward');
  reference.lrnBackward(lrn, x, o0, s0, gradOut, g0);
  wasm.lrnBackward(lrn, x, o1, s1, gradOut, g1);
  assertClose(g1, g0, TOL, 'lrn backward');

  for (const g of [
    poolGeometry({ batch: 2, channels: 5, inH: 27, inW: 25, kernel: 3, stride: 2 }),
    poolGeometry({ batch: 1, channels: 3, inH: 9, inW: 8, kernel: 3, stride: 2, pad: 1, ceilMode: true }),
  ]) {
    const xs = randomArray(g.batch * g.channels * g.inH * g.inW, gen);
    const outN = g.batch * g.channels * g.outH * g.outW;
    const [p0, p1] = [new Float32Array(outN), new Float32Array(outN)];
    const [a0, a1] = [new Int32Array(outN), new Int32Array(outN)];
    reference.maxPool2dForward(g, xs, p0, a0);
    wasm.maxPool2dForward(g, xs, p1, a1);
    assert.deepEqual(p1, p0, 'max pool values');
    assert.deepEqual(a1, a0, 'max pool argmax');
    const gp = randomArray(outN, gen);
    const [b0, b1] = [new Float32Array(xs.length), new Float32Array(xs.length)];
    reference.maxPool2dBackward(g, gp, a0, b0);
    wasm.maxPool2dBackward(g, gp, a1, b1);
    assert.deepEqual(b1, b0, 'max pool backward');
  }
});

test("resampleBilinear gives the JavaScript passes' bytes", () => {
  const js = new JsBackend();
  for (let t = 0; t < 40; t++) {
    const [w, h, c] = [1 + ((t * 37) % 320), 1 + ((t * 53) % 210), 1 + (t % 4)];
    const [outW, outH] = [1 + ((t * 29) % 270), 1 + ((t * 31) % 250)];
    const window = { left: Math.floor(outW / 5), top: Math.floor(outH / 7), width: outW - Math.floor(outW / 5), height: outH - Math.floor(outH / 7) };
    const image = noiseImage(w, h, c, t);
    const expected = withBackend(js, () => resizeBilinearWindow(image, outW, outH, window));
    const actual = withBackend(wasm, () => resizeBilinearWindow(image, outW, outH, window));
    assert.deepEqual(actual.data, expected.data, `${w}x${h}x${c} -> ${outW}x${outH}`);
  }
});

test("the fused ImageNet transform (resampleBilinearToPlanes) gives the js backend's floats bit for bit, from RGB and RGBA", () => {
  const js = new JsBackend();
  assert.ok(wasm.resampleBilinearToPlanes);
  for (const [t, [w, h, options]] of (
    [
      [224, 224, {}],
      [640, 480, {}],
      [300, 1411, {}],
      [257, 256, {}],
      [1000, 37, { resize: 64, crop: 32, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] }],
    ] as const
  ).entries()) {
    for (const channels of [3, 4]) {
      // RGBA with random alpha: left out, as PIL's convert('RGB') drops it.
      const image = noiseImage(w, h, channels, 200 + t);
      const expected = withBackend(js, () => imagenetEvalTransform(toRgb(image), options));
      const actual = withBackend(wasm, () => imagenetEvalTransform(image, options));
      assert.deepEqual(actual.data, expected.data, `${w}x${h}x${channels} ${JSON.stringify(options)}`);
    }
  }
});

for (const [name, h, w] of [
  ['alexnet', 224, 224],
  ['alexnet-original', 227, 227],
] as const) {
  test(`wasm ${name} ${h}×${w}: logits and every gradient match torch`, (t) => {
    const fixture = loadModelFixture(name, h, w);
    const model = createModel(name);
    prepareModel(model, fixture);
    withBackend(wasm, () => {
      const worst = checkModelGradients(model, fixture, 1e-4);
      t.diagnostic([...worst.entries()].map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', '));
      // noGrad in eval mode: the packed-weight path (convolutions and linear layers packed once into wasm memory).
      t.diagnostic(`noGrad logits ${checkModelInference(model, fixture, 1e-4).toExponential(2)}`);
    });
  });
}

test('bad calls get one message naming the kernel and what was expected', () => {
  const g = convGeometry({ batch: 1, inChannels: 3, inH: 5, inW: 5, outChannels: 4, kernel: 3 });
  const s = convSizes(g);
  assert.throws(
    () => wasm.conv2dForward(g, new Float32Array(s.x - 1), new Float32Array(s.w), null, new Float32Array(s.out), false),
    /conv2dForward: x has 74 values, expected 75/,
  );
  assert.throws(
    () => wasm.conv2dForward({ ...g, outH: 0 }, new Float32Array(s.x), new Float32Array(s.w), null, new Float32Array(0), false),
    /wasm backend: conv2dForward: invalid conv geometry/,
  );
  const packed = wasm.packConv2dWeight(g, new Float32Array(s.w));
  const other = convGeometry({ batch: 1, inChannels: 3, inH: 5, inW: 5, outChannels: 4, kernel: 1 });
  assert.throws(
    () => wasm.conv2dForwardPacked(other, packed, new Float32Array(convSizes(other).x), null, new Float32Array(convSizes(other).out), false),
    /made for another layer shape/,
  );
  packed.dispose();
  assert.throws(() => wasm.conv2dForwardPacked(g, packed, new Float32Array(s.x), null, new Float32Array(s.out), false), /was disposed/);
  assert.throws(
    () => wasm.conv2dForwardPacked(g, { kind: 'native-packed-conv2d', dispose() {} }, new Float32Array(s.x), null, new Float32Array(s.out), false),
    /packed by the wasm backend/,
  );
  assert.throws(() => wasm.packLinearWeight(2, 3, new Float32Array(6), 'bf16'), /fp32 only/);
  // The module keeps working after every refusal.
  const out = new Float32Array(s.out);
  wasm.conv2dForward(g, new Float32Array(s.x).fill(1), new Float32Array(s.w).fill(1), null, out, false);
  assert.ok(out.every((v) => v === 27));
});
