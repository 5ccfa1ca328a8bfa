/**
 * The article's AlexNetOriginal (LRN, 227×227) and its two-tower grouped form
 * end to end against torch 1.13: logits and every parameter's gradient for a
 * batch of 2 in eval mode with cross_entropy, on deterministic weights, within
 * 1e-4 relative error.
 */
import { test } from 'node:test';
import { createModel } from '../../src/models/registry.js';
import { checkModelGradients, loadModelFixture, prepareModel } from '../helpers/model-fixtures.js';

const TOL = 1e-4;

for (const name of ['alexnet-original', 'alexnet-original-grouped']) {
  test(`${name} 227×227: logits and all parameter gradients match torch`, (t) => {
    const fixture = loadModelFixture(name, 227, 227);
    const model = createModel(name);
    prepareModel(model, fixture);
    const worst = checkModelGradients(model, fixture, TOL);
    t.diagnostic(`${name} 227×227: worst relative error ${worst}`);
  });
}
