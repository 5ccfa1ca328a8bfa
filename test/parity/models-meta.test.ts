/**
 * The three models against torch's own (fixture: tools/gen_parity_fixtures.py →
 * test/fixtures/parity/models/meta.json): state_dict keys and shapes in order,
 * parameter counts, repr, which input sizes are accepted; plus loadStateDict's
 * errors and the initialization statistics each model promises.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { createModel } from '../../src/models/registry.js';
import type { Module } from '../../src/nn/module.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { readJsonFixture } from '../helpers/fixtures.js';

interface ModelMeta {
  stateDict: [string, number[]][];
  numParameters: number;
  repr: string;
  /** [height, width, does torch accept it] */
  inputProbes: [number, number, boolean][];
}

const meta = readJsonFixture<{ models: Record<string, ModelMeta> }>('parity', 'models', 'meta.json').models;
const MODEL_NAMES = ['alexnet', 'alexnet-original', 'alexnet-original-grouped'] as const;
const EXPECTED_COUNTS = { alexnet: 61_100_840, 'alexnet-original': 62_378_344, 'alexnet-original-grouped': 60_965_224 };

// One instance per model, shared by the tests below (construction initializes 61M weights).
const models = new Map<string, Module>();
function model(name: string): Module {
  let m = models.get(name);
  if (m === undefined) {
    m = createModel(name);
    models.set(name, m);
  }
  return m;
}

/** Mean and standard deviation in float64. */
function stats(data: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0,
    min = Infinity,
    max = -Infinity;
  for (const v of data) {
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = s / data.length;
  let q = 0;
  for (const v of data) q += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(q / data.length), min, max };
}

function param(m: Module, key: string): Tensor {
  const t = m.stateDict().get(key);
  assert.ok(t !== undefined, `no parameter ${key}`);
  return t;
}

for (const name of MODEL_NAMES) {
  test(`${name}: stateDict keys and shapes equal torch's state_dict, in order`, () => {
    const ours = [...model(name).stateDict()].map(([k, t]) => [k, [...t.shape]]);
    assert.deepEqual(ours, meta[name].stateDict);
  });

  test(`${name}: ${EXPECTED_COUNTS[name].toLocaleString('en')} parameters, as torch counts`, () => {
    assert.equal(meta[name].numParameters, EXPECTED_COUNTS[name]);
    assert.equal(model(name).numParameters(), EXPECTED_COUNTS[name]);
  });

  test(`${name}: String(model) equals torch's repr(model)`, () => {
    assert.equal(String(model(name)), meta[name].repr);
  });

  test(`${name}: accepts exactly the input sizes torch accepts; too small names the minimum`, () => {
    const probes = meta[name].inputProbes;
    // torch's minimum: the smallest accepted square probe, whose predecessor is rejected.
    const accepted = probes.filter(([h, w, ok]) => ok && h === w).map(([h]) => h);
    const minimum = Math.min(...accepted);
    assert.ok(
      probes.some(([h, w, ok]) => h === minimum - 1 && w === minimum - 1 && !ok),
      'the probes bracket the minimum',
    );
    const m = model(name).eval();
    for (const [h, w, torchAccepts] of probes) {
      // A batch of 0 runs every shape check of every layer without computing anything.
      let error: Error | undefined;
      try {
        const out = noGrad(() => m.call(Tensor.zeros([0, 3, h, w])));
        assert.deepEqual([...out.shape], [0, 1000]);
      } catch (e) {
        error = e as Error;
      }
      assert.equal(
        error === undefined,
        torchAccepts,
        `${h}×${w}: torch ${torchAccepts ? 'accepts' : 'rejects'} it, we ${error ? `throw "${error.message}"` : 'accept it'}`,
      );
      if (error !== undefined && Math.min(h, w) < minimum) {
        assert.match(error.message, new RegExp(`minimum is ${minimum}`), `${h}×${w}: the message should give the minimum ${minimum}`);
        assert.match(error.message, new RegExp(name), 'the message names the model');
      }
    }
  });
}

test('loadStateDict lists every missing, unexpected and mis-shaped key in one error', () => {
  const m = model('alexnet');
  const state = new Map(m.stateDict());
  state.delete('features.3.bias');
  state.delete('classifier.6.weight');
  state.set('features.99.weight', Tensor.zeros([1]));
  state.set('head.bias', Tensor.zeros([2]));
  state.set('features.0.weight', Tensor.zeros([64, 3, 11, 10]));
  state.set('classifier.4.bias', Tensor.zeros([4095]));
  assert.throws(
    () => m.loadStateDict(state),
    (e: Error) => {
      for (const key of ['features.3.bias', 'classifier.6.weight', 'features.99.weight', 'head.bias', 'features.0.weight', 'classifier.4.bias']) {
        assert.ok(e.message.includes(key), `the message should name ${key}: ${e.message}`);
      }
      assert.match(e.message, /missing/);
      assert.match(e.message, /unexpected/);
      assert.match(e.message, /\[64, 3, 11, 11\]/, 'the expected shape is given');
      return true;
    },
  );
  // Non-strict: missing and unexpected keys are reported, not fatal; shapes still are.
  state.set('features.0.weight', param(m, 'features.0.weight'));
  state.set('classifier.4.bias', param(m, 'classifier.4.bias'));
  const result = m.loadStateDict(state, { strict: false });
  assert.deepEqual(result.missingKeys, ['features.3.bias', 'classifier.6.weight']);
  assert.deepEqual(result.unexpectedKeys, ['features.99.weight', 'head.bias']);
});

