import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Parameter } from '../../src/nn/parameter.js';
import { SGD, type SgdOptions } from '../../src/optim/sgd.js';
import { Tensor } from '../../src/tensor/tensor.js';

interface SgdCase {
  name: string;
  options: { lr: number; momentum?: number; dampening?: number; weight_decay?: number; nesterov?: boolean };
  shapes: number[][];
  initial: number[][];
  grads: (number[] | null)[][];
  lrs: number[];
  after: number[][][];
  momentum_buffers: (number[] | null)[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim/sgd_cases.json', import.meta.url), 'utf8')) as { cases: SgdCase[] };

function options(c: SgdCase): SgdOptions {
  return { lr: c.options.lr, momentum: c.options.momentum, dampening: c.options.dampening, weightDecay: c.options.weight_decay, nesterov: c.options.nesterov };
}

function makeParams(c: SgdCase): Parameter[] {
  return c.initial.map((values, i) => new Parameter(Float32Array.from(values), c.shapes[i]));
}

/** Runs steps [from, to) of a case: sets each step's lr and gradients, then steps. */
function runSteps(c: SgdCase, params: Parameter[], optimizer: SGD, from: number, to: number): void {
  for (let step = from; step < to; step++) {
    optimizer.paramGroups[0].lr = c.lrs[step];
    params.forEach((p, i) => {
      const g = c.grads[step][i];
      p.grad = g === null ? null : new Tensor(Float32Array.from(g), p.shape);
    });
    optimizer.step();
  }
}

/**
 * 1e-6 relative, plus 3e-7 absolute for values that come out of cancellation
 * (a momentum buffer of 0.07 summed from terms near 1 carries those terms'
 * float32 rounding, about 1e-7). The kernels give torch's bits
 * (sgd-bitwise.test.ts); the tolerance keeps these cases about the algorithm.
 */
function assertClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-6 * Math.abs(expected[i]) + 3e-7;
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}]: ${actual[i]} vs torch ${expected[i]}`);
  }
}

for (const c of fixture.cases) {
  test(`SGD matches torch.optim.SGD step by step: ${c.name}`, () => {
    const params = makeParams(c);
    const optimizer = new SGD(params, options(c));
    for (let step = 0; step < c.lrs.length; step++) {
      runSteps(c, params, optimizer, step, step + 1);
      for (const [i, p] of params.entries()) assertClose(p.data, c.after[step][i], `${c.name} step ${step} param ${i}`);
    }
    const state = optimizer.stateDict();
    assert.equal(state.step_count, c.lrs.length);
    c.momentum_buffers.forEach((expected, i) => {
      const saved = state.state.get(i);
      if (expected === null) assert.equal(saved, undefined, `${c.name}: no momentum buffer expected for param ${i}`);
      else assertClose(saved!.momentum_buffer.data, expected, `${c.name} momentum buffer ${i}`);
    });
  });
}

test('SGD state dict round trip continues bit-identically', () => {
  const c = fixture.cases.find((x) => x.name === 'nesterov')!;
  const straightParams = makeParams(c);
  const straight = new SGD(straightParams, options(c));
  runSteps(c, straightParams, straight, 0, c.lrs.length);

  const firstParams = makeParams(c);
  const first = new SGD(firstParams, options(c));
  runSteps(c, firstParams, first, 0, 3);
  const saved = first.stateDict();
  // A fresh optimizer over copies of the weights, as after loading a checkpoint.
  const resumedParams = firstParams.map((p) => new Parameter(new Float32Array(p.data), p.shape));
  const resumed = new SGD(resumedParams, { lr: 123 });
  resumed.loadStateDict(saved);
  assert.equal(resumed.paramGroups[0].momentum, c.options.momentum);
  assert.equal(resumed.stepCount, 3);
  runSteps(c, resumedParams, resumed, 3, c.lrs.length);
  for (const [i, p] of resumedParams.entries()) assert.deepEqual(p.data, straightParams[i].data, `param ${i}`);
});

test('SGD leaves parameters without a gradient untouched and zeroGrad clears gradients', () => {
  const a = new Parameter(Float32Array.of(1, 2), [2]);
  const b = new Parameter(Float32Array.of(3), [1]);
  const optimizer = new SGD([a, b], { lr: 0.5, momentum: 0.9 });
  a.grad = Tensor.from([1, 1], [2]);
  optimizer.step();
  assert.deepEqual([...a.data], [0.5, 1.5]);
  assert.deepEqual([...b.data], [3]);
  assert.equal(optimizer.stateDict().state.has(1), false);
  optimizer.zeroGrad({ setToNone: true });
  assert.equal(a.grad, null);
});

test('zeroGrad keeps zeroed gradients as torch 1.13 does: a parameter the next loss misses still moves by momentum and decay', () => {
  // Two steps; b is reached by the first loss only. `between` runs between them.
  const run = (between: (optimizer: SGD, b: Parameter) => void): { afterFirst: number; afterSecond: number } => {
    const a = new Parameter(Float32Array.of(1), [1]);
    const b = new Parameter(Float32Array.of(1), [1]);
    const optimizer = new SGD([a, b], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    a.grad = Tensor.from([1], [1]);
    b.grad = Tensor.from([1], [1]);
    optimizer.step();
    const afterFirst = b.data[0];
    between(optimizer, b);
    a.grad = Tensor.from([1], [1]);
    optimizer.step();
    return { afterFirst, afterSecond: b.data[0] };
  };
  const zeroed = run((optimizer) => optimizer.zeroGrad());
  const explicitZeros = run((_, b) => {
    b.grad = Tensor.zeros([1]);
  });
  assert.equal(zeroed.afterSecond, explicitZeros.afterSecond, 'zeroGrad() = gradients of zeros');
  assert.notEqual(zeroed.afterSecond, zeroed.afterFirst, 'b moved by momentum and weight decay');
  const dropped = run((optimizer) => optimizer.zeroGrad({ setToNone: true }));
  assert.equal(dropped.afterSecond, dropped.afterFirst, 'set to none: b is left alone');
});

test('SGD rejects invalid settings and mismatched state', () => {
  const p = new Parameter(Float32Array.of(1), [1]);
  assert.throws(() => new SGD([p], { lr: -1 }), /lr must be/);
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /Nesterov momentum requires/);
  assert.throws(() => new SGD([p, p], { lr: 0.1 }), /more than one group/);
  const other = new SGD([new Parameter(Float32Array.of(1, 2), [2])], { lr: 0.1, momentum: 0.9 });
  other.paramGroups[0].params[0].grad = Tensor.from([1, 1], [2]);
  other.step();
  const optimizer = new SGD([p], { lr: 0.1, momentum: 0.9 });
  assert.throws(() => optimizer.loadStateDict(other.stateDict()), /momentum buffer of parameter 0 has shape \[2\].*\[1\]/);
  const two = new SGD([{ params: [p] }, { params: [new Parameter(Float32Array.of(1), [1])], lr: 1 }], { lr: 0.1 });
  assert.deepEqual(two.lrs, [0.1, 1]);
  assert.throws(() => optimizer.loadStateDict(two.stateDict()), /2 parameter groups, this one has 1/);
  // torch's maximize=True ascends the gradient: refused, not stepped the other way.
  const ascending = new SGD([p], { lr: 0.1 }).stateDict();
  ascending.param_groups[0].maximize = true;
  assert.throws(() => optimizer.loadStateDict(ascending), /saved parameter group 0 has maximize=True, which this SGD does not implement/);
});
