/**
 * End to end on the native backend: torchvision's AlexNet (and the original
 * grouped AlexNet with LRN) against torch 1.13's logits, loss and every
 * parameter gradient from the committed parity fixtures (every SIMD path on
 * the small input, the best path on the others, to keep the file fast). The
 * same checks as test/parity, with the addon's kernels underneath.
 */
import { test } from 'node:test';

import { withBackend } from '../../src/backend/registry.js';
import { createModel } from '../../src/models/registry.js';
import { checkModelGradients, checkModelInference, loadModelFixture, prepareModel } from '../helpers/model-fixtures.js';
import { addon, forEachSimd, skipWithoutAddon } from './native-helpers.js';

const TOL = 1e-4;

const CASES: [model: string, h: number, w: number, everySimdPath: boolean][] = [
  ['alexnet', 224, 224, false],
  ['alexnet', 63, 63, true],
  ['alexnet-original', 227, 227, false],
  ['alexnet-original-grouped', 227, 227, false],
];

for (const [name, h, w, everySimdPath] of CASES) {
  test(`native ${name} ${h}×${w}: logits and all gradients match torch`, { skip: skipWithoutAddon }, (t) => {
    const fixture = loadModelFixture(name, h, w);
    const model = createModel(name);
    prepareModel(model, fixture);
    const check = (level: string): void => {
      const worst = checkModelGradients(model, fixture, TOL);
      t.diagnostic(
        `${level}: ${worst
          .entries()
          .map(([k, v]) => `${k} ${v.toExponential(2)}`)
          .join(', ')}`,
      );
      t.diagnostic(`${level}: noGrad logits ${checkModelInference(model, fixture, TOL).toExponential(2)}`);
    };
    withBackend(addon(), () => (everySimdPath ? forEachSimd(check) : check(addon().info().simd)));
  });
}
