/**
 * Every differentiable op against torch 1.13 (fixtures: tools/gen_parity_fixtures.py →
 * test/fixtures/parity/ops/): the forward output and the gradient of every input
 * after out.backward(g) for a random upstream g, within 1e-5 relative error
 * ‖a − b‖/‖b‖ per tensor.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import * as F from '../../src/ops/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose, relativeError, WorstErrors } from '../helpers/assert-close.js';
import { loadOpCases, pairArg, type OpCase } from '../helpers/op-fixtures.js';
import { availableBackends } from '../helpers/backends.js';
import { withBackend } from '../../src/backend/registry.js';

const TOL = 1e-5;

type Forward = (c: OpCase) => Tensor;

/** Runs every case of a family: forward, backward(g), compare output and all input gradients. */
async function checkFamily(t: TestContext, family: string, forward: Forward, exactOutput = false): Promise<void> {
  const cases = loadOpCases(family);
  assert.ok(cases.length > 0, `${family}: no cases in the fixture`);
  const worst = new WorstErrors();
  for (const c of cases) {
    await t.test(c.name, () => {
      const out = forward(c);
      worst.record('output', assertClose(out, c.output, TOL, `${c.name}: output`));
      const bitwise = c.args.bitwise === true;
      if (exactOutput || bitwise) assert.equal(relativeError(out, c.output), 0, `${c.name}: output should be bit-exact`);
      out.backward(c.gradOutput);
      for (const [name, expected] of Object.entries(c.grads)) {
        const grad = c.inputs[name].grad;
        assert.ok(grad !== null, `${c.name}: no gradient reached input ${name}`);
        worst.record(`grad ${name}`, assertClose(grad, expected, TOL, `${c.name}: gradient of ${name}`));
        if (bitwise) assert.equal(relativeError(grad, expected), 0, `${c.name}: gradient of ${name} should be bit-exact`);
      }
    });
  }
  t.diagnostic(`${family}: worst relative error ${worst}`);
}

test('conv2d matches torch: odd sizes, strides, padding, dilation, groups, depthwise, no bias, 1×1', async (t) => {
  await checkFamily(t, 'conv2d', (c) =>
    F.conv2d(c.inputs.x, c.inputs.weight, c.inputs.bias ?? null, {
      stride: pairArg(c.args, 'stride'),
      padding: pairArg(c.args, 'padding'),
      dilation: pairArg(c.args, 'dilation'),
      groups: c.args.groups as number,
    }),
  );
});

test('linear matches torch: with/without bias, batch 1, 1-D and 3-D input', async (t) => {
  await checkFamily(t, 'linear', (c) => F.linear(c.inputs.x, c.inputs.weight, c.inputs.bias ?? null));
});

test('relu matches torch, with gradient 0 at exact (signed) zeros', async (t) => {
  await checkFamily(t, 'relu', (c) => F.relu(c.inputs.x), true);
});

test('local_response_norm matches torch: odd/even n, n > C, 3-D/4-D/5-D, large alpha', async (t) => {
  await checkFamily(t, 'local_response_norm', (c) =>
    F.localResponseNorm(c.inputs.x, c.args.size as number, {
      alpha: c.args.alpha as number,
      beta: c.args.beta as number,
      k: c.args.k as number,
    }),
  );
});

test('max_pool2d matches torch: padding, dilation, ceil_mode, and ties routed to the element torch picks', async (t) => {
  await checkFamily(
    t,
    'max_pool2d',
    (c) =>
      F.maxPool2d(c.inputs.x, pairArg(c.args, 'kernelSize'), {
        stride: pairArg(c.args, 'stride'),
        padding: pairArg(c.args, 'padding'),
        dilation: pairArg(c.args, 'dilation'),
        ceilMode: c.args.ceilMode as boolean,
      }),
    true,
  );
});

test('adaptive_avg_pool2d matches torch: 13→6, 5→6, 7→3, 1→6, non-square, 3-D input', async (t) => {
  await checkFamily(t, 'adaptive_avg_pool2d', (c) => F.adaptiveAvgPool2d(c.inputs.x, pairArg(c.args, 'outputSize')));
});

test('log_softmax and softmax match torch, including logits of ±1e4', async (t) => {
  await checkFamily(t, 'softmax', (c) => (c.args.fn === 'softmax' ? F.softmax(c.inputs.x, -1) : F.logSoftmax(c.inputs.x, -1)));
});

test('cross_entropy and nll_loss (class indices, mean reduction) match torch, including logits of ±1e4', async (t) => {
  await checkFamily(t, 'loss', (c) => (c.args.fn === 'nllLoss' ? F.nllLoss(c.inputs.x, c.constants.targets) : F.crossEntropy(c.inputs.x, c.constants.targets)));
});

test('add, sub, mul, mulScalar, sum, mean match torch', async (t) => {
  await checkFamily(t, 'arithmetic', (c) => {
    const { a, b } = c.inputs;
    switch (c.args.fn) {
      case 'add':
        return F.add(a, b);
      case 'sub':
        return F.sub(a, b);
      case 'mul':
        return F.mul(a, b);
      case 'mulScalar':
        return F.mulScalar(a, c.args.scalar as number);
      case 'sum':
        return F.sum(a);
      case 'mean':
        return F.mean(a);
      default:
        throw new Error(`unknown arithmetic case ${String(c.args.fn)}`);
    }
  });
});

test("a scalar product and a mean give torch's float32 bits on every backend, gradients included", async (t) => {
  const { backends } = await availableBackends();
  for (const [name, backend] of backends) {
    await t.test(name, () => {
      // Fresh leaf tensors for each backend: gradients accumulate.
      const cases = loadOpCases('arithmetic').filter((c) => c.args.bitwise === true);
      assert.ok(cases.length > 0, 'the fixture has bitwise cases');
      for (const c of cases) {
        const a = c.inputs.a;
        const out = withBackend(backend, () => (c.args.fn === 'mean' ? F.mean(a) : F.mulScalar(a, c.args.scalar as number)));
        assert.equal(relativeError(out, c.output), 0, `${name}, ${c.name}: output`);
        withBackend(backend, () => out.backward(c.gradOutput));
        assert.ok(a.grad !== null);
        assert.equal(relativeError(a.grad, c.grads.a), 0, `${name}, ${c.name}: gradient`);
      }
    });
  }
});
