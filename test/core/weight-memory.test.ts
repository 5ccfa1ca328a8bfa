/**
 * Holding weights once: a model built withoutInitialization() and loaded with
 * loadStateDict({ assign: true }) takes the loaded tensors' storage instead
 * of copying it, and setPrecision(p, { keepFp32Weights: false }) frees the
 * linear layers' float32 values once the backend converted them (bf16 on the
 * native backend, its packed fp32 copy on wasm), after which everything that
 * would need those values says so instead of using the zeros left behind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { noGrad } from '../../src/autograd/grad-mode.js';
import { referenceBackend, setBackend, getBackend, withBackend } from '../../src/backend/registry.js';
import { createModel } from '../../src/models/registry.js';
import { Conv2d, Flatten, init, Linear, type Module, ReLU, Sequential } from '../../src/nn/index.js';
import { fp32ValuesDiscarded, hasPreparedWeight } from '../../src/ops/prepared-weight.js';
import { defaultGenerator, Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { nativeBackend } from '../../src/node/native/load.js';
import { loadWasmBackend } from '../../src/node/wasm/load.js';

function smallNet(): Sequential {
  return new Sequential(new Conv2d(3, 8, 3, { padding: 1 }), new ReLU(), new Flatten(), new Linear(8 * 5 * 5, 24), new ReLU(), new Linear(24, 7));
}

function randomState(net: Module, seed: number): Map<string, Tensor> {
  const gen = new Generator(seed);
  const out = new Map<string, Tensor>();
  for (const [key, t] of net.stateDict()) out.set(key, init.normal_(Tensor.zeros(t.shape), 0, 0.3, gen));
  return out;
}

const input = (): Tensor => init.normal_(Tensor.zeros([2, 3, 5, 5]), 0, 1, new Generator(5));

/**
 * The same weights twice in `precision` on the current backend: `kept` copied in, `lean` loaded by assignment and
 * then without its float32 linear weights. Checks that both give the same outputs, twice (the packed copy is
 * reused), and that the lean net's float32 linear values are gone while its convolution weights stay; returns
 * the state and the lean net.
 */
function keptAndLean(seed: number, precision: 'fp32' | 'bf16'): { state: Map<string, Tensor>; lean: Sequential } {
  const state = randomState(smallNet(), seed);
  const kept = smallNet();
  kept.loadStateDict(state);
  kept.eval().setPrecision(precision);
  const lean = init.withoutInitialization(() => smallNet());
  lean.loadStateDict(state, { assign: true });
  const fcStorage = lean.at<Linear>(3).weight.data;
  lean.eval().setPrecision(precision, { keepFp32Weights: false });
  const expected = noGrad(() => kept.call(input()));
  for (let run = 0; run < 2; run++) assert.deepEqual([...noGrad(() => lean.call(input())).data], [...expected.data], `run ${run}`);
  const fc = lean.at<Linear>(3);
  assert.ok(
    fcStorage.every((v) => v === 0),
    'the consumed values were zeroed',
  );
  assert.ok(
    state.get('3.weight')?.data.every((v) => v === 0),
    'so reads the state dict that shares them (assign)',
  );
  assert.notEqual(fc.weight.data, fcStorage, 'the layer no longer holds the consumed array, so it can be collected');
  assert.ok(fc.weight.data.length === 24 * 200 && fc.weight.data.every((v) => v === 0), 'but zeros of its shape');
  assert.ok(
    state.get('0.weight')?.data.some((v) => v !== 0),
    'convolution weights are kept',
  );
  assert.ok(hasPreparedWeight(fc.weight));
  assert.match(fp32ValuesDiscarded(fc.weight) ?? '', /Linear\(200→24\): its float32 weight was discarded/);
  return { state, lean };
}

test('withoutInitialization leaves parameters zero and the default generator where it was, and ends on a throw', () => {
  const before = new Generator(0);
  defaultGenerator.manualSeed(11);
  before.manualSeed(11);
  const net = init.withoutInitialization(() => smallNet());
  for (const [key, p] of net.stateDict())
    assert.ok(
      p.data.every((v) => v === 0),
      `${key} is zero`,
    );
  assert.equal(defaultGenerator.uniform(), before.uniform(), 'no random numbers were drawn');
  assert.throws(
    () =>
      init.withoutInitialization(() => {
        throw new Error('boom');
      }),
    /boom/,
  );
  const initialized = smallNet();
  assert.ok(
    initialized.at<Linear>(3).weight.data.some((v) => v !== 0),
    'initializers work again after the scope',
  );
});

test('loadStateDict with assign shares storage with the state dict and checks shapes as a copy does', () => {
  const net = init.withoutInitialization(() => smallNet());
  const state = randomState(net, 1);
  net.loadStateDict(state, { assign: true });
  for (const [key, t] of net.stateDict()) assert.equal(t.data, state.get(key)?.data, `${key} took the loaded storage`);
  const copied = smallNet();
  copied.loadStateDict(state);
  assert.notEqual(copied.at<Linear>(3).weight.data, state.get('3.weight')?.data, 'without assign the values are copied');
  const y = noGrad(() => net.eval().call(input()));
  const z = noGrad(() => copied.eval().call(input()));
  assert.deepEqual([...y.data], [...z.data]);

  const wrong = randomState(net, 2);
  wrong.set('3.weight', Tensor.zeros([24, 199]));
  assert.throws(() => net.loadStateDict(wrong, { assign: true }), /3\.weight: expected \[24, 200\], got \[24, 199\]/);
  assert.throws(() => net.at<Linear>(3).weight.setStorage(new Float32Array(3)), /3 values do not fill shape \[24, 200\]/);
});

