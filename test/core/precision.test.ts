/**
 * bf16 precision on the js backend, which emulates it exactly: convolution
 * and linear layers round their input and weight to bf16 (roundArrayToBf16)
 * and compute in fp32, everything else stays fp32. Also the precision name
 * parsing, the inference-only checks, and the way back to fp32.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { noGrad, noGradAsync } from '../../src/autograd/grad-mode.js';
import { roundArrayToBf16 } from '../../src/backend/js/bf16.js';
import { parsePrecision, PRECISIONS, type Precision } from '../../src/backend/precision.js';
import { referenceBackend, withBackend } from '../../src/backend/registry.js';
import type { AlexNet } from '../../src/models/alexnet.js';
import { createModel } from '../../src/models/registry.js';
import { Conv2d, Linear, MaxPool2d, type Module, ReLU, Sequential } from '../../src/nn/index.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

const js = referenceBackend();

function rounded(t: Tensor): Tensor {
  return new Tensor(roundArrayToBf16(t.data), t.shape);
}

/** A copy of `model`'s state with only the conv and linear weights rounded (biases stay fp32 in bf16). */
function roundWeights(model: Module): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [key, t] of model.stateDict()) out.set(key, t.shape.length >= 2 && key.endsWith('weight') ? rounded(t) : t.clone());
  return out;
}

/** Runs the layers of `seq` one by one in fp32, rounding the input of every Conv2d and Linear. */
function emulateSequential(seq: Sequential, x: Tensor): Tensor {
  for (const m of seq) x = m instanceof Conv2d || m instanceof Linear ? m.call(rounded(x)) : m.call(x);
  return x;
}

/** The bf16 emulation of torchvision's AlexNet by hand: fp32 layers on rounded inputs and rounded weights. */
function emulateAlexNet(model: AlexNet, x: Tensor): Tensor {
  let h = emulateSequential(model.features, x);
  h = model.avgpool.call(h).flatten(1);
  return emulateSequential(model.classifier, h);
}

/** Every element equal (0 and -0 alike); else the largest difference relative to max |expected|. */
function assertSameValues(actual: Tensor, expected: Tensor, what: string): void {
  assert.deepEqual([...actual.shape], [...expected.shape], `${what}: shape`);
  let worst = 0,
    scale = 0,
    differing = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i],
      e = expected.data[i];
    scale = Math.max(scale, Math.abs(e));
    if (a !== e) {
      differing++;
      worst = Math.max(worst, Number.isNaN(a - e) ? Infinity : Math.abs(a - e));
    }
  }
  assert.ok(worst <= 1e-6 * scale, `${what}: ${differing} values differ, by up to ${worst} (max |expected| ${scale})`);
}

