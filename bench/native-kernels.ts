/**
 * Scratch micro-benchmark of the native backend (not a test): FMA peak, GEMM
 * GFLOP/s, per-layer AlexNet convolution times, whole-model inference (the
 * model as the layers run it today, and a pipeline with pre-packed weights)
 * against onnxruntime-node in the same process, a training step, and peak RSS.
 *
 *   node --import tsx bench/native-kernels.ts [peak] [gemm] [conv] [model] [train] [rss]
 *
 * Sections default to all but rss (which must run alone: it reports the
 * process's peak RSS). ORT needs an AlexNet ONNX file: $ALEXNET_ONNX, e.g.
 * exported with torch.onnx.export(torchvision.models.alexnet(), ..., dynamic batch).
 * The machine may be shared: every figure is the best of several runs, and
 * the load average is printed first.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';

import type { Conv2dGeometry, Pool2dGeometry } from '../src/backend/backend.js';
import { setBackend } from '../src/backend/registry.js';
import { noGrad } from '../src/autograd/grad-mode.js';
import { AlexNet } from '../src/models/alexnet.js';
import { nativeBackend } from '../src/node/native/load.js';
import type { NativeBackend, PackedConv2dWeight } from '../src/node/native/native-backend.js';
import { crossEntropy } from '../src/ops/loss.js';
import { SGD } from '../src/optim/sgd.js';
import { Tensor } from '../src/tensor/tensor.js';

const sections = new Set(process.argv.slice(2));
const want = (s: string): boolean => (sections.size === 0 ? s !== 'rss' : sections.has(s));

const maybeNative = nativeBackend();
if (maybeNative === null) {
  console.error('native addon not built');
  process.exit(1);
}
const native: NativeBackend = maybeNative;

/** Best wall time (ms) of fn over `runs` runs after one warm-up (or until `budgetMs` is spent). */
function best(fn: () => void, runs: number, budgetMs = 4000): number {
  fn();
  let min = Infinity;
  const start = performance.now();
  for (let i = 0; i < runs && performance.now() - start < budgetMs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

async function bestAsync(fn: () => Promise<unknown>, runs: number, budgetMs = 6000): Promise<number> {
  await fn();
  let min = Infinity;
  const start = performance.now();
  for (let i = 0; i < runs && performance.now() - start < budgetMs; i++) {
    const t0 = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

const fmt = (x: number, d = 1): string => x.toFixed(d).padStart(8);

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${JSON.stringify(native.info())}`,
);
let peak = 0;
if (want('peak') || want('gemm') || want('conv')) {
  peak = native.peakGflops(1);
  native.setThreads(1);
  const single = native.peakGflops(0.5);
  native.setThreads(2);
  console.log(`FMA peak (${native.info().simd}): ${peak.toFixed(1)} GFLOP/s on ${native.info().threads} threads, ${single.toFixed(1)} on 1`);
}

if (want('gemm')) {
  console.log('\nGEMM C[M,N] = A·op(B)             ms     GFLOP/s  % peak');
  const shapes: [number, number, number, boolean, string][] = [
    [64, 3025, 363, false, 'conv1 im2col'],
    [192, 729, 1600, false, 'conv2 im2col'],
    [384, 169, 1728, false, 'conv3 im2col'],
    [32, 4096, 9216, true, 'fc6 batch 32'],
    [1, 4096, 9216, true, 'fc6 batch 1'],
    [32, 9216, 4096, false, 'fc6 grad x'],
    [4096, 9216, 32, false, 'fc6 grad W (tA)'],
  ];
  for (const [M, N, K, transB, what] of shapes) {
    const transA = what.includes('tA');
    const A = random(M * K),
      B = random(K * N),
      C = new Float32Array(M * N);
    const ms = best(() => native.gemm(transA, transB, M, N, K, A, B, C, false), 20);
    const gf = (2 * M * N * K) / ms / 1e6;
    console.log(
      `${what.padEnd(16)} ${String(M).padStart(4)}x${String(N).padStart(4)}x${String(K).padStart(4)} ${fmt(ms, 3)} ${fmt(gf)} ${fmt((100 * gf) / peak)}`,
    );
  }
}

function convGeom(batch: number, c: number, h: number, o: number, k: number, s: number, p: number): Conv2dGeometry {
  const out = Math.floor((h + 2 * p - k) / s) + 1;
  return {
    batch,
    inChannels: c,
    inH: h,
    inW: h,
    outChannels: o,
    outH: out,
    outW: out,
    kernelH: k,
    kernelW: k,
    strideH: s,
    strideW: s,
    padH: p,
    padW: p,
    dilationH: 1,
    dilationW: 1,
    groups: 1,
  };
}
const LAYERS: [string, number, number, number, number, number, number][] = [
  ['conv1', 3, 224, 64, 11, 4, 2],
  ['conv2', 64, 27, 192, 5, 1, 2],
  ['conv3', 192, 13, 384, 3, 1, 1],
  ['conv4', 384, 13, 256, 3, 1, 1],
  ['conv5', 256, 13, 256, 3, 1, 1],
];

if (want('conv')) {
  for (const batch of [1, 32]) {
    console.log(`\nconv layers, batch ${batch} (packed weights)   ms   GFLOP/s(direct) % peak | backward data ms  weight ms`);
    let total = 0;
    for (const [name, c, h, o, k, s, p] of LAYERS) {
      const g = convGeom(batch, c, h, o, k, s, p);
      const x = random(batch * c * h * h),
        w = random(o * c * k * k),
        bias = random(o);
      const out = new Float32Array(batch * o * g.outH * g.outW);
      const packed = native.packConv2dWeight(g, w);
      const ms = best(() => native.conv2dForwardPacked(g, packed, x, bias, out, true), batch === 1 ? 50 : 5);
      total += ms;
      const gf = (2 * batch * o * g.outH * g.outW * c * k * k) / ms / 1e6;
      let bwd = '';
      if (batch === 32) {
        const gx = new Float32Array(x.length),
          gw = new Float32Array(w.length),
          gb = new Float32Array(o);
        const dms = name === 'conv1' ? NaN : best(() => native.conv2dBackwardData(g, out, w, gx), 3);
        const wms = best(() => native.conv2dBackwardWeight(g, x, out, gw, gb), 3);
        bwd = ` | ${fmt(dms, 2)} ${fmt(wms, 2)}`;
      }
      console.log(`${name.padEnd(8)} ${`${c}->${o} k${k} s${s} ${h}x${h}`.padEnd(22)} ${fmt(ms, 3)} ${fmt(gf)} ${fmt((100 * gf) / peak)}${bwd}`);
      packed.dispose();
    }
    console.log(`${'sum'.padEnd(31)} ${fmt(total, 3)}`);
  }
}

/** ONNX Runtime session for whole-model comparison, when $ALEXNET_ONNX names a model. */
async function ortSession(): Promise<{ run(x: Float32Array, batch: number): Promise<unknown> } | null> {
  const path = process.env.ALEXNET_ONNX;
  if (!path || !existsSync(path)) return null;
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: native.info().threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const inputName = session.inputNames[0];
  return {
    run: (x, batch) => session.run({ [inputName]: new ort.Tensor('float32', x, [batch, 3, 224, 224]) }),
  };
}

/** AlexNet inference straight on the kernels, with every conv weight packed once (what the layers will do). */
function packedPipeline(model: AlexNet): (x: Float32Array, batch: number) => Float32Array {
  const convs: { g: (b: number) => Conv2dGeometry; packed: PackedConv2dWeight; bias: Float32Array }[] = [];
  const specs = [
    [3, 224, 64, 11, 4, 2],
    [64, 27, 192, 5, 1, 2],
    [192, 13, 384, 3, 1, 1],
    [384, 13, 256, 3, 1, 1],
    [256, 13, 256, 3, 1, 1],
  ];
  const convLayers = [0, 3, 6, 8, 10].map((i) => model.features.at(i) as unknown as { weight: Tensor; bias: Tensor });
  specs.forEach(([c, h, o, k, s, p], i) => {
    const g = (b: number): Conv2dGeometry => convGeom(b, c, h, o, k, s, p);
    convs.push({ g, packed: native.packConv2dWeight(g(1), convLayers[i].weight.data), bias: convLayers[i].bias.data });
  });
  const fcs = [1, 4, 6].map((i) => model.classifier.at(i) as unknown as { weight: Tensor; bias: Tensor });
  const pool = (b: number, c: number, h: number): Pool2dGeometry => {
    const o = Math.floor((h - 3) / 2) + 1;
    return {
      batch: b,
      channels: c,
      inH: h,
      inW: h,
      outH: o,
      outW: o,
      kernelH: 3,
      kernelW: 3,
      strideH: 2,
      strideW: 2,
      padH: 0,
      padW: 0,
      dilationH: 1,
      dilationW: 1,
    };
  };
  return (x, b) => {
    const conv = (i: number, input: Float32Array): Float32Array => {
      const g = convs[i].g(b);
      const out = new Float32Array(b * g.outChannels * g.outH * g.outW);
      native.conv2dForwardPacked(g, convs[i].packed, input, convs[i].bias, out, true);
      return out;
    };
    const maxPool = (input: Float32Array, c: number, h: number): Float32Array => {
      const g = pool(b, c, h);
      const out = new Float32Array(b * c * g.outH * g.outW);
      native.maxPool2dForward(g, input, out, new Int32Array(out.length));
      return out;
    };
    let a = maxPool(conv(0, x), 64, 55);
    a = maxPool(conv(1, a), 192, 27);
    a = maxPool(conv(4, conv(3, conv(2, a))), 256, 13);
    const pooled = new Float32Array(b * 9216);
    native.adaptiveAvgPool2dForward(b * 256, 6, 6, 6, 6, a, pooled);
    let h = pooled;
    fcs.forEach((fc, i) => {
      const [outF, inF] = fc.weight.shape;
      const out = new Float32Array(b * outF);
      native.linearForward(b, inF, outF, h, fc.weight.data, fc.bias.data, out, i < 2);
      h = out;
    });
    return h;
  };
}

if (want('model')) {
  setBackend(native);
  const model = new AlexNet().eval();
  const pipeline = packedPipeline(model);
  const ort = await ortSession();
  console.log('\nAlexNet inference              ms/batch   images/s');
  for (const batch of [1, 32]) {
    const x = random(batch * 3 * 224 * 224);
    const input = Tensor.from(x, [batch, 3, 224, 224]);
    const runs = batch === 1 ? 40 : 6;
    // Interleave the contenders so that load from other processes hits them alike.
    const times = { layers: Infinity, packed: Infinity, ort: Infinity };
    for (let round = 0; round < 3; round++) {
      times.layers = Math.min(
        times.layers,
        best(() => noGrad(() => model.call(input)), runs),
      );
      times.packed = Math.min(
        times.packed,
        best(() => pipeline(x, batch), runs),
      );
      if (ort) times.ort = Math.min(times.ort, await bestAsync(() => ort.run(x, batch), runs));
    }
    const line = (what: string, ms: number): void => console.log(`${what.padEnd(30)} ${fmt(ms, 2)} ${fmt((1000 * batch) / ms)}`);
    line(`batch ${batch}: native, model layers`, times.layers);
    line(`batch ${batch}: native, packed pipeline`, times.packed);
    if (ort) line(`batch ${batch}: onnxruntime-node`, times.ort);
    const y1 = noGrad(() => model.call(input)).data,
      y2 = pipeline(x, batch);
    let d = 0,
      n = 0;
    for (let i = 0; i < y1.length; i++) {
      d += (y1[i] - y2[i]) ** 2;
      n += y1[i] ** 2;
    }
    console.log(`  (layers vs packed pipeline: relative difference ${Math.sqrt(d / n).toExponential(2)})`);
  }
}

if (want('train')) {
  setBackend(native);
  const model = new AlexNet().train();
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  const batch = 32;
  const x = Tensor.from(random(batch * 3 * 224 * 224), [batch, 3, 224, 224]);
  const targets = Int32Array.from({ length: batch }, (_, i) => (i * 37) % 1000);
  const ms = best(
    () => {
      opt.zeroGrad({ recycle: true }); // as the trainer (src/train/train-step.ts)
      const loss = crossEntropy(model.call(x), targets);
      loss.backward();
      opt.step();
    },
    5,
    20000,
  );
  console.log(`\ntraining step, batch ${batch}: ${ms.toFixed(1)} ms = ${((1000 * batch) / ms).toFixed(1)} images/s`);
}

if (want('rss')) {
  setBackend(native);
  const model = new AlexNet().eval();
  const input = Tensor.from(random(32 * 3 * 224 * 224), [32, 3, 224, 224]);
  for (let i = 0; i < 3; i++) noGrad(() => model.call(input));
  console.log(`batch-32 inference, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}