test('keepFp32Weights: false needs eval mode, and on a backend whose kernels read the float32 weights keeps them', () => {
  withBackend(referenceBackend(), () => {
    const net = smallNet();
    assert.throws(
      () => net.train().setPrecision('bf16', { keepFp32Weights: false }),
      /setPrecision\('bf16', \{ keepFp32Weights: false \}\) is for inference: call eval\(\) first/,
    );
    assert.throws(() => net.train().setPrecision('fp32', { keepFp32Weights: false }), /setPrecision\('fp32', \{ keepFp32Weights: false \}\) is for inference/);
    for (const precision of ['fp32', 'bf16'] as const) {
      net.eval().setPrecision(precision, { keepFp32Weights: false });
      for (const p of net.parameters()) assert.equal(fp32ValuesDiscarded(p), undefined, `${precision}: kept`);
      assert.equal(net.stateDict().size, 6, `${precision}: the kernels (or the bf16 emulation) still read the float32 weights`);
      net.setPrecision('fp32');
    }
  });
});

const native = nativeBackend({ warn: false });
const bf16Reason = native === null ? 'native addon not built' : native.precisionSupport('bf16');

test('native bf16 without the float32 weights: the same outputs, and every use of the lost values refused by name', { skip: bf16Reason ?? false }, () => {
  const previous = getBackend();
  setBackend(native as NonNullable<typeof native>);
  try {
    const { state, lean } = keptAndLean(3, 'bf16');
    const fc = lean.at<Linear>(3);

    const lost = /Linear\(200→24\): its float32 weight was discarded by setPrecision\('bf16', \{ keepFp32Weights: false \}\)/;
    assert.throws(() => lean.stateDict(), /Sequential\.stateDict\(\): '3\.weight' has no float32 values/);
    assert.throws(() => lean.loadStateDict(state), /Sequential\.loadStateDict\(\): '3\.weight' has no float32 values/);
    assert.throws(() => lean.train(), lost);
    assert.equal(lean.training, false, 'a refused train() changes nothing');
    assert.throws(() => lean.setPrecision('fp32'), lost);
    assert.equal(lean.precision, 'bf16', 'a refused setPrecision changes nothing');
    fc.weight.markChanged();
    assert.throws(() => noGrad(() => lean.call(input())), lost, 'a changed weight cannot be packed again');
  } finally {
    setBackend(previous);
  }
});

test('native bf16 AlexNet without the float32 linear weights matches the one that keeps them', { skip: bf16Reason ?? false }, () => {
  withBackend(native as NonNullable<typeof native>, () => {
    const kept = createModel('alexnet', { numClasses: 10 }).eval().setPrecision('bf16');
    const lean = init.withoutInitialization(() => createModel('alexnet', { numClasses: 10 }));
    lean.loadStateDict(new Map([...kept.stateDict()].map(([key, t]) => [key, t.clone()])), { assign: true });
    lean.eval().setPrecision('bf16', { keepFp32Weights: false });
    const x = init.normal_(Tensor.zeros([1, 3, 67, 67]), 0, 1, new Generator(9));
    assert.deepEqual([...noGrad(() => lean.call(x)).data], [...noGrad(() => kept.call(x)).data]);
    const linears = [...lean.namedModules()].map(([, m]) => m).filter((m): m is Linear => m instanceof Linear);
    assert.equal(linears.length, 3);
    for (const l of linears) assert.notEqual(fp32ValuesDiscarded(l.weight), undefined, `${l.label} freed`);
  });
});

const wasm = await loadWasmBackend().catch(() => null);

test('wasm fp32 without the float32 linear weights: the packed copy alone gives the same outputs, under noGrad only', {
  skip: wasm === null ? 'wasm backend did not load' : false,
}, () => {
  withBackend(wasm as NonNullable<typeof wasm>, () => {
    const { lean } = keptAndLean(4, 'fp32');
    const lost =
      /Linear\(200→24\): its float32 weight was discarded by setPrecision\('fp32', \{ keepFp32Weights: false \}\) and only the fp32 copy for this backend is left/;
    assert.throws(
      () => lean.call(input()),
      /Linear\(200→24\): its float32 weight was discarded.*; it runs under noGrad\(\) only/,
      'with grad enabled the zeros would be used',
    );
    assert.throws(() => lean.stateDict(), /Sequential\.stateDict\(\): '3\.weight' has no float32 values/);
    assert.throws(() => lean.train(), lost);
    assert.throws(() => lean.setPrecision('bf16'), lost);
    assert.throws(() => withBackend(referenceBackend(), () => noGrad(() => lean.call(input()))), lost, 'another backend has no packed copy');
  });
});