function bytesOf(t: Tensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

test('parsePrecision accepts fp32 and bf16 and names anything else', () => {
  assert.deepEqual([...PRECISIONS], ['fp32', 'bf16']);
  assert.equal(parsePrecision('fp32'), 'fp32');
  assert.equal(parsePrecision('bf16'), 'bf16');
  for (const bad of ['fp16', 'BF16', 'bfloat16', '', 'float32', ' bf16']) {
    assert.throws(
      () => parsePrecision(bad),
      (e: Error) => e.message.includes(`'${bad}'`) && /fp32, bf16/.test(e.message),
      bad,
    );
  }
  assert.throws(() => parsePrecision('fp16', '--precision'), /^Error: --precision must be one of fp32, bf16, got 'fp16'$/);
  // setPrecision checks its argument too (for callers without types).
  assert.throws(() => new Linear(2, 2).setPrecision('fp16' as Precision), /'fp16'/);
});

test('AlexNet in bf16 on the js backend equals fp32 on bf16-rounded inputs and weights', () => {
  withBackend(js, () => {
    manualSeed(11);
    const model = createModel('alexnet', { numClasses: 10 }).eval() as AlexNet;
    manualSeed(11);
    const reference = createModel('alexnet', { numClasses: 10 }).eval() as AlexNet;
    reference.loadStateDict(roundWeights(model));
    const x = Tensor.randn([1, 3, 64, 64], 0, 1, new Generator(3));

    const fp32 = noGrad(() => model.call(x));
    model.setPrecision('bf16');
    assert.equal(model.precision, 'bf16');
    const bf16 = noGrad(() => model.call(x));
    const expected = noGrad(() => emulateAlexNet(reference, x));
    assertSameValues(bf16, expected, 'bf16 logits vs the rounded fp32 emulation');

    // It really is another computation than fp32, by bf16 noise only.
    let diff = 0,
      scale = 0;
    for (let i = 0; i < fp32.data.length; i++) {
      diff = Math.max(diff, Math.abs(bf16.data[i] - fp32.data[i]));
      scale = Math.max(scale, Math.abs(fp32.data[i]));
    }
    assert.ok(diff > 1e-6 * scale && diff < 5e-2 * scale, `bf16 vs fp32 logits differ by ${diff} (max |logit| ${scale})`);

    // Unchanged input and weights (the rounding works on copies), same result twice (cached rounded weights).
    assert.deepEqual(bytesOf(x), bytesOf(Tensor.randn([1, 3, 64, 64], 0, 1, new Generator(3))));
    const again = noGrad(() => model.call(x));
    assert.deepEqual(bytesOf(again), bytesOf(bf16));

    // Back to fp32: bit-identical to before.
    model.setPrecision('fp32');
    assert.equal(model.precision, 'fp32');
    assert.deepEqual(bytesOf(noGrad(() => model.call(x))), bytesOf(fp32), 'fp32 restored bit for bit');
  });
});

test('a small Sequential in bf16 (odd sizes, groups, fused and unfused ReLU) matches the emulation, sync and async', async () => {
  const build = (): Sequential => {
    manualSeed(5);
    return new Sequential(
      new Conv2d(3, 8, 3, { padding: 1 }),
      new ReLU(),
      new Conv2d(8, 6, [3, 2], { stride: [2, 1], groups: 2, bias: false }),
      new MaxPool2d(2),
      new Conv2d(6, 5, 1),
      new ReLU(true),
    ).eval();
  };
  const head = (): Sequential => {
    manualSeed(6);
    return new Sequential(new Linear(5 * 4 * 4, 17), new ReLU(), new Linear(17, 3)).eval();
  };
  await withBackend(js, async () => {
    const body = build(),
      top = head();
    const refBody = build(),
      refTop = head();
    refBody.loadStateDict(roundWeights(body));
    refTop.loadStateDict(roundWeights(top));
    const x = Tensor.randn([2, 3, 17, 9], 0, 1, new Generator(8));
    const run = (): Tensor => top.call(body.call(x).flatten(1));

    const fp32 = noGrad(run);
    body.setPrecision('bf16');
    top.setPrecision('bf16');
    const bf16 = noGrad(run);
    const expected = noGrad(() => emulateSequential(refTop, emulateSequential(refBody, x).flatten(1)));
    assertSameValues(bf16, expected, 'bf16 vs emulation');
    assert.notDeepEqual(bytesOf(bf16), bytesOf(fp32), 'bf16 is not the fp32 result');

    const bf16Async = await noGradAsync(async () => top.callAsync((await body.callAsync(x)).flatten(1)));
    assertSameValues(bf16Async, expected, 'callAsync in bf16 vs emulation');

    body.setPrecision('fp32');
    top.setPrecision('fp32');
    assert.deepEqual(bytesOf(noGrad(run)), bytesOf(fp32), 'fp32 restored bit for bit');
  });
});

test('bf16 follows weights loaded after setPrecision (no stale rounded copy)', () => {
  withBackend(js, () => {
    manualSeed(1);
    const layer = new Linear(9, 4).eval().setPrecision('bf16');
    const x = Tensor.randn([3, 9], 0, 1, new Generator(2));
    const before = noGrad(() => layer.call(x));
    manualSeed(2);
    const other = new Linear(9, 4);
    layer.loadStateDict(other.stateDict());
    assert.equal(layer.precision, 'bf16', 'loading weights keeps the precision');
    const after = noGrad(() => layer.call(x));
    manualSeed(2);
    const reference = new Linear(9, 4).eval();
    reference.loadStateDict(roundWeights(other));
    assert.notDeepEqual(bytesOf(after), bytesOf(before));
    assertSameValues(
      after,
      noGrad(() => reference.call(rounded(x))),
      'after loadStateDict',
    );
  });
});

test('bf16 is for inference: train mode or a recorded graph throws, naming the layer', () => {
  withBackend(js, () => {
    const model = createModel('alexnet', { numClasses: 10 }).setPrecision('bf16');
    assert.equal(model.training, true, 'a new model is in train mode');
    const x = Tensor.randn([1, 3, 64, 64], 0, 1, new Generator(4));
    assert.throws(() => noGrad(() => model.call(x)), /Conv2d\(3→64.*bf16 precision is for inference.*eval\(\)/);
    model.eval();
    assert.throws(() => model.call(x), /Conv2d\(3→64.*bf16 precision is for inference.*noGrad\(\)/);
    // A lone Linear too, and an input that requires grad with frozen weights.
    const linear = new Linear(4, 2).eval().setPrecision('bf16');
    assert.throws(() => linear.call(Tensor.randn([1, 4], 0, 1, new Generator(5))), /Linear\(4→2\): bf16 precision is for inference/);
    for (const p of linear.parameters()) p.requiresGrad = false;
    const input = Tensor.randn([1, 4], 0, 1, new Generator(5));
    input.requiresGrad = true;
    assert.throws(() => linear.call(input), /bf16 precision is for inference/);
    // Frozen weights and a plain input: nothing records a graph, so it runs.
    const y = linear.call(Tensor.randn([1, 4], 0, 1, new Generator(5)));
    assert.equal(y.requiresGrad, false);
    // fp32 trains as before.
    model.train().setPrecision('fp32');
    const out = model.call(x);
    assert.equal(out.requiresGrad, true);
  });
});
