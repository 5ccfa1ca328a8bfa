/**
 * Whole-model parity fixtures (tools/gen_parity_fixtures.py →
 * test/fixtures/parity/models/<model>-<H>x<W>.json): torch's logits, loss and,
 * per parameter, the gradient's norm and sampled entries, for a model in eval
 * mode on deterministic weights (test/helpers/deterministic.ts) and input, with
 * cross_entropy against fixed labels. Any backend can be checked with it.
 */
import assert from 'node:assert/strict';
import { noGrad } from '../../src/autograd/grad-mode.js';
import type { Module } from '../../src/nn/module.js';
import * as F from '../../src/ops/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose, WorstErrors } from './assert-close.js';
import { deterministicInput, evenlySpacedIndices, fillDeterministic, norm64, sum64 } from './deterministic.js';
import { decodeFloat32, decodeTensor, readJsonFixture, type EncodedTensor } from './fixtures.js';

export interface ModelFixture {
  model: string;
  input: { shape: number[]; valueSum: number };
  labels: number[];
  samplesPerParameter: number;
  logits: EncodedTensor;
  loss: number;
  parameters: { name: string; shape: number[]; valueSum: number; gradNorm: number; gradSum: number; samples: EncodedTensor }[];
}

export function loadModelFixture(model: string, height: number, width: number): ModelFixture {
  return readJsonFixture<ModelFixture>('parity', 'models', `${model}-${height}x${width}.json`);
}

/**
 * Sets the model's weights to the fixture's deterministic values and checks
 * them against torch's checksums (so a formula mismatch is reported as such).
 */
export function prepareModel(model: Module, fixture: ModelFixture): void {
  fillDeterministic(model);
  const params = [...model.namedParameters()];
  assert.deepEqual(
    params.map(([n, p]) => [n, [...p.shape]]),
    fixture.parameters.map((p) => [p.name, p.shape]),
    'parameter names and shapes',
  );
  params.forEach(([name, p], i) => {
    const expected = fixture.parameters[i].valueSum;
    assert.ok(
      Math.abs(sum64(p.data) - expected) <= 1e-9 * Math.max(1, Math.abs(expected)) + 1e-9,
      `${name}: deterministic weights differ from the generator's (sum ${sum64(p.data)} vs ${expected})`,
    );
  });
}

export function fixtureInput(fixture: ModelFixture): Tensor {
  const x = deterministicInput(fixture.input.shape);
  assert.ok(Math.abs(sum64(x.data) - fixture.input.valueSum) < 1e-6, "deterministic input differs from the generator's");
  return x;
}

/**
 * Forward (eval mode, graph recorded), cross_entropy, backward; compares logits,
 * loss, and every parameter's gradient (sampled entries and norm) within `tol`.
 * Returns the worst relative errors by kind.
 */
export function checkModelGradients(model: Module, fixture: ModelFixture, tol: number): WorstErrors {
  const worst = new WorstErrors();
  model.eval();
  model.zeroGrad();
  const logits = model.call(fixtureInput(fixture));
  worst.record('logits', assertClose(logits, decodeTensor(fixture.logits), tol, `${fixture.model}: logits`));
  const loss = F.crossEntropy(logits, fixture.labels);
  worst.record('loss', assertClose([loss.item()], [fixture.loss], tol, `${fixture.model}: loss`));
  loss.backward();
  const params = [...model.namedParameters()];
  params.forEach(([name, p], i) => {
    const ref = fixture.parameters[i];
    assert.ok(p.grad !== null, `${name}: no gradient`);
    const indices = evenlySpacedIndices(p.numel, fixture.samplesPerParameter);
    const samples = indices.map((j) => p.grad!.data[j]);
    worst.record('grad samples', assertClose(samples, decodeFloat32(ref.samples.data), tol, `${fixture.model}: ${name} gradient samples`));
    const norm = norm64(p.grad.data);
    worst.record('grad norm', assertClose([norm], [ref.gradNorm], tol, `${fixture.model}: ${name} gradient norm`));
  });
  return worst;
}

/** Inference path (noGrad: fused Conv/Linear + ReLU kernels): logits only. */
export function checkModelInference(model: Module, fixture: ModelFixture, tol: number): number {
  model.eval();
  const logits = noGrad(() => model.call(fixtureInput(fixture)));
  assert.equal(logits.gradFn, null, 'noGrad records no graph');
  return assertClose(logits, decodeTensor(fixture.logits), tol, `${fixture.model}: logits (noGrad, fused kernels)`);
}
