/**
 * Weights prepared for inference (packed by the native backend, rounded to
 * bf16 by the js backend's emulation) follow every in-place change the library
 * makes, through the storage version counters (tensor/version.ts), and a raw
 * write followed by markChanged(). Each case: an eval forward, the change,
 * then the next forward must equal a fresh model's with the changed weights.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { noGrad } from '../../src/autograd/grad-mode.js';
import type { Backend } from '../../src/backend/backend.js';
import { referenceBackend, withBackend } from '../../src/backend/registry.js';
import type { Precision } from '../../src/backend/precision.js';
import { Conv2d, Flatten, init, Linear, type Module, ReLU, Sequential } from '../../src/nn/index.js';
import { hasPreparedWeight } from '../../src/ops/prepared-weight.js';
import { SGD } from '../../src/optim/index.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { nativeBackend } from '../../src/node/native/load.js';

function smallNet(seed: number): Sequential {
  const net = new Sequential(new Conv2d(3, 16, 3, { padding: 1 }), new ReLU(), new Flatten(), new Linear(16 * 6 * 6, 5));
  const gen = new Generator(seed);
  for (const p of net.parameters()) init.normal_(p, 0, 0.2, gen);
  return net;
}

/** The same weights in a model that has prepared nothing yet. */
function fresh(net: Module, precision: Precision): Sequential {
  const copy = smallNet(99);
  copy.loadStateDict(net.stateDict());
  return copy.eval().setPrecision(precision);
}

const changes: [string, (net: Sequential) => void][] = [
  [
    'an optimizer step',
    (net) => {
      const sgd = new SGD(net.parameters(), { lr: 0.5 });
      for (const p of net.parameters()) p.grad = Tensor.full(p.shape, 0.1);
      sgd.step();
    },
  ],
  ['loadStateDict', (net) => net.loadStateDict(smallNet(7).stateDict())],
  ['loadStateDict with assign (new storage)', (net) => net.loadStateDict(smallNet(7).stateDict(), { assign: true })],
  ['an init function', (net) => init.normal_(net.at<Conv2d>(0).weight, 0, 0.3, new Generator(3))],
  [
    'a raw write and markChanged()',
    (net) => {
      const w = net.at<Conv2d>(0).weight;
      for (let i = 0; i < w.data.length; i += 3) w.data[i] = -w.data[i];
      w.markChanged();
    },
  ],
];

const backends: [string, Backend | null, Precision][] = [
  ['js, bf16 emulated (rounded weights)', referenceBackend(), 'bf16'],
  ['native, fp32 (packed conv weights)', nativeBackend({ warn: false }), 'fp32'],
];

for (const [backendName, backend, precision] of backends) {
  for (const [changeName, change] of changes) {
    test(`${backendName}: the forward after ${changeName} uses the new weights`, { skip: backend === null && 'native addon not built' }, () => {
      withBackend(backend!, () => {
        const net = smallNet(1).eval().setPrecision(precision);
        const x = Tensor.randn([2, 3, 6, 6], 0, 1, new Generator(5));
        const before = noGrad(() => net.call(x)).data.slice();
        assert.ok(hasPreparedWeight(net.at<Conv2d>(0).weight), 'the eval forward prepared the conv weight');
        change(net);
        const after = noGrad(() => net.call(x)).data;
        const expected = noGrad(() => fresh(net, precision).call(x)).data;
        assert.notDeepEqual(after, before, 'the output moved');
        assert.deepEqual(after, expected, 'equal to a model built with the new weights');
      });
    });
  }
}

test('views share their storage version; train() frees the prepared weights', () => {
  const w = Tensor.randn([4, 9]);
  const view = w.reshape([36]);
  const v0 = w.version;
  view.markChanged();
  assert.equal(w.version, v0 + 1, 'a change through a view bumps the base');
  const net = smallNet(2).eval().setPrecision('bf16');
  noGrad(() => net.call(Tensor.randn([1, 3, 6, 6])));
  const conv = net.at<Conv2d>(0);
  assert.ok(hasPreparedWeight(conv.weight));
  net.train();
  assert.ok(!hasPreparedWeight(conv.weight), 'training mode holds no inference copies');
});
