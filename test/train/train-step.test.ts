import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Linear } from '../../src/nn/layers/linear.js';
import { Module } from '../../src/nn/module.js';
import { SGD } from '../../src/optim/sgd.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { NonFiniteLossError, trainStep } from '../../src/train/train-step.js';

/** A model whose head `b` is used only while `useB` is set; `unused` is never reached. */
class ConditionalHead extends Module {
  readonly a = this.registerModule('a', new Linear(2, 3));
  readonly b = this.registerModule('b', new Linear(3, 3));
  readonly unused = this.registerModule('unused', new Linear(3, 3));
  useB = true;
  override forward(x: Tensor): Tensor {
    const h = this.a.call(x);
    return this.useB ? this.b.call(h) : h;
  }
}

const lr = 0.1;
const momentum = 0.9;
const weightDecay = 0.1;

function setup(): { model: ConditionalHead; optimizer: SGD; x: Tensor; labels: Int32Array } {
  manualSeed(0);
  const model = new ConditionalHead();
  const optimizer = new SGD(model.parameters(), { lr, momentum, weightDecay });
  return { model, optimizer, x: Tensor.from([[1, 2]]), labels: Int32Array.of(0) };
}

test('a parameter the next loss does not reach still moves by momentum and weight decay, as after torch 1.13 zero_grad()', () => {
  const { model, optimizer, x, labels } = setup();
  const w0 = Float32Array.from(model.b.weight.data);
  const unused0 = Float32Array.from(model.unused.weight.data);
  trainStep(model, optimizer, x, labels, 1);
  const w1 = Float32Array.from(model.b.weight.data);
  model.useB = false;
  trainStep(model, optimizer, x, labels, 2);
  const w2 = model.b.weight.data;
  for (let i = 0; i < w0.length; i++) {
    // Step 1 (first step): buf1 = g1 + wd·w0 and w1 = w0 − lr·buf1, so buf1 = (w0 − w1) / lr.
    const buf1 = (w0[i] - w1[i]) / lr;
    // Step 2, gradient zero: buf2 = momentum·buf1 + wd·w1; w2 = w1 − lr·buf2.
    const expected = w1[i] - lr * (momentum * buf1 + weightDecay * w1[i]);
    assert.ok(Math.abs(w2[i] - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `b.weight[${i}]: ${w2[i]} vs ${expected}`);
    assert.notEqual(w2[i], w1[i], `b.weight[${i}] moved in step 2`);
  }
  assert.deepEqual(model.b.weight.grad?.data, new Float32Array(9), 'b keeps a zero gradient');
  assert.equal(model.unused.weight.grad, null, 'a parameter never reached gets no gradient');
  assert.deepEqual(model.unused.weight.data, unused0, 'and is left alone, as in torch');
});

test('a non-finite loss leaves zero gradients on the parameters that had one, as torch zero_grad() then a stop', () => {
  const { model, optimizer, x, labels } = setup();
  trainStep(model, optimizer, x, labels, 1);
  assert.throws(() => trainStep(model, optimizer, Tensor.from([[Number.NaN, 0]]), labels, 2), NonFiniteLossError);
  for (const [name, p] of model.namedParameters()) {
    const expected = name.startsWith('unused.') ? null : new Float32Array(p.numel);
    assert.deepEqual(p.grad?.data ?? null, expected, name);
  }
});