test('loadStateDict copies values (a model loaded from another equals it)', () => {
  const source = model('alexnet');
  const target = createModel('alexnet');
  target.loadStateDict(source.stateDict());
  for (const [key, t] of target.stateDict()) {
    const s = param(source, key);
    assert.notEqual(t.data, s.data, `${key}: copied, not shared`);
    assert.deepEqual(t.data.subarray(0, 64), s.data.subarray(0, 64), key);
    assert.equal(t.data[t.data.length - 1], s.data[s.data.length - 1], key);
  }
});

test("alexnet-original, the article's init: conv weights N(0, 0.01), conv biases 0 except net.4/10/12 = 1", () => {
  for (const name of ['alexnet-original', 'alexnet-original-grouped']) {
    const m = model(name);
    for (const i of [0, 4, 8, 10, 12]) {
      const w = stats(param(m, `net.${i}.weight`).data);
      assert.ok(Math.abs(w.std - 0.01) < 0.0003, `${name} net.${i}.weight std ${w.std}`);
      assert.ok(Math.abs(w.mean) < 0.0003, `${name} net.${i}.weight mean ${w.mean}`);
      const bias = param(m, `net.${i}.bias`).data;
      const expected = [4, 10, 12].includes(i) ? 1 : 0;
      assert.ok(
        bias.every((v) => v === expected),
        `${name} net.${i}.bias should all be ${expected}`,
      );
    }
    // The article leaves Linear layers at PyTorch's default: U(±1/√fan_in).
    const fc = param(m, 'classifier.0.weight').data;
    const bound = 1 / Math.sqrt(9216);
    const s = stats(fc);
    assert.ok(
      s.max <= Math.fround(bound) && s.min >= -Math.fround(bound) && s.max > 0.999 * bound,
      `${name} classifier.0.weight in ±${bound}: [${s.min}, ${s.max}]`,
    );
  }
});

test("init 'paper': every weight N(0, 0.01), biases 1 in net.4, net.10, net.12, classifier.0, classifier.3 and 0 elsewhere", () => {
  const m = createModel('alexnet-original', { init: 'paper' });
  const ones = new Set(['net.4', 'net.10', 'net.12', 'classifier.0', 'classifier.3']);
  for (const layer of ['net.0', 'net.4', 'net.8', 'net.10', 'net.12', 'classifier.0', 'classifier.3', 'classifier.6']) {
    const w = stats(param(m, `${layer}.weight`).data);
    assert.ok(Math.abs(w.std - 0.01) < 0.0003, `${layer}.weight std ${w.std}`);
    assert.ok(Math.abs(w.mean) < 0.0003, `${layer}.weight mean ${w.mean}`);
    const expected = ones.has(layer) ? 1 : 0;
    assert.ok(
      param(m, `${layer}.bias`).data.every((v) => v === expected),
      `${layer}.bias should all be ${expected}`,
    );
  }
});

test("PyTorch's default init for Conv2d/Linear: U(±1/√fan_in) for weight and bias", () => {
  const m = model('alexnet');
  for (const [layer, fanIn] of [
    ['features.0', 3 * 11 * 11],
    ['features.6', 192 * 9],
    ['classifier.1', 9216],
    ['classifier.4', 4096],
  ] as const) {
    const bound = 1 / Math.sqrt(fanIn);
    const w = stats(param(m, `${layer}.weight`).data);
    const n = param(m, `${layer}.weight`).numel;
    // U(−b, b): std b/√3; the sample std of n draws is within a few 1/√n of it.
    const slack = 5 / Math.sqrt(n);
    assert.ok(Math.abs(w.std / (bound / Math.sqrt(3)) - 1) < slack, `${layer}.weight std ${w.std}, expected ${bound / Math.sqrt(3)}`);
    assert.ok(Math.abs(w.mean) < (5 * bound) / Math.sqrt(3 * n), `${layer}.weight mean ${w.mean}`);
    assert.ok(w.max <= Math.fround(bound) && w.min >= -Math.fround(bound), `${layer}.weight within ±${bound}: [${w.min}, ${w.max}]`);
    assert.ok(w.max > bound * (1 - 20 / n) && w.min < -bound * (1 - 20 / n), `${layer}.weight reaches ±${bound}: [${w.min}, ${w.max}]`);
    const b = stats(param(m, `${layer}.bias`).data);
    assert.ok(
      b.max <= Math.fround(bound) && b.min >= -Math.fround(bound) && b.std > 0.4 * bound,
      `${layer}.bias within ±${bound}, spread: ${JSON.stringify(b)}`,
    );
  }
});
