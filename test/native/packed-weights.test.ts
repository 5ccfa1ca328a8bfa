import assert from 'node:assert/strict';
import { test } from 'node:test';

import { noGrad } from '../../src/autograd/grad-mode.js';
import { withBackend } from '../../src/backend/registry.js';
import { createModel } from '../../src/models/registry.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/assert-close.js';
import { addon, reference, skipWithoutAddon } from './native-helpers.js';

test('eval-mode inference packs conv weights once and follows weight changes', { skip: skipWithoutAddon }, () => {
  const native = addon();
  let packs = 0;
  const counting = Object.create(native) as typeof native;
  counting.packConv2dWeight = (g, w) => {
    packs++;
    return native.packConv2dWeight(g, w);
  };
  const model = createModel('alexnet', { numClasses: 10 }).eval();
  const x = Tensor.randn([2, 3, 80, 80], 0, 1, new Generator(7));
  const expected = withBackend(reference, () => noGrad(() => model.call(x)));

  const first = withBackend(counting, () => noGrad(() => model.call(x)));
  const second = withBackend(counting, () => noGrad(() => model.call(x)));
  assert.equal(packs, 5, 'five conv layers packed on the first call only');
  assertClose(first.data, expected.data, 1e-5, 'packed logits vs js');
  assert.deepEqual(second.data, first.data);

  // New weights (loadStateDict) must not run on the stale packed copy.
  const other = createModel('alexnet', { numClasses: 10 });
  model.loadStateDict(other.stateDict());
  const afterLoad = withBackend(counting, () => noGrad(() => model.call(x)));
  const expectedAfterLoad = withBackend(reference, () => noGrad(() => model.call(x)));
  assert.equal(packs, 10);
  assertClose(afterLoad.data, expectedAfterLoad.data, 1e-5, 'logits after loadStateDict');
});
