/**
 * torchvision's alexnet end to end against torch 1.13 at 224×224, at its
 * minimum 63×63 (adaptive pooling upsamples 1×1 to 6×6) and at a non-square
 * 100×80: logits and every parameter's gradient for a batch of 2 in eval mode
 * with cross_entropy, on deterministic weights, within 1e-4 relative error.
 */
import { test } from 'node:test';
import { createModel } from '../../src/models/registry.js';
import { checkModelGradients, checkModelInference, loadModelFixture, prepareModel } from '../helpers/model-fixtures.js';

const TOL = 1e-4;
const model = createModel('alexnet');
let prepared = false;

for (const [h, w] of [
  [224, 224],
  [63, 63],
  [100, 80],
] as const) {
  test(`alexnet ${h}×${w}: logits and all parameter gradients match torch`, (t) => {
    const fixture = loadModelFixture('alexnet', h, w);
    if (!prepared) prepareModel(model, fixture);
    prepared = true;
    const worst = checkModelGradients(model, fixture, TOL);
    t.diagnostic(`alexnet ${h}×${w}: worst relative error ${worst}`);
    if (h !== 224) {
      // The fused inference kernels, on the cheaper sizes.
      t.diagnostic(`alexnet ${h}×${w}: noGrad logits ${checkModelInference(model, fixture, TOL).toExponential(2)}`);
    }
  });
}
